// Notifs restarts and refuses connections for a while: every reconnect attempt fails until it listens again.
import type { Scenario } from '../scenario.ts';

export const connectFailure: Scenario = {
  name: 'connect-failure',
  title: 'Reconnects refused (Notifs down)',
  fault: 'Notifs closes its sockets (4001) and stops listening; reconnects refused for 2 × silence timeout',
  direction: 'server',
  expected: { domain: 'backend', cause: 'connect-failure' },
  network: 'proxy',
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    // close() of the Notifs server: a 4001 close to every desktop, then nothing listens on the port. The proxy,
    // transparent here, stops listening too, so the desktop's connects are refused as they would be by Notifs.
    ctx.proxy?.addToxic({ name: 'down', type: 'down', stream: 'upstream', attributes: {} });
    await ctx.proxy?.settled();
    await ctx.notifs.call('refuse');
    await ctx.hold(ctx.timers.silenceMs * 2);
    await ctx.notifs.call('accept');
    ctx.proxy?.removeToxic('down');
    await ctx.proxy?.settled();
  },
};
