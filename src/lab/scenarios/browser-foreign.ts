// Browser faults that act on any page, so they run on both lab pairs: the user closes the desktop's tab (a normal
// session end), and the whole browser stops (SIGSTOP of its process tree, by PID) while the PC's kernel keeps
// ACKing what Notifs sends — the desktop, not the path.
import type { Scenario } from '../scenario.ts';

export const browserTabClosed: Scenario = {
  name: 'browser-tab-closed',
  title: 'Desktop tab closed after a healthy session (normal end)',
  fault: 'none: the agent closes the desktop tab (the page unloads; the browser closes the socket with 1001)',
  direction: 'none',
  expected: { domain: 'none', cause: 'none' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'browser',
  expectReconnect: false,
  unloadsPage: true,
  async inject(ctx) {
    await ctx.browser!.closeTab();
    await ctx.hold(ctx.timers.keepaliveMs * 2);
  },
};

export const browserStopped: Scenario = {
  name: 'browser-stopped',
  title: 'Whole browser stopped (SIGSTOP), the PC still up',
  fault:
    'SIGSTOP to the browser and every process it started for 2.5 × silence timeout, then SIGCONT: Notifs keeps ' +
    "sending and the PC's kernel ACKs it, but the desktop sends nothing",
  direction: 'desktop',
  expected: { domain: 'desktop', cause: 'desktop-stalled' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'browser',
  // Started by the lab itself (not by Playwright), so the browser's process id is known.
  hideablePage: true,
  async inject(ctx) {
    const n = ctx.browser!.signalBrowser('SIGSTOP');
    ctx.log(`browser stopped (${n} processes)`);
    try {
      await ctx.hold(ctx.timers.silenceMs * 2.5);
    } finally {
      ctx.browser!.signalBrowser('SIGCONT');
    }
  },
};

export const BROWSER_FOREIGN_SCENARIOS = [browserTabClosed, browserStopped];
