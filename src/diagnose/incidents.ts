// Incidents: every silence of at least the silence timeout in either direction (per source and direction: the gap
// between consecutive messages of any class — any message is proof of life), every connection end, every failed
// (re)connect, every burst of late messages and every out-of-order stream position. Overlapping triggers merge
// into one incident; a drop, the failed attempts after it and the next working connection are one incident.
import type { Dir, SourceKind } from '../events/types.ts';
import { formatDuration } from './duration.ts';
import type { DiagnoseOptions, Outcome } from './model.ts';
import type { AlignedEvent, Timeline } from './timeline.ts';
import { indexOf, lowerBound, type MessageTimes, work } from './timeline-index.ts';

export type { MessageTimes };

export type TriggerKind = 'silence' | 'close' | 'conn-fail' | 'device-teardown' | 'burst' | 'reorder';

export interface Trigger {
  kind: TriggerKind;
  source: string;
  sourceKind: SourceKind;
  dir?: Dir;
  /** Reference clock. For a silence: the last message before it and the message that ended it (or the source's end). */
  from: number;
  to: number;
  /** A silence that lasted until the source's evidence ended. */
  tail?: boolean;
  fact: string;
  event?: AlignedEvent;
}

export interface Incident {
  id: number;
  start: number;
  end: number;
  /** When the desktop would have noticed: start + silence timeout for a silence, the close itself otherwise. */
  detectAt: number;
  /** First message after the disruption (messages flowing again), if any. */
  resumedAt?: number;
  outcome: Outcome;
  triggers: Trigger[];
}

/** Point triggers closer than this to an incident join it (a close and the silence it ends, several sources). */
const MERGE_GAP_MS = 2000;
/** A burst: at least this many messages within BURST_SPAN_MS after a gap of at least 2 keepalive periods. */
const BURST_MIN = 3;
const BURST_SPAN_MS = 1000;

/** Message times per source and direction (sorted); built once per timeline (timeline-index.ts). */
export function messagesBySource(tl: Timeline): Map<string, MessageTimes> {
  return indexOf(tl).msgs;
}

export function findIncidents(tl: Timeline, opts: DiagnoseOptions): Incident[] {
  const triggers: Trigger[] = [];
  const kindOf = new Map(tl.sources.map((s) => [s.file, s]));
  const msgs = messagesBySource(tl);
  for (const [source, m] of msgs) {
    const info = kindOf.get(source);
    const sourceKind = info?.kind ?? 'capture';
    const sourceEnd = info?.lastTs ?? -Infinity;
    for (const dir of ['c2s', 's2c'] as const) {
      const ts = m[dir];
      if (ts.length === 0) continue;
      for (let i = 1; i < ts.length; i++) {
        const gap = ts[i] - ts[i - 1];
        if (gap >= opts.silenceMs)
          triggers.push({
            kind: 'silence',
            source,
            sourceKind,
            dir,
            from: ts[i - 1],
            to: ts[i],
            fact: `no ${dirWords(dir)} message for ${formatDuration(gap)}`,
          });
      }
      const last = ts[ts.length - 1];
      if (sourceEnd - last >= opts.silenceMs)
        triggers.push({
          kind: 'silence',
          source,
          sourceKind,
          dir,
          from: last,
          to: sourceEnd,
          tail: true,
          fact: `no ${dirWords(dir)} message for the last ${formatDuration(sourceEnd - last)} of the evidence`,
        });
    }
    triggers.push(...bursts(source, sourceKind, m.events.s2c, opts));
    triggers.push(...reorders(source, sourceKind, m.events.s2c));
  }
  work.incidents += tl.events.length;
  for (const e of tl.events) {
    const sourceKind = kindOf.get(e.source)?.kind ?? e.sourceKind;
    if (e.kind === 'conn-close')
      triggers.push({
        kind: 'close',
        source: e.source,
        sourceKind,
        from: e.ts,
        to: e.ts,
        event: e,
        fact: `connection ended: ${e.how}${e.by ? ` by ${e.by}` : ''}${e.wsCode !== undefined ? ` (code ${e.wsCode})` : ''}`,
      });
    else if (e.kind === 'ws-control' && e.op === 'close')
      triggers.push({
        kind: 'close',
        source: e.source,
        sourceKind,
        dir: e.dir,
        from: e.ts,
        to: e.ts,
        event: e,
        fact: `WebSocket close frame ${dirWords(e.dir)}${e.code !== undefined ? ` (code ${e.code})` : ''}`,
      });
    else if (e.kind === 'conn-fail')
      triggers.push({
        kind: 'conn-fail',
        source: e.source,
        sourceKind,
        from: e.ts,
        to: e.ts,
        event: e,
        fact: `connect failed at ${e.stage}: ${e.error}`,
      });
    // A device's normal FIN teardown is every short HTTP connection too: with message-bearing evidence at hand the
    // real ends show there, so only resets, timeouts and denies start incidents.
    else if (
      e.kind === 'device-log' &&
      (e.action === 'teardown' || e.action === 'deny') &&
      (e.cause !== 'fin' || msgs.size === 0)
    )
      triggers.push({
        kind: 'device-teardown',
        source: e.source,
        sourceKind,
        from: e.ts,
        to: e.ts,
        event: e,
        fact: `device ${e.action}${e.reason ? `: ${e.reason}` : ''}`,
      });
  }
  triggers.sort((a, b) => a.from - b.from || a.to - b.to);

  // Pass 1: overlapping triggers (within MERGE_GAP_MS) are one incident.
  const groups: Trigger[][] = [];
  let end = -Infinity;
  for (const t of triggers) {
    if (groups.length && t.from <= end + MERGE_GAP_MS) {
      groups[groups.length - 1].push(t);
      end = Math.max(end, t.to);
    } else {
      groups.push([t]);
      end = t.to;
    }
  }
  // Pass 2: while a drop has not recovered, later failures and silences within the recovery timeout belong to it.
  // One sweep: an incident only ever merges with the one after it (merging never changes its start, so the
  // incident before it is not affected).
  const incidents: Incident[] = [];
  let cur: { g: Trigger[]; inc: Incident } | undefined;
  for (const g of groups) {
    const inc = toIncident(g, tl, msgs, opts);
    const a = cur?.inc;
    if (cur && a && (a.resumedAt === undefined || a.resumedAt >= inc.start) && inc.start - a.end <= opts.recoveryMs) {
      for (const t of g) cur.g.push(t);
      cur.inc = toIncident(cur.g, tl, msgs, opts);
      continue;
    }
    if (cur) incidents.push(cur.inc);
    cur = { g: [...g], inc };
  }
  if (cur) incidents.push(cur.inc);
  for (const [i, inc] of incidents.entries()) inc.id = i + 1;
  return incidents;
}

function toIncident(g: Trigger[], tl: Timeline, all: Map<string, MessageTimes>, opts: DiagnoseOptions): Incident {
  work.incidents += g.length;
  // Only evidence of the same time span can show this incident's recovery (files days apart are other timelines).
  const seg = tl.segmentOf.get(g[0].source);
  const evidenceEnd = seg === undefined ? (tl.end ?? -Infinity) : tl.segmentEnd[seg];
  const msgs = tl.segmentEnd.length > 1 ? new Map([...all].filter(([src]) => tl.segmentOf.get(src) === seg)) : all;
  let start = Infinity;
  let end = -Infinity;
  for (const t of g) {
    if (t.from < start) start = t.from;
    if (t.to > end) end = t.to;
  }
  const drops = g.filter((t) => t.kind === 'close' || t.kind === 'conn-fail' || t.kind === 'device-teardown');
  const silences = g.filter((t) => t.kind === 'silence');
  const firstIsSilence = g[0].kind === 'silence' || (silences.length > 0 && silences[0].from <= start);
  const detectAt = firstIsSilence ? start + opts.silenceMs : start;

  let resumedAt: number | undefined;
  // A silence that ran to the end of its file ends where another file shows that direction talking again.
  const ends = silences.map((s) => (s.tail ? firstMessageAfter(msgs, s.from, s.dir) : s.to));
  if (!ends.some((e) => e === undefined)) {
    let t = ends.length ? maxOf(ends as number[]) : start;
    if (drops.length) {
      const lastDrop = maxOf(drops.map((d) => d.from));
      // Without any message-bearing evidence (device logs alone), a new connection is the best sign of recovery.
      const next = all.size > 0 ? firstMessageAfter(msgs, lastDrop) : firstOpenAfter(tl, lastDrop, seg);
      t = next === undefined ? Number.NaN : Math.max(t, next);
    }
    if (!Number.isNaN(t)) resumedAt = t;
  }
  const lost = indexOf(tl).lostTimes;
  const firstLost = lost[lowerBound(lost, start)];
  const lostState = firstLost !== undefined && (resumedAt === undefined || firstLost <= resumedAt);
  let outcome: Outcome;
  if (resumedAt !== undefined) {
    const after = resumedAt - start;
    outcome =
      lostState || resumedAt - detectAt > opts.recoveryMs
        ? { status: 'lost', resumedAfterMs: after }
        : { status: 'recovered', recoveredAfterMs: after };
  } else {
    outcome = { status: lostState || evidenceEnd - detectAt >= opts.recoveryMs ? 'lost' : 'ongoing' };
  }
  return { id: 0, start, end: Math.max(end, resumedAt ?? end), detectAt, resumedAt, outcome, triggers: g };
}

function firstMessageAfter(msgs: Map<string, MessageTimes>, t: number, only?: Dir): number | undefined {
  let best: number | undefined;
  for (const m of msgs.values())
    for (const dir of only ? [only] : (['c2s', 's2c'] as const)) {
      const arr = m[dir];
      const i = upper(arr, t);
      if (i < arr.length && (best === undefined || arr[i] < best)) best = arr[i];
    }
  return best;
}

function firstOpenAfter(tl: Timeline, t: number, seg: number | undefined): number | undefined {
  const opens = indexOf(tl).openTimes;
  const next = opens[lowerBound(opens, t, true)];
  // Time spans do not overlap: an open past this span's end belongs to another one.
  return next !== undefined && (seg === undefined || next <= tl.segmentEnd[seg]) ? next : undefined;
}

function maxOf(xs: number[]): number {
  let m = -Infinity;
  for (const x of xs) if (x > m) m = x;
  return m;
}

function upper(arr: number[], t: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function bursts(source: string, sourceKind: SourceKind, s2c: AlignedEvent[], opts: DiagnoseOptions): Trigger[] {
  const out: Trigger[] = [];
  for (let i = 1; i < s2c.length; i++) {
    if (s2c[i].ts - s2c[i - 1].ts < 2 * opts.keepaliveMs) continue;
    // A new connection starting up (Welcome, first messages) is not a late delivery.
    if (s2c[i].conn !== s2c[i - 1].conn) continue;
    // "At once" is relative to the keepalive rhythm: 1 s at 4 s keepalives, a quarter period when faster.
    const span = Math.min(BURST_SPAN_MS, opts.keepaliveMs / 4);
    let j = i;
    while (j + 1 < s2c.length && s2c[j + 1].ts - s2c[i].ts <= span) j++;
    const n = j - i + 1;
    if (n >= BURST_MIN)
      out.push({
        kind: 'burst',
        source,
        sourceKind,
        dir: 's2c',
        from: s2c[i - 1].ts,
        to: s2c[j].ts,
        event: s2c[i],
        fact: `${n} Notifs messages arrived within ${formatDuration(s2c[j].ts - s2c[i].ts)} after ${formatDuration(s2c[i].ts - s2c[i - 1].ts)} without any`,
      });
  }
  return out;
}

function reorders(source: string, sourceKind: SourceKind, s2c: AlignedEvent[]): Trigger[] {
  const out: Trigger[] = [];
  const maxSeq = new Map<string, number>();
  for (const e of s2c) {
    if (e.kind !== 'ws-message' || e.seq === undefined) continue;
    const key = `${e.conn ?? ''}|${e.epoch ?? ''}`;
    const prev = maxSeq.get(key);
    if (prev !== undefined && e.seq < prev)
      out.push({
        kind: 'reorder',
        source,
        sourceKind,
        dir: 's2c',
        from: e.ts,
        to: e.ts,
        event: e,
        fact: `stream position ${e.seq} arrived after ${prev}`,
      });
    maxSeq.set(key, Math.max(prev ?? -Infinity, e.seq));
  }
  return out;
}

export function dirWords(dir: Dir): string {
  return dir === 'c2s' ? 'desktop → Notifs' : 'Notifs → desktop';
}
