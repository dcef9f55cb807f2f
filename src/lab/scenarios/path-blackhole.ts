// Both directions dead at once while both ends stay alive: a black hole in the path (the proxy drops everything,
// FIN and RST included, and keeps both TCP connections open).
import type { Scenario } from '../scenario.ts';

export const pathBlackhole: Scenario = {
  name: 'path-blackhole',
  title: 'Path black hole (both directions)',
  fault: 'black hole both ways for 2.5 × silence timeout',
  direction: 'both',
  expected: { domain: 'network', cause: 'path-blackhole' },
  network: 'proxy',
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    const p = ctx.proxy!;
    p.addToxic({ name: 'bh-up', type: 'blackhole', stream: 'upstream', attributes: {} });
    p.addToxic({ name: 'bh-down', type: 'blackhole', stream: 'downstream', attributes: {} });
    await ctx.hold(ctx.timers.silenceMs * 2.5);
    p.removeToxic('bh-up');
    p.removeToxic('bh-down');
  },
};
