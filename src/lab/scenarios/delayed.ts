// Notifs' messages are held in the path and then delivered all at once (a stall, then release): they arrive late
// and in a burst, but before the desktop's silence timeout, so the connection survives.
import type { Scenario } from '../scenario.ts';

export const delayed: Scenario = {
  name: 'delayed',
  title: 'Notifs messages delayed (held, then a burst)',
  fault: 'stall downstream for 0.8 × silence timeout, then release everything held',
  direction: 'downstream',
  expected: { domain: 'network', cause: 'delayed' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'node',
  demo: true,
  expectReconnect: false,
  async inject(ctx) {
    ctx.proxy!.addToxic({ name: 'stall', type: 'stall', stream: 'downstream', attributes: {} });
    await ctx.hold(ctx.timers.silenceMs * 0.8);
    ctx.proxy!.removeToxic('stall');
  },
};
