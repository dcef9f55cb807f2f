// What a lab scenario is: one injected fault with its expected verdict, run on a live desktop ⇄ Notifs connection.
// Scenario files (src/lab/scenarios/*.ts) only describe the fault and inject it through the context; the runner
// (run-scenario.ts) owns processes, proxy, namespaces, captures and the troubleshooter.
import type { Cause, Domain } from '../diagnose/model.ts';
import type { AgentHandle } from './agent-handle.ts';
import type { LabTimers } from './agent-protocol.ts';
import type { BrowserDesktop } from './browser-desktop.ts';
import type { FaultProxy } from './fault-proxy.ts';
import type { Topology } from './netns.ts';

/** 'none' = a healthy baseline: the troubleshooter should report no incident. */
export interface Expected {
  domain: Domain | 'none';
  cause: Cause | 'none';
}

/**
 * Which lab pair a run uses. `lifeline`: Lifeline's own Notifs and desktop. `foreign`: an independently written
 * WxCC-like Notifs (src/lab/foreign) and a home-grown desktop page with main-thread timers in Chromium — evidence
 * Lifeline did not make, so no verdict can lean on a detail only our own server or desktop produces.
 */
export type Pair = 'lifeline' | 'foreign';

/** How a run is named in directories and listings: `<scenario>` on Lifeline's pair, `<scenario>@foreign` else. */
export function runLabel(name: string, pair: Pair = 'lifeline'): string {
  return pair === 'foreign' ? `${name}@foreign` : name;
}

/** Where the fault acts, from the desktop's side. */
export type FaultDirection = 'upstream' | 'downstream' | 'both' | 'desktop' | 'server' | 'none';

export interface Scenario {
  name: string;
  title: string;
  /** What is injected, in words (goes into truth.json and the demo index). */
  fault: string;
  direction: FaultDirection;
  expected: Expected;
  /** proxy: loopback + TCP fault proxy; netns: desktop/router/notifs namespaces + iptables (root only). */
  network: 'proxy' | 'netns';
  /** node: the Node desktop client in its own process; browser: Chromium on the /desktop/ page. */
  desktop: 'node' | 'browser';
  /** Page options for browser scenarios, e.g. `timer=main` (keepalive timer on the main thread). */
  pageQuery?: string;
  /**
   * Browser scenarios only: open the page so that it can really be hidden (another tab brought to the front makes
   * it `hidden`, with Chrome's background-timer throttling). Playwright's own page setup keeps every page it
   * creates visible (focus emulation), so such a page is opened without it (see browser-desktop.ts).
   */
  hideablePage?: boolean;
  /**
   * A benchmark, not a test: it only means something at production timers and takes minutes (bench/accuracy.ts
   * --production-timers runs it; the CI scenario test and `demo` do not).
   */
  benchOnly?: boolean;
  /** The fault unloads the desktop page (the tab is closed): no error report can be taken from it afterwards. */
  unloadsPage?: boolean;
  /** The fault hides the page (the scenario test then checks, from the report, that Chrome really hid it). */
  hidesPage?: boolean;
  /** Timers for this scenario, over the lab's (server, client and troubleshooter alike). */
  timers?: Partial<LabTimers>;
  /** Browser scenarios: the page's own timers where they differ from Notifs' (over `timers`). */
  pageTimers?: Partial<LabTimers>;
  /** The runner waits for the desktop to be connected again after the fault (default true). */
  expectReconnect?: boolean;
  /**
   * Pairs the scenario runs on (default: lifeline only). A scenario on the foreign pair may only inject through the
   * network (proxy, namespaces), the Notifs agent's commands and the generic browser controls (pause, hide, stop,
   * close the tab) — never through Lifeline's desktop. On the foreign pair the desktop is always the browser page.
   */
  pairs?: Pair[];
  /** Part of `lifeline demo`'s representative set. */
  demo?: boolean;
  /** Breaks the connection, holds the fault, and ends it (if it ends). */
  inject(ctx: ScenarioContext): Promise<void>;
}

export interface ScenarioContext {
  timers: LabTimers;
  notifs: AgentHandle;
  /** The Node desktop (node scenarios). */
  desktop?: AgentHandle;
  browser?: BrowserDesktop;
  proxy?: FaultProxy;
  topo?: Topology;
  /** The port the desktop connects to (proxy or Notifs). */
  desktopPort: number;
  /** The Notifs server port. */
  notifsPort: number;
  /** Notifs address as the desktop sees it. */
  notifsIp: string;
  /** Holds the fault for `ms` (a fault's duration, not a correctness wait). */
  hold(ms: number): Promise<void>;
  /** Waits until the desktop reports one of `states` (after now); fails after `ms`. */
  waitDesktopState(states: string[], ms: number): Promise<void>;
  log(msg: string): void;
}

/** Time window of the injected fault, epoch ms. */
export interface Truth {
  scenario: string;
  /** The lab pair the run used (absent in runs recorded before the foreign pair existed: lifeline). */
  pair?: Pair;
  title: string;
  fault: string;
  direction: FaultDirection;
  network: 'proxy' | 'netns';
  desktop: 'node' | 'browser';
  start: number;
  end: number;
  expected: Expected;
  timers: LabTimers;
  /** Evidence files written (names relative to the run directory), by kind. */
  evidence: Partial<Record<EvidenceKind, string>>;
  notes: string[];
}

export type EvidenceKind = 'report' | 'har' | 'netlog' | 'capture' | 'keylog' | 'device-log';
