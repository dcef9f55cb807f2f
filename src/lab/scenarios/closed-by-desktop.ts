// The desktop closes its socket on purpose (the agent quits or the app closes it): no reconnect follows.
import type { Scenario } from '../scenario.ts';

export const closedByDesktop: Scenario = {
  name: 'closed-by-desktop',
  title: 'Desktop closes the connection',
  fault: 'the desktop closes its WebSocket (1000, user quit)',
  direction: 'desktop',
  expected: { domain: 'desktop', cause: 'closed-by-desktop' },
  network: 'proxy',
  desktop: 'node',
  expectReconnect: false,
  async inject(ctx) {
    await ctx.desktop!.call('close', { code: 1000, reason: 'user quit' });
    await ctx.waitDesktopState(['closed'], ctx.timers.silenceMs * 4);
  },
};
