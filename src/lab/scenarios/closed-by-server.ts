// Notifs closes every desktop socket with a WebSocket close frame (4001 server shutdown/restart).
import type { Scenario } from '../scenario.ts';

export const closedByServer: Scenario = {
  name: 'closed-by-server',
  title: 'Notifs closes the connection',
  fault: 'Notifs sends a WebSocket close (4001 server shutdown) to every desktop',
  direction: 'server',
  expected: { domain: 'backend', cause: 'closed-by-server' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    await ctx.notifs.call('close-all', { code: 4001, reason: 'server restart' });
    await ctx.waitDesktopState(['recovering'], ctx.timers.silenceMs * 4);
  },
};
