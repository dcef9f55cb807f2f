// Browser desktops: Debian's Chromium on the /desktop/ page Notifs serves, with the evidence only a browser gives
// (HAR with WebSocket messages, NetLog with pings and socket bytes).
import type { Scenario } from '../scenario.ts';

export const browserHealthy: Scenario = {
  name: 'browser-healthy',
  title: 'Browser desktop, healthy (baseline)',
  fault: 'none: a Chromium desktop page with its keepalive in a Web Worker, 8 keepalive periods',
  direction: 'none',
  expected: { domain: 'none', cause: 'none' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'browser',
  demo: true,
  async inject(ctx) {
    await ctx.hold(ctx.timers.keepaliveMs * 8);
  },
};

export const browserFrozen: Scenario = {
  name: 'browser-frozen',
  title: 'Browser page frozen (JavaScript stalled)',
  fault: 'DevTools Debugger.pause on the page (timer on the main thread) for 2 × silence timeout, then resume',
  direction: 'desktop',
  expected: { domain: 'desktop', cause: 'desktop-throttled' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'browser',
  pageQuery: 'timer=main',
  demo: true,
  async inject(ctx) {
    const b = ctx.browser!;
    await b.pauseJs();
    await ctx.hold(ctx.timers.silenceMs * 2);
    await b.resumeJs();
  },
};

export const browserInboundLoss: Scenario = {
  name: 'browser-inbound-loss',
  title: 'Browser desktop: Notifs → desktop messages lost',
  fault: 'black hole downstream (Notifs → desktop) for 2.5 × silence timeout, browser desktop',
  direction: 'downstream',
  expected: { domain: 'network', cause: 'inbound-loss' },
  network: 'proxy',
  pairs: ['lifeline', 'foreign'],
  desktop: 'browser',
  async inject(ctx) {
    ctx.proxy!.addToxic({ name: 'loss', type: 'blackhole', stream: 'downstream', attributes: {} });
    await ctx.hold(ctx.timers.silenceMs * 2.5);
    ctx.proxy!.removeToxic('loss');
  },
};

export const BROWSER_SCENARIOS = [browserHealthy, browserFrozen, browserInboundLoss];
