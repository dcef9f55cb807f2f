// Baseline: nothing is broken. The troubleshooter should find no incident.
import type { Scenario } from '../scenario.ts';

export const healthy: Scenario = {
  name: 'healthy',
  title: 'Healthy connection (baseline)',
  fault: 'none: keepalives flow both ways for 8 keepalive periods',
  direction: 'none',
  expected: { domain: 'none', cause: 'none' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    await ctx.hold(ctx.timers.keepaliveMs * 8);
  },
};
