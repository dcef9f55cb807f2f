// One-way loss through the fault proxy: a black hole in one direction only, the connection stays open.
import type { Scenario } from '../scenario.ts';

export const outboundLoss: Scenario = {
  name: 'outbound-loss',
  title: 'Desktop → Notifs messages lost',
  fault: 'black hole upstream (desktop → Notifs) for 2.5 × silence timeout; Notifs → desktop still flows',
  direction: 'upstream',
  expected: { domain: 'network', cause: 'outbound-loss' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    ctx.proxy!.addToxic({ name: 'loss', type: 'blackhole', stream: 'upstream', attributes: {} });
    await ctx.hold(ctx.timers.silenceMs * 2.5);
    ctx.proxy!.removeToxic('loss');
  },
};
