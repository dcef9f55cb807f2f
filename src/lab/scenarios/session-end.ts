// The agent signs out: the desktop closes a healthy socket (1000, user quit) and does not reconnect. A normal
// session end, which the troubleshooter must list but not report as an incident (every healthy recording ends so).
import type { Scenario } from '../scenario.ts';

export const sessionEnd: Scenario = {
  name: 'session-end',
  title: 'Desktop signs out (normal session end)',
  fault: 'none: the desktop closes its healthy WebSocket (1000, user quit) and does not reconnect',
  direction: 'none',
  expected: { domain: 'none', cause: 'none' },
  network: 'proxy',
  desktop: 'node',
  expectReconnect: false,
  async inject(ctx) {
    await ctx.desktop!.call('close', { code: 1000, reason: 'user quit' });
    await ctx.waitDesktopState(['closed'], ctx.timers.silenceMs * 4);
  },
};
