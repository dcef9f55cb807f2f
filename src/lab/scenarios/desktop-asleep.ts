// The PC sleeps: the desktop process is stopped (SIGSTOP) and continued (SIGCONT). Linux's monotonic clock keeps
// counting through SIGSTOP but not through a real suspend, so the lab agent's clock pair emulates the suspend:
// its monotonic clock skips the stopped interval, and the client sees the wall clock jump (docs/lab.md).
import type { Scenario } from '../scenario.ts';

export const desktopAsleep: Scenario = {
  name: 'desktop-asleep',
  title: 'PC asleep (process stopped, wall clock jumps)',
  fault: 'desktop process SIGSTOP for 2 × silence timeout, then SIGCONT (monotonic clock skips the gap)',
  direction: 'desktop',
  expected: { domain: 'desktop', cause: 'desktop-asleep' },
  network: 'proxy',
  desktop: 'node',
  demo: true,
  async inject(ctx) {
    const d = ctx.desktop!;
    await d.call('prepare-sleep');
    d.signal('SIGSTOP');
    await ctx.hold(ctx.timers.silenceMs * 2);
    d.signal('SIGCONT');
  },
};
