// Notifs restarts and refuses connections for a while: every reconnect attempt fails until it listens again.
import type { Scenario } from '../scenario.ts';

export const connectFailure: Scenario = {
  name: 'connect-failure',
  title: 'Reconnects refused (Notifs down)',
  fault: 'Notifs closes its sockets (4001) and stops listening; reconnects refused for 2 × silence timeout',
  direction: 'server',
  expected: { domain: 'backend', cause: 'connect-failure' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    // Nothing listens any more (the proxy, transparent here, stops listening first so no reconnect slips in);
    // Notifs closes its sockets gracefully (4001), then shuts down; 2 × silence later it is back.
    ctx.proxy?.addToxic({ name: 'down', type: 'down', stream: 'upstream', attributes: {} });
    await ctx.proxy?.settled();
    await ctx.notifs.call('close-all', { code: 4001, reason: 'server restart' });
    await ctx.waitDesktopState(['recovering'], ctx.timers.silenceMs * 4);
    await ctx.notifs.call('refuse');
    await ctx.hold(ctx.timers.silenceMs * 2);
    await ctx.notifs.call('accept');
    ctx.proxy?.removeToxic('down');
    await ctx.proxy?.settled();
  },
};
