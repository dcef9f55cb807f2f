// Hidden-tab throttling on a real browser desktop: why Lifeline's desktop runs its keepalive timer in a Web Worker.
// The desktop's tab goes to the background (another tab in front): Chrome aligns the page's main-thread timers to
// 1 s, while a dedicated Worker's timers keep their period. The timers are chosen so that a 1 s keepalive spacing
// exceeds the silence timeout (700 ms). The desktop's onmessage reply path is switched off for the fault ("timer
// only", like Cisco's SDK): with it on, Notifs' own keepalives would be answered from the receive path, which
// hidden tabs do not throttle, and both pages would stay alive whatever the timer.
// The desktop's keepalive period (150 ms) is shorter than Notifs' (400 ms): each Notifs keepalive received
// postpones the desktop's timer keepalive by a period (the reply normally goes out instead), even with replies
// off, so with equal periods the Worker's keepalives were measured 400–600 ms apart (starved by the postponement,
// close to the 700 ms timeout); with 150 ms vs 400 ms at most one timer keepalive per Notifs keepalive is skipped.
import type { Scenario, ScenarioContext } from '../scenario.ts';

const HIDDEN_TIMERS = { keepaliveMs: 400, silenceMs: 700 };
const HIDDEN_PAGE_TIMERS = { keepaliveMs: 150 };

async function hideTimerOnly(ctx: ScenarioContext): Promise<void> {
  const b = ctx.browser!;
  await b.setReplies(false);
  await b.hide();
  ctx.log('page hidden (another tab in front); keepalive replies from onmessage off');
  await ctx.hold(ctx.timers.silenceMs * 4);
  await b.show();
  await b.setReplies(true);
}

export const browserHiddenMain: Scenario = {
  name: 'browser-hidden-main',
  title: 'Browser tab hidden, keepalive timer on the main thread (throttled to 1 s)',
  fault:
    'desktop tab hidden for 4 × silence timeout (another tab in front), keepalive timer on the main thread, ' +
    'replies from onmessage off: Chrome fires the timer once a second, longer than the 700 ms silence timeout',
  direction: 'desktop',
  expected: { domain: 'desktop', cause: 'desktop-throttled' },
  network: 'proxy',
  desktop: 'browser',
  pageQuery: 'timer=main',
  hideablePage: true,
  hidesPage: true,
  timers: HIDDEN_TIMERS,
  pageTimers: HIDDEN_PAGE_TIMERS,
  inject: hideTimerOnly,
};

export const browserHiddenWorker: Scenario = {
  name: 'browser-hidden-worker',
  title: 'Browser tab hidden, keepalive timer in a Web Worker (not throttled)',
  fault:
    'desktop tab hidden for 4 × silence timeout (another tab in front), keepalive timer in a Web Worker, ' +
    'replies from onmessage off: the Worker keeps its 150 ms period and the socket alive',
  direction: 'none',
  expected: { domain: 'none', cause: 'none' },
  network: 'proxy',
  desktop: 'browser',
  hideablePage: true,
  hidesPage: true,
  timers: HIDDEN_TIMERS,
  pageTimers: HIDDEN_PAGE_TIMERS,
  inject: hideTimerOnly,
};

export const BROWSER_HIDDEN_SCENARIOS = [browserHiddenMain, browserHiddenWorker];
