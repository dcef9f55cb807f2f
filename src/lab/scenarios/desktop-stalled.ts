// The desktop stops sending (its keepalive timer and its replies from onmessage both stop) while its timers keep
// running on time: nothing on the PC explains it — the seed's "desktop stopped sending, reason unknown".
import type { Scenario } from '../scenario.ts';

export const desktopStalled: Scenario = {
  name: 'desktop-stalled',
  title: 'Desktop stopped sending (reason unknown)',
  fault: 'desktop keepalive timer and onmessage replies paused for 2 × silence timeout (timers on time)',
  direction: 'desktop',
  expected: { domain: 'desktop', cause: 'desktop-stalled' },
  network: 'proxy',
  desktop: 'node',
  async inject(ctx) {
    await ctx.desktop!.call('mute');
    await ctx.hold(ctx.timers.silenceMs * 2);
    await ctx.desktop!.call('unmute');
  },
};
