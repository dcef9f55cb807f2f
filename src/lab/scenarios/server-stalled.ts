// Notifs stops sending anything on the live sockets (keepalives included) while TCP stays up and it keeps reading.
import type { Scenario } from '../scenario.ts';

export const serverStalled: Scenario = {
  name: 'server-stalled',
  title: 'Notifs stalled (TCP alive, no messages)',
  fault: 'Notifs stops sending on every live socket for 2.5 × silence timeout (new sockets work)',
  direction: 'server',
  expected: { domain: 'backend', cause: 'server-stalled' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    await ctx.notifs.call('stall');
    await ctx.hold(ctx.timers.silenceMs * 2.5);
    await ctx.notifs.call('unstall');
  },
};
