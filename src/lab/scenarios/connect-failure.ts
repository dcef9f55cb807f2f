// Notifs restarts and refuses connections for a while: every reconnect attempt fails until it listens again.
import type { Scenario } from '../scenario.ts';

export const connectFailure: Scenario = {
  name: 'connect-failure',
  title: 'Reconnects refused (Notifs down)',
  fault: 'Notifs stops listening and closes its sockets (4001); reconnects refused for 2 × silence timeout',
  direction: 'server',
  expected: { domain: 'backend', cause: 'connect-failure' },
  network: 'proxy',
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    await ctx.notifs.call('refuse');
    await ctx.notifs.call('close-all', { code: 4001, reason: 'server restart' });
    await ctx.hold(ctx.timers.silenceMs * 2);
    await ctx.notifs.call('accept');
  },
};
