// Estimates each evidence file's clock offset relative to one reference clock.
// Messages seen by two sources (same direction + class + size, or the same stream position) pair up; the offset
// that pairs the most of them (nearest in time) wins, then the median residual refines it. Device logs pair their
// built/teardown lines with connection starts/ends (by 5-tuple when both sides have it).
// Pure: events in, offsets out.

import type { SourceKind, TimelineEvent } from '../events/types.ts';
import { WXCC_TIMERS } from '../protocol/wxcc.ts';
import { formatDuration } from './duration.ts';
import { parseConnKey } from './find-notifs.ts';

export type AlignMethod = 'reference' | 'messages' | 'connections' | 'five-tuple' | 'client-port' | 'assumed';

export interface Alignment {
  /** Add to a source timestamp to get reference time. */
  offsetMs: number;
  method: AlignMethod;
  /** Events paired with other sources. */
  matches: number;
  /** Spread of the paired residuals (90th percentile of |residual − median|), ms. */
  spreadMs: number;
  /** 0..1: how sure the offset is. */
  confidence: number;
  clockUncertain: boolean;
  /** The open question when the offset could not be established. */
  question?: string;
  /** Which source the pairs were found in. */
  against?: string;
}

export interface AlignInput {
  file: string;
  kind: SourceKind;
  events: TimelineEvent[];
}

export interface Keyed {
  key: string;
  ts: number;
  weight: number;
}

const REFERENCE_ORDER: SourceKind[] = ['capture', 'report', 'har', 'netlog', 'device-log'];
const MESSAGE_TOL_MS = 750;
const CONN_TOL_MS = 1500;
const MAX_OFFSET_MS = 26 * 3_600_000; // device logs: any time zone, plus a little
/**
 * Sources on the PC (HAR, report, NetLog, capture) are searched within ±2 min of each other: keepalives are a
 * perfectly regular rhythm, so a wider search would happily pair one session with another one minutes later.
 */
const MESSAGE_MAX_OFFSET_MS = 2 * 60_000;

/** Picks the reference: a capture, else the error report, else a HAR, else NetLog, else the first file. */
export function chooseReference(inputs: AlignInput[]): AlignInput | undefined {
  for (const kind of REFERENCE_ORDER) {
    const candidates = inputs.filter((i) => i.kind === kind && i.events.length > 0);
    if (candidates.length) return candidates.sort((a, b) => b.events.length - a.events.length)[0];
  }
  return inputs[0];
}

export function alignSources(
  inputs: AlignInput[],
  keepaliveMs: number = WXCC_TIMERS.keepaliveMs,
): { reference?: string; alignments: Map<string, Alignment> } {
  // Pairs must be closer than a quarter keepalive period, or every keepalive pairs with its neighbour.
  const tol = Math.min(MESSAGE_TOL_MS, keepaliveMs / 4);
  const alignments = new Map<string, Alignment>();
  const ref = chooseReference(inputs);
  if (!ref) return { alignments };
  alignments.set(ref.file, {
    offsetMs: 0,
    method: 'reference',
    matches: 0,
    spreadMs: 0,
    confidence: 1,
    clockUncertain: false,
  });
  const aligned: AlignInput[] = [ref];
  const pending = inputs.filter((i) => i !== ref);
  // Non-device sources first, in reference order, so device logs can pair with every aligned connection.
  pending.sort((a, b) => REFERENCE_ORDER.indexOf(a.kind) - REFERENCE_ORDER.indexOf(b.kind));
  for (const src of pending) {
    const a =
      src.kind === 'device-log'
        ? alignDeviceLog(src, aligned, alignments)
        : alignByMessages(src, aligned, alignments, tol);
    alignments.set(src.file, a);
    aligned.push(src);
  }
  return { reference: ref.file, alignments };
}

function messageKeys(events: TimelineEvent[]): Keyed[] {
  const out: Keyed[] = [];
  for (const e of events) {
    if (e.kind !== 'ws-message') continue;
    // A stream position pairs exactly; the class+size key still pairs it with a source that lacks the position.
    if (e.seq !== undefined) out.push({ key: `${e.dir}|pos|${e.epoch ?? ''}|${e.seq}`, ts: e.ts, weight: 10 });
    out.push({ key: `${e.dir}|${e.cls}|${e.length}`, ts: e.ts, weight: e.cls === 'keepalive' ? 1 : 3 });
  }
  return out;
}

/**
 * Connection start/end keys. `full`: server address:port + client port (the 5-tuple as far as NAT leaves it);
 * `client`: the client's address:port only (a proxy or load balancer changes the server side); `none`: timing only.
 */
type TupleMode = 'full' | 'client' | 'none';
function connKeys(events: TimelineEvent[], mode: TupleMode): Keyed[] {
  const out: Keyed[] = [];
  // A connection starts at its first open event (SYN, else TLS/WS) and ends at its last close (the TCP end after
  // a close handshake): that is what a device's built/teardown lines see.
  const firstOpen = new Map<string, number>();
  const lastClose = new Map<string, number>();
  events.forEach((e, i) => {
    if (!e.conn) return;
    if (e.kind === 'conn-open' && !firstOpen.has(e.conn)) firstOpen.set(e.conn, i);
    if (e.kind === 'conn-close') lastClose.set(e.conn, i);
  });
  for (const [i, e] of events.entries()) {
    let what: 'open' | 'close' | undefined;
    let ends: { sIp?: string; sPort?: number; cIp?: string; cPort?: number } | undefined;
    if (e.kind === 'conn-open' && (!e.conn || firstOpen.get(e.conn) === i)) what = 'open';
    else if (e.kind === 'conn-close' && (!e.conn || lastClose.get(e.conn) === i)) what = 'close';
    else if (e.kind === 'device-log' && (e.action === 'built' || e.action === 'teardown')) {
      what = e.action === 'built' ? 'open' : 'close';
      // Devices log initiator → responder, but some log the outside address first: the server is the :443 side.
      const swap = e.srcPort === 443 && e.dstPort !== 443;
      ends = swap
        ? { sIp: e.srcIp, sPort: e.srcPort, cIp: e.dstIp, cPort: e.dstPort }
        : { sIp: e.dstIp, sPort: e.dstPort, cIp: e.srcIp, cPort: e.srcPort };
    }
    if (!what) continue;
    if (e.kind !== 'device-log') {
      const k = parseConnKey(e.conn);
      if (k) ends = { sIp: k.serverIp, sPort: k.serverPort, cIp: k.clientIp, cPort: k.clientPort };
    }
    if (mode === 'none') {
      out.push({ key: what, ts: e.ts, weight: 1 });
      continue;
    }
    if (!ends || ends.cPort === undefined) continue;
    // A teardown can lag the end a capture saw (timeouts, held frames): starts weigh more.
    const weight = what === 'open' ? 10 : 4;
    if (mode === 'full' && ends.sIp && ends.sPort !== undefined)
      out.push({ key: `${what}|${ends.sIp}:${ends.sPort}|${ends.cPort}`, ts: e.ts, weight });
    if (mode === 'client' && ends.cIp) out.push({ key: `${what}|c|${ends.cIp}:${ends.cPort}`, ts: e.ts, weight });
  }
  return out;
}

function shifted(
  input: AlignInput,
  alignments: Map<string, Alignment>,
  keys: (ev: TimelineEvent[]) => Keyed[],
): Keyed[] {
  const off = alignments.get(input.file)?.offsetMs ?? 0;
  return keys(input.events).map((k) => ({ ...k, ts: k.ts + off }));
}

function alignByMessages(
  src: AlignInput,
  aligned: AlignInput[],
  alignments: Map<string, Alignment>,
  tol: number,
): Alignment {
  const mine = messageKeys(src.events);
  let best: (Match & { against: string }) | undefined;
  for (const other of aligned) {
    const m = bestOffset(mine, shifted(other, alignments, messageKeys), tol, MESSAGE_MAX_OFFSET_MS);
    if (m && (!best || m.score > best.score)) best = { ...m, against: other.file };
  }
  if (best && best.matches >= 3) {
    return {
      offsetMs: best.offset,
      method: 'messages',
      matches: best.matches,
      spreadMs: best.spread,
      confidence: matchConfidence(best.matches, best.spread),
      clockUncertain: best.matches < 3,
      against: best.against,
    };
  }
  // Encrypted captures have no messages to pair: try connection starts/ends.
  const conn = alignByConnections(src, aligned, alignments, false);
  if (conn) return conn;
  return {
    offsetMs: 0,
    method: 'assumed',
    matches: best?.matches ?? 0,
    spreadMs: 0,
    confidence: 0.3,
    clockUncertain: true,
    question:
      `${src.file} shares no message or connection event with the other evidence; its clock was assumed to ` +
      `equal the reference clock. Were both recorded on the same PC (same clock)?`,
  };
}

function alignByConnections(
  src: AlignInput,
  aligned: AlignInput[],
  alignments: Map<string, Alignment>,
  device: boolean,
): Alignment | undefined {
  // Device clocks may be off by a time zone; sources on the PC only by clock drift.
  const maxAbs = device ? MAX_OFFSET_MS : MESSAGE_MAX_OFFSET_MS;
  // Five-tuple pairs first: they cannot be confused with another connection. Then the client endpoint alone.
  let best: (Match & { against: string }) | undefined;
  let mode: TupleMode = 'full';
  for (const m of ['full', 'client'] as const) {
    const mineT = connKeys(src.events, m);
    for (const other of aligned) {
      const r = bestOffset(
        mineT,
        shifted(other, alignments, (ev) => connKeys(ev, m)),
        CONN_TOL_MS,
        maxAbs,
      );
      // One start, or two ends: a single teardown alone could be seconds off.
      if (r && r.score >= 8 && (!best || r.score > best.score)) best = { ...r, against: other.file };
    }
    if (best) {
      mode = m;
      break;
    }
  }
  if (best) {
    return {
      offsetMs: best.offset,
      method: mode === 'full' ? 'five-tuple' : 'client-port',
      matches: best.matches,
      spreadMs: best.spread,
      confidence: Math.min(0.95, (mode === 'full' ? 0.6 : 0.5) + 0.1 * best.matches),
      clockUncertain: false,
      against: best.against,
    };
  }
  const mine = connKeys(src.events, 'none');
  for (const other of aligned) {
    const m = bestOffset(
      mine,
      shifted(other, alignments, (ev) => connKeys(ev, 'none')),
      CONN_TOL_MS,
      maxAbs,
    );
    if (m && m.matches >= 2 && (!best || m.score > best.score)) best = { ...m, against: other.file };
  }
  if (!best) return undefined;
  return {
    offsetMs: best.offset,
    method: 'connections',
    matches: best.matches,
    spreadMs: best.spread,
    confidence: Math.min(0.6, 0.3 + 0.1 * best.matches),
    clockUncertain: true,
    against: best.against,
    question: device
      ? `${src.file}: aligned only by the timing of ${best.matches} connection start/end line(s) (no 5-tuple match), ` +
        `offset ${formatDuration(best.offset)}. Confirm the device's clock (time zone, NTP) or log the 5-tuple.`
      : `${src.file}: aligned only by the timing of ${best.matches} connection start/end event(s).`,
  };
}

function alignDeviceLog(src: AlignInput, aligned: AlignInput[], alignments: Map<string, Alignment>): Alignment {
  const a = alignByConnections(src, aligned, alignments, true);
  if (a) return a;
  return {
    offsetMs: 0,
    method: 'assumed',
    matches: 0,
    spreadMs: 0,
    confidence: 0.2,
    clockUncertain: true,
    question:
      `${src.file}: no built/teardown line matches a connection start/end in the other evidence, so its clock ` +
      `offset is unknown (times taken as written). Is the device on UTC and NTP-synced? Its times may be off by ` +
      `the device's time-zone offset.`,
  };
}

interface Match {
  offset: number;
  matches: number;
  score: number;
  spread: number;
}

/**
 * The offset d (added to `mine`) that pairs the most weight of `mine` with `theirs` of the same key within `tol`.
 * Candidates come from the distinctive pairs first (stream positions, rare classes); ties go to the smaller |d|
 * because clocks on one PC rarely differ by a keepalive period.
 */
export function bestOffset(mine: Keyed[], theirs: Keyed[], tol: number, maxAbs: number): Match | undefined {
  if (mine.length === 0 || theirs.length === 0) return undefined;
  const byKey = new Map<string, number[]>();
  for (const t of theirs) {
    let arr = byKey.get(t.key);
    if (!arr) byKey.set(t.key, (arr = []));
    arr.push(t.ts);
  }
  for (const arr of byKey.values()) arr.sort((a, b) => a - b);
  const usable = mine.filter((m) => byKey.has(m.key));
  if (usable.length === 0) return undefined;
  // Candidate offsets: every pairing (within maxAbs) of a few distinctive events and a few spread over the span.
  const byWeight = [...usable].sort((a, b) => b.weight - a.weight || a.ts - b.ts);
  const sample = [...byWeight.slice(0, 8), ...evenSample(usable, 8)];
  const cand = new Set<number>();
  for (const m of sample) {
    const arr = byKey.get(m.key)!;
    const lo = lowerBound(arr, m.ts - maxAbs);
    const hi = lowerBound(arr, m.ts + maxAbs + 1);
    for (const t of evenSample(arr.slice(lo, hi), 400)) cand.add(Math.round(t - m.ts));
  }
  const candidates = evenSample([...cand], 1000);
  const scored = evenSample(usable, 300);
  // How well shifting every scored event by `d` lands it on an event of the same key (weighted, and the count).
  const pairAt = (d: number): { score: number; matches: number } => {
    let score = 0;
    let matches = 0;
    for (const m of scored) {
      const near = nearest(byKey.get(m.key)!, m.ts + d);
      if (Math.abs(near - (m.ts + d)) <= tol) {
        score += m.weight;
        matches++;
      }
    }
    return { score, matches };
  };
  let best: Match | undefined;
  for (const d of candidates) {
    const { score, matches } = pairAt(d);
    if (!best || score > best.score || (score === best.score && Math.abs(d) < Math.abs(best.offset)))
      best = { offset: d, matches, score, spread: 0 };
  }
  if (!best || best.matches === 0) return undefined;
  // Clocks of one PC rarely differ: an offset near zero that pairs nearly as well beats a far one (a periodic
  // rhythm pairs almost as well one period off, and jitter can tip the count).
  let nearZero: Match | undefined;
  for (const d of candidates) {
    if (Math.abs(d) > 2 * tol) continue;
    const { score, matches } = pairAt(d);
    if (!nearZero || score > nearZero.score) nearZero = { offset: d, matches, score, spread: 0 };
  }
  if (nearZero && nearZero !== best && nearZero.score >= 0.75 * best.score) best = nearZero;
  // Refine with the median residual of the pairs at the chosen offset.
  const res: number[] = [];
  for (const m of usable) {
    const near = nearest(byKey.get(m.key)!, m.ts + best.offset);
    const r = near - (m.ts + best.offset);
    if (Math.abs(r) <= tol) res.push(r);
  }
  res.sort((a, b) => a - b);
  const med = res[res.length >> 1] ?? 0;
  const dev = res.map((r) => Math.abs(r - med)).sort((a, b) => a - b);
  const spread = dev[Math.min(dev.length - 1, Math.floor(dev.length * 0.9))] ?? 0;
  return { offset: best.offset + med, matches: res.length, score: best.score, spread };
}

function lowerBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function nearest(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  const a = sorted[lo];
  const b = lo > 0 ? sorted[lo - 1] : a;
  return Math.abs(a - x) <= Math.abs(b - x) ? a : b;
}

function evenSample<T>(arr: T[], n: number): T[] {
  if (arr.length <= n) return arr;
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(arr[Math.floor((i * arr.length) / n)]);
  return out;
}

function matchConfidence(matches: number, spread: number): number {
  let c = matches >= 20 ? 0.95 : matches >= 5 ? 0.85 : matches >= 3 ? 0.7 : 0.5;
  if (spread > 250) c -= 0.2;
  return Math.max(0.1, c);
}
