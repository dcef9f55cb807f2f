// Notifs itself resets every desktop socket (RST from the server's own TCP stack).
import type { Scenario } from '../scenario.ts';

export const resetByServer: Scenario = {
  name: 'reset-by-server',
  title: 'Notifs resets the connection',
  fault: 'Notifs resets (RST) every desktop socket',
  direction: 'server',
  expected: { domain: 'backend', cause: 'reset-by-server' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    await ctx.notifs.call('reset-all');
    await ctx.waitDesktopState(['recovering'], ctx.timers.silenceMs * 4);
  },
};
