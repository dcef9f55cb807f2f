// The desktop's JavaScript stops running for a while (a hidden tab's timers throttled or frozen): the Node
// desktop's event loop is blocked, the way DevTools' Debugger.pause stalls a page. Its timers fire late when it
// runs again (drift samples), with no wall-clock jump; Notifs' frames queue in the kernel and arrive at once.
import type { Scenario } from '../scenario.ts';

export const desktopThrottled: Scenario = {
  name: 'desktop-throttled',
  title: 'Desktop timers frozen (throttled tab)',
  fault: 'desktop event loop frozen for 2 × silence timeout, then released',
  direction: 'desktop',
  expected: { domain: 'desktop', cause: 'desktop-throttled' },
  network: 'proxy',
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    await ctx.desktop!.call('freeze', { ms: ctx.timers.silenceMs * 2 }, ctx.timers.silenceMs * 2 + 10_000);
  },
};
