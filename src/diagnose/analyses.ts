// Analyses: what the evidence says inside one incident, as plain facts the rules can weigh.
// Views: the desktop application (error report, HAR, NetLog: what the page sent and got), the wire (captures:
// TCP segments, ACKs, retransmissions, RSTs), the desktop itself (timer drift, visibility, sleep) and network
// devices (teardowns, denies). No verdicts here.
import type {
  ConnCloseEvent,
  ConnFailEvent,
  DesktopDriftEvent,
  DesktopLifecycleEvent,
  DeviceLogEvent,
  Dir,
  NetworkChangeEvent,
  SourceKind,
  WsControlEvent,
  WsMessageEvent,
} from '../events/types.ts';
import type { Incident, Trigger } from './incidents.ts';
import type { DiagnoseOptions } from './model.ts';
import type { AlignedEvent, SourceInfo, Timeline } from './timeline.ts';
import {
  APP_KINDS,
  anyWithin,
  countStrictlyBetween,
  firstAtOrAfter,
  inclusiveEnd,
  indexOf,
  type MessageTimes,
  work,
} from './timeline-index.ts';

type A<T> = T & { srcTs?: number };

export { APP_KINDS };

/** Counts on the wire within one window. */
export interface WindowCounts {
  c2sData: number;
  s2cData: number;
  c2sMessages: number;
  s2cMessages: number;
  /** ACK advances sent by the server for desktop bytes sent inside the window / by the desktop. */
  s2cAcks: number;
  c2sAcks: number;
  /** Some desktop byte sent by the window's end was never ACKed. */
  c2sUnacked: boolean;
  s2cOutOfOrder: number;
  s2cPings: number;
}

/** What one capture shows on the wire for the connection(s) live when the incident started. */
export interface WireFacts extends WindowCounts {
  source: string;
  from: number;
  to: number;
  conns: string[];
  /** When this capture's silences began, per direction. */
  s2cSilenceFrom?: number;
  c2sSilenceFrom?: number;
  /** What happened while Notifs → desktop / desktop → Notifs was silent in this capture. */
  duringS2cSilence?: WindowCounts;
  duringC2sSilence?: WindowCounts;
  c2sRetrans: number;
  s2cRetrans: number;
  rsts: A<ConnCloseEvent>[];
}
export interface IncidentFacts {
  incident: Incident;
  opts: DiagnoseOptions;
  sources: Map<string, SourceInfo>;
  kindsPresent: Set<SourceKind>;
  silences: Trigger[];
  /**
   * The messages the desktop application recorded (report, HAR, NetLog), reference clock, from a silence timeout
   * before the incident's first possible close (start − 1 s) to its last (end + 1 s): what a close can be weighed
   * against. Only that window, so each incident costs its own evidence, not the whole file's.
   */
  appMessages: A<WsMessageEvent>[];
  /** The messages (or application-data records) captures saw, same window; per capture c2s then s2c. */
  wireMessages: AlignedEvent[];
  /** Silences seen by desktop-application sources / by captures. */
  appSilent: Record<Dir, Trigger[]>;
  wireSilent: Record<Dir, Trigger[]>;
  /** Desktop-application messages inside a capture's silence in the same direction (sent/received but not on the wire). */
  appDuringWireSilence: Record<Dir, A<WsMessageEvent>[]>;
  /** Capture messages inside a desktop-application silence of the same direction (the wire saw what the page did not). */
  wireDuringAppSilence: Record<Dir, AlignedEvent[]>;
  /** Messages the desktop application recorded in the other direction during its own silence. */
  appOtherDirDuringSilence: Record<Dir, A<WsMessageEvent>[]>;
  wire: WireFacts[];
  closes: (A<ConnCloseEvent> | A<WsControlEvent>)[];
  fails: A<ConnFailEvent>[];
  devices: A<DeviceLogEvent>[];
  drift: A<DesktopDriftEvent>[];
  lifecycle: A<DesktopLifecycleEvent>[];
  /** The last `hidden` before the incident, if the page was still hidden when it started. */
  hiddenAtStart?: A<DesktopLifecycleEvent>;
  offline: (A<DesktopLifecycleEvent> | A<NetworkChangeEvent>)[];
  bursts: Trigger[];
  reorders: Trigger[];
  multilogin?: A<WsMessageEvent>;
  /** Longest quiet (no message) before the first close, per direction, over the sources that saw messages before it. */
  quietBeforeClose: Record<Dir, { ms: number; source?: string }>;
  /** Which direction went quiet first (by ≥ 1.5 keepalive periods), if any. */
  firstSilentDir?: Dir;
  /** Connections a capture saw opened during the incident that never got a Notifs message (nor a WebSocket upgrade). */
  stuckConnects: AlignedEvent[];
  /** Page sends logged after the connection had closed (set by the rules' facts step, withoutSendsIntoClosed). */
  sentIntoClosed?: A<WsMessageEvent>[];
  /** The server is known to be Lifeline (its Welcome or other Lifeline-only messages say so): its close codes are ours. */
  serverIsLifeline?: boolean;
}

/** The events of a time-sorted array with from ≤ ts ≤ to (binary search). */
export function between<T extends { ts: number }>(arr: T[], from: number, to: number): T[] {
  const lo = firstAtOrAfter(arr, from);
  const hi = firstAtOrAfter(arr, inclusiveEnd(to));
  work.analyses += hi - lo;
  return arr.slice(lo, hi);
}

export function analyseIncident(inc: Incident, tl: Timeline, opts: DiagnoseOptions): IncidentFacts {
  const idx = indexOf(tl);
  const msgs = idx.msgs;
  const sources = new Map(tl.sources.map((s) => [s.file, s]));
  const kindsPresent = new Set(tl.sources.filter((s) => s.events > 0).map((s) => s.kind));
  const kindOf = (f: string) => sources.get(f)?.kind;
  const silences = inc.triggers.filter((t) => t.kind === 'silence');
  const isApp = (t: Trigger) => APP_KINDS.includes(t.sourceKind);
  const appSilent = {
    c2s: silences.filter((t) => t.dir === 'c2s' && isApp(t)),
    s2c: silences.filter((t) => t.dir === 's2c' && isApp(t)),
  };
  const wireSilent = {
    c2s: silences.filter((t) => t.dir === 'c2s' && t.sourceKind === 'capture'),
    s2c: silences.filter((t) => t.dir === 's2c' && t.sourceKind === 'capture'),
  };

  // Tolerance for "inside" a silence: alignment spread plus a little.
  const tolOf = (f: string) => 500 + (sources.get(f)?.alignment.spreadMs ?? 0);
  const appMsgs = idx.appMsgs;
  const appDuringWireSilence = { c2s: [] as A<WsMessageEvent>[], s2c: [] as A<WsMessageEvent>[] };
  for (const dir of ['c2s', 's2c'] as const)
    for (const s of wireSilent[dir])
      for (const m of between(appMsgs, s.from, s.to))
        if (m.dir === dir && m.ts > s.from + tolOf(m.source) && m.ts < s.to - tolOf(m.source))
          appDuringWireSilence[dir].push(m);
  const wireDuringAppSilence = { c2s: [] as AlignedEvent[], s2c: [] as AlignedEvent[] };
  for (const dir of ['c2s', 's2c'] as const)
    for (const s of appSilent[dir])
      for (const [src, m] of msgs)
        if (kindOf(src) === 'capture')
          for (const e of between(m.events[dir], s.from, s.to))
            if (e.ts > s.from + tolOf(s.source) && e.ts < s.to - tolOf(s.source)) wireDuringAppSilence[dir].push(e);
  const appOtherDirDuringSilence = { c2s: [] as A<WsMessageEvent>[], s2c: [] as A<WsMessageEvent>[] };
  for (const dir of ['c2s', 's2c'] as const)
    for (const s of appSilent[dir])
      for (const m of between(appMsgs, s.from, s.to))
        if (m.source === s.source && m.dir !== dir && m.ts > s.from + 1.5 * opts.keepaliveMs && m.ts < s.to - 500)
          appOtherDirDuringSilence[dir].push(m);

  // Everything an incident looks at lies between 5 s before it and a minute after it.
  const win = between(tl.events, inc.start - 5000, inc.end + 60_000);
  const lookFrom = inc.start - 1000;
  const lookTo = inc.end + 1000;
  const inWin = (e: AlignedEvent) => e.ts >= lookFrom && e.ts <= lookTo;
  const closes = win.filter(
    (e): e is A<ConnCloseEvent> | A<WsControlEvent> =>
      inWin(e) && (e.kind === 'conn-close' || (e.kind === 'ws-control' && e.op === 'close')),
  );
  const fails = win.filter((e): e is A<ConnFailEvent> => inWin(e) && e.kind === 'conn-fail');
  const devices = win.filter(
    (e): e is A<DeviceLogEvent> => e.kind === 'device-log' && e.ts >= inc.start - 5000 && e.ts <= inc.end + 5000,
  );
  // The desktop notes throttling when the late timer finally fires, which is at or after the silence's end.
  const desktopTo = inc.end + 60_000;
  const drift = win.filter(
    (e): e is A<DesktopDriftEvent> => e.kind === 'desktop-drift' && e.ts >= inc.start - 5000 && e.ts <= desktopTo,
  );
  const lifecycle = win.filter(
    (e): e is A<DesktopLifecycleEvent> =>
      e.kind === 'desktop-lifecycle' && e.ts >= inc.start - 5000 && e.ts <= desktopTo,
  );
  // The last visibility change at or before the start says whether the page was hidden then.
  const vis = idx.visibility;
  let v = firstAtOrAfter(vis, inc.start);
  while (v < vis.length && vis[v].ts <= inc.start) v++;
  const hiddenAtStart = v > 0 && vis[v - 1].what === 'hidden' ? vis[v - 1] : undefined;
  const offline = win.filter(
    (e): e is A<DesktopLifecycleEvent> | A<NetworkChangeEvent> =>
      e.ts >= inc.start - 5000 &&
      e.ts <= inc.end &&
      ((e.kind === 'desktop-lifecycle' && e.what === 'offline') || (e.kind === 'network-change' && e.online === false)),
  );
  const multilogin = win.find(
    (e): e is A<WsMessageEvent> => e.kind === 'ws-message' && e.cls === 'multilogin' && inWin(e),
  );

  const firstClose = closes[0];
  const quietBeforeClose = {
    c2s: { ms: 0 } as { ms: number; source?: string },
    s2c: { ms: 0 } as { ms: number; source?: string },
  };
  if (firstClose)
    for (const [src, m] of msgs)
      for (const dir of ['c2s', 's2c'] as const) {
        const before = lastBefore(m[dir], firstClose.ts - 1);
        if (before === undefined) continue;
        const q = firstClose.ts - before;
        if (q > quietBeforeClose[dir].ms) quietBeforeClose[dir] = { ms: q, source: src };
      }

  let firstSilentDir: Dir | undefined;
  const startOf = (dir: Dir) => Math.min(...silences.filter((s) => s.dir === dir).map((s) => s.from));
  const c = startOf('c2s');
  const s = startOf('s2c');
  const lead = 1.5 * opts.keepaliveMs;
  if (c + lead <= s) firstSilentDir = 'c2s';
  else if (s + lead <= c) firstSilentDir = 's2c';

  const stuckConnects = stuckConnectsOf(inc, tl, opts);
  // Closes lie within start − 1 s … end + 1 s; rules weigh them against the silence timeout before them.
  const msgFrom = lookFrom - opts.silenceMs;
  const wireMessages: AlignedEvent[] = [];
  for (const [src, m] of msgs)
    if (kindOf(src) === 'capture')
      for (const dir of ['c2s', 's2c'] as const)
        for (const e of between(m.events[dir], msgFrom, lookTo)) wireMessages.push(e);
  // Time order, so the rules can take a close's window by binary search.
  wireMessages.sort((a, b) => a.ts - b.ts);

  return {
    incident: inc,
    opts,
    stuckConnects,
    sources,
    kindsPresent,
    silences,
    appMessages: between(appMsgs, msgFrom, lookTo),
    wireMessages,
    appSilent,
    wireSilent,
    appDuringWireSilence,
    wireDuringAppSilence,
    appOtherDirDuringSilence,
    wire: wireFacts(inc, tl, msgs, opts),
    closes,
    fails,
    devices,
    drift,
    lifecycle,
    hiddenAtStart,
    offline,
    bursts: inc.triggers.filter((t) => t.kind === 'burst'),
    reorders: inc.triggers.filter((t) => t.kind === 'reorder'),
    multilogin,
    quietBeforeClose,
    firstSilentDir,
  };
}

/**
 * Reconnects the capture saw start but never come alive: a failed attempt even without a conn-fail event. A
 * connection is alive once Notifs sent on it (or it upgraded) within the silence timeout; one seen in the minute
 * before (an earlier event on it) is not a new attempt.
 */
function stuckConnectsOf(inc: Incident, tl: Timeline, opts: DiagnoseOptions): AlignedEvent[] {
  const idx = indexOf(tl);
  const out: AlignedEvent[] = [];
  const taken = new Set<string>();
  for (const [src, evs] of idx.bySource) {
    if (idx.kindOf.get(src) !== 'capture') continue;
    const times = idx.connTimes.get(src);
    for (const e of between(evs, inc.start, inc.end)) {
      if (e.kind !== 'conn-open' || !e.conn) continue;
      const conn = e.conn;
      const t = times?.get(conn);
      const aliveBy = e.ts + Math.max(opts.silenceMs, 2 * opts.keepaliveMs);
      const alive = t !== undefined && anyWithin(t.alive, e.ts, Math.min(aliveBy, inc.end + opts.silenceMs));
      const seenFirst = taken.has(conn) || (t !== undefined && anyWithin(t.all, inc.start - 60_000, e.ts - 1));
      if (!alive && !seenFirst && aliveBy <= inc.end + opts.silenceMs) {
        out.push(e);
        taken.add(conn);
      }
    }
  }
  return out;
}

function lastBefore(sorted: number[], t: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 ? sorted[lo - 1] : undefined;
}

function wireFacts(inc: Incident, tl: Timeline, msgs: Map<string, MessageTimes>, opts: DiagnoseOptions): WireFacts[] {
  const out: WireFacts[] = [];
  const lead = 1.5 * opts.keepaliveMs;
  for (const src of tl.sources) {
    if (src.kind !== 'capture' || src.events === 0) continue;
    // A minute before the incident is enough to know the live connections and the bytes already sent.
    const own = between(indexOf(tl).bySource.get(src.file) ?? [], inc.start - 60_000, inc.end + 1000);
    work.analyses += 6 * own.length; // countWindow's passes (3 windows × 2) and the retransmission pass
    // The window: this capture's own silence if it saw one, else the whole incident.
    const sil = inc.triggers.filter((t) => t.kind === 'silence' && t.source === src.file);
    // Where several silences overlap (both directions), the window is the time all of them were quiet.
    let from = sil.length ? Math.max(...sil.map((t) => t.from)) : inc.start;
    let to = sil.length ? Math.min(...sil.map((t) => t.to)) : inc.end;
    if (to <= from) {
      from = Math.min(...sil.map((t) => t.from));
      to = Math.max(...sil.map((t) => t.to));
    }
    const firstSil = Math.min(from, ...sil.map((t) => t.from));
    // Connections live at the start (their handshakes after a reconnect are not "the desktop kept sending").
    const conns = new Set<string>();
    for (const e of own) if (e.conn && e.ts <= firstSil + 1 && e.kind !== 'conn-close') conns.add(e.conn);
    for (const e of own) if (e.conn && e.kind === 'conn-close' && e.ts < firstSil) conns.delete(e.conn);
    const m = msgs.get(src.file);
    const count = (a: number, b: number) => countWindow(own, conns, m, a, b);
    const w: WireFacts = {
      source: src.file,
      from,
      to,
      conns: [...conns],
      ...count(from, to),
      c2sRetrans: 0,
      s2cRetrans: 0,
      rsts: [],
    };
    // Per direction: what the other side did while this one was silent (after a grace of 1.5 keepalive periods,
    // so messages already on their way when the silence began do not count).
    const s2cSil = sil.filter((t) => t.dir === 's2c');
    const c2sSil = sil.filter((t) => t.dir === 'c2s');
    if (s2cSil.length) w.s2cSilenceFrom = Math.min(...s2cSil.map((t) => t.from));
    if (c2sSil.length) w.c2sSilenceFrom = Math.min(...c2sSil.map((t) => t.from));
    // "While X was silent, the other side still…" stops where the other side went silent too (what follows is the
    // recovery, not the other side carrying on).
    const s2cFrom = w.s2cSilenceFrom;
    const c2sFrom = w.c2sSilenceFrom;
    if (s2cFrom !== undefined) {
      const end = Math.max(...s2cSil.map((t) => t.to));
      w.duringS2cSilence = count(
        s2cFrom + lead,
        c2sFrom !== undefined && c2sFrom > s2cFrom ? Math.min(end, c2sFrom + 1) : end,
      );
    }
    if (c2sFrom !== undefined) {
      const end = Math.max(...c2sSil.map((t) => t.to));
      w.duringC2sSilence = count(
        c2sFrom + lead,
        s2cFrom !== undefined && s2cFrom > c2sFrom
          ? Math.min(end, s2cFrom + 1)
          : s2cFrom !== undefined
            ? c2sFrom + lead
            : end,
      );
    }
    // Retransmissions anywhere in the incident are the path's trouble, whichever direction's silence they fall in.
    for (const e of own) {
      if (e.ts < inc.start - 1000 || e.ts > inc.end + 1000) continue;
      if (e.kind === 'conn-close' && e.how === 'rst') w.rsts.push(e);
      if (
        e.kind === 'tcp-anomaly' &&
        (e.flag === 'retransmission' || e.flag === 'fast-retransmission') &&
        e.conn &&
        conns.has(e.conn) &&
        e.ts > inc.start &&
        e.ts < inc.end
      ) {
        if (e.dir === 'c2s') w.c2sRetrans++;
        else w.s2cRetrans++;
      }
    }
    out.push(w);
  }
  return out;
}

/** Counts on the given connections within (from, to). */
function countWindow(
  own: AlignedEvent[],
  conns: Set<string>,
  m: MessageTimes | undefined,
  from: number,
  to: number,
): WindowCounts {
  const c: WindowCounts = {
    c2sData: 0,
    s2cData: 0,
    c2sMessages: 0,
    s2cMessages: 0,
    s2cAcks: 0,
    c2sAcks: 0,
    c2sUnacked: false,
    s2cOutOfOrder: 0,
    s2cPings: 0,
  };
  // Per connection: the desktop bytes sent before the window, so only ACKs of bytes sent *inside* it count as
  // "the server received the desktop's data meanwhile".
  const sentBefore = new Map<string, number>();
  const maxSent = new Map<string, number>();
  const maxAck = new Map<string, number>();
  for (const e of own) {
    if (!e.conn || !conns.has(e.conn) || e.ts >= to) continue;
    if (e.kind === 'tcp-data' && e.dir === 'c2s') {
      const end = e.seq + e.len;
      maxSent.set(e.conn, Math.max(maxSent.get(e.conn) ?? 0, end));
      if (e.ts <= from) sentBefore.set(e.conn, Math.max(sentBefore.get(e.conn) ?? 0, end));
    }
    if (e.kind === 'tcp-ack' && e.dir === 's2c') maxAck.set(e.conn, Math.max(maxAck.get(e.conn) ?? 0, e.ack));
  }
  for (const e of own) {
    if (e.ts <= from || e.ts >= to || !e.conn || !conns.has(e.conn)) continue;
    switch (e.kind) {
      case 'tcp-data':
        if (e.dir === 'c2s') c.c2sData++;
        else c.s2cData++;
        break;
      case 'tcp-ack':
        if (e.dir === 'c2s') c.c2sAcks++;
        else if (e.ack > (sentBefore.get(e.conn) ?? 0)) c.s2cAcks++;
        break;
      case 'tcp-anomaly':
        if (e.flag === 'out-of-order' && e.dir === 's2c') c.s2cOutOfOrder++;
        break;
      case 'ws-control':
        if (e.dir === 's2c' && e.op === 'ping') c.s2cPings++;
        break;
    }
  }
  if (m) {
    c.c2sMessages = countStrictlyBetween(m.c2s, from, to);
    c.s2cMessages = countStrictlyBetween(m.s2c, from, to);
  }
  c.c2sUnacked = [...maxSent].some(([conn, sent]) => sent > (maxAck.get(conn) ?? 0));
  return c;
}
