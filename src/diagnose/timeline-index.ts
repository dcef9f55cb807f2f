// Lookups over one timeline, built once (one pass over its events) and shared by incidents, analyses and the
// report series: messages per source and direction, events per source and per connection, and the few event kinds
// an incident looks up by time. Every per-incident question is then a binary search plus its own window, so
// diagnose stays linear in the evidence. Knows events only (no judgement).
import type { DesktopLifecycleEvent, SourceKind, WsMessageEvent } from '../events/types.ts';
import { type AlignedEvent, isMessage, type Timeline } from './timeline.ts';

type A<T> = T & { srcTs?: number };

/** Desktop-application sources: what the page itself recorded. */
export const APP_KINDS: SourceKind[] = ['report', 'har', 'netlog'];

export interface MessageTimes {
  c2s: number[];
  s2c: number[];
  events: { c2s: AlignedEvent[]; s2c: AlignedEvent[] };
}

/** One capture's events of one connection: every event's time, and the times it proved alive (sorted). */
export interface ConnTimes {
  all: number[];
  /** A Notifs → desktop message or a WebSocket upgrade. */
  alive: number[];
}

export interface TimelineIndex {
  msgs: Map<string, MessageTimes>;
  kindOf: Map<string, SourceKind>;
  /** Messages the desktop application recorded (report, HAR, NetLog), time-sorted. */
  appMsgs: A<WsMessageEvent>[];
  bySource: Map<string, AlignedEvent[]>;
  /** Per capture source: connection → its event times. */
  connTimes: Map<string, Map<string, ConnTimes>>;
  /** `hidden` / `visible` lifecycle events, time-sorted (what the page's visibility was at a given time). */
  visibility: A<DesktopLifecycleEvent>[];
  /** Times of `desktop-state: lost` events. */
  lostTimes: number[];
  /** Times of connection starts (conn-open, device `built`). */
  openTimes: number[];
  hasDnsAnswer: boolean;
}

const INDEX = new WeakMap<Timeline, TimelineIndex>();

/**
 * Work counters, for the test that diagnose grows linearly (counted operations, not seconds). Each phase adds the
 * events (or index entries) it visits.
 */
export const work = { index: 0, incidents: 0, analyses: 0 };
export function resetWork(): void {
  work.index = 0;
  work.incidents = 0;
  work.analyses = 0;
}

export function indexOf(tl: Timeline): TimelineIndex {
  let idx = INDEX.get(tl);
  if (!idx) {
    idx = build(tl);
    INDEX.set(tl, idx);
  }
  return idx;
}

function build(tl: Timeline): TimelineIndex {
  const kindOf = new Map(tl.sources.map((s) => [s.file, s.kind]));
  const hasWs = new Set<string>();
  for (const e of tl.events) if (e.kind === 'ws-message') hasWs.add(e.source);
  const idx: TimelineIndex = {
    msgs: new Map(),
    kindOf,
    appMsgs: [],
    bySource: new Map(),
    connTimes: new Map(),
    visibility: [],
    lostTimes: [],
    openTimes: [],
    hasDnsAnswer: false,
  };
  work.index += tl.events.length;
  for (const e of tl.events) {
    let arr = idx.bySource.get(e.source);
    if (!arr) idx.bySource.set(e.source, (arr = []));
    arr.push(e);
    const kind = kindOf.get(e.source) ?? 'capture';
    const capture = kindOf.get(e.source) === 'capture';
    if (isMessage(e, hasWs.has(e.source)) && 'dir' in e && e.dir) {
      let m = idx.msgs.get(e.source);
      if (!m) idx.msgs.set(e.source, (m = { c2s: [], s2c: [], events: { c2s: [], s2c: [] } }));
      m[e.dir].push(e.ts);
      m.events[e.dir].push(e);
    }
    if (e.kind === 'ws-message' && APP_KINDS.includes(kind)) idx.appMsgs.push(e as A<WsMessageEvent>);
    if (capture && e.conn) connTimesOf(idx, e.source, e.conn).all.push(e.ts);
    if (
      capture &&
      e.conn &&
      ((e.kind === 'ws-message' && e.dir === 's2c') || (e.kind === 'conn-open' && e.layer === 'ws'))
    )
      connTimesOf(idx, e.source, e.conn).alive.push(e.ts);
    switch (e.kind) {
      case 'desktop-lifecycle':
        if (e.what === 'hidden' || e.what === 'visible') idx.visibility.push(e);
        break;
      case 'desktop-state':
        if (e.state === 'lost') idx.lostTimes.push(e.ts);
        break;
      case 'conn-open':
        idx.openTimes.push(e.ts);
        break;
      case 'device-log':
        if (e.action === 'built') idx.openTimes.push(e.ts);
        break;
      case 'dns-answer':
        idx.hasDnsAnswer = true;
        break;
    }
  }
  return idx;
}

function connTimesOf(idx: TimelineIndex, source: string, conn: string): ConnTimes {
  let bySrc = idx.connTimes.get(source);
  if (!bySrc) idx.connTimes.set(source, (bySrc = new Map()));
  let c = bySrc.get(conn);
  if (!c) bySrc.set(conn, (c = { all: [], alive: [] }));
  return c;
}

/** Index of the first element with ts ≥ t in a time-sorted array. */
export function firstAtOrAfter<T extends { ts: number }>(arr: T[], t: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid].ts < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first time ≥ t (`strict`: > t) in a sorted array of times. */
export function lowerBound(sorted: number[], t: number, strict = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < t || (strict && sorted[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The end bound `between` uses: `to` itself plus a rounding tolerance. */
export function inclusiveEnd(to: number): number {
  return to + Number.EPSILON * Math.abs(to) + 1e-6;
}

/** Is some time of the sorted array within [from, to] (as `between` counts it)? */
export function anyWithin(sorted: number[], from: number, to: number): boolean {
  const i = lowerBound(sorted, from);
  return i < sorted.length && sorted[i] < inclusiveEnd(to);
}

/** How many times of the sorted array lie strictly between from and to. */
export function countStrictlyBetween(sorted: number[], from: number, to: number): number {
  if (!(to > from)) return 0;
  return Math.max(0, lowerBound(sorted, to) - lowerBound(sorted, from, true));
}
