// One-way loss through the fault proxy: a black hole in one direction only, the connection stays open.
import type { Scenario } from '../scenario.ts';

export const inboundLoss: Scenario = {
  name: 'inbound-loss',
  title: 'Notifs → desktop messages lost',
  fault: 'black hole downstream (Notifs → desktop) for 2.5 × silence timeout; desktop → Notifs still flows',
  direction: 'downstream',
  expected: { domain: 'network', cause: 'inbound-loss' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    ctx.proxy!.addToxic({ name: 'loss', type: 'blackhole', stream: 'downstream', attributes: {} });
    await ctx.hold(ctx.timers.silenceMs * 2.5);
    ctx.proxy!.removeToxic('loss');
  },
};
