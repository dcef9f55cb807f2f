// Synthetic evidence for the troubleshooter's tests: describe what happened once (a "world": connections,
// messages with where each was seen, failures, desktop signals), then project it onto each kind of evidence a
// reader would produce (HAR, error report, PC capture plain or encrypted, server capture, device log).
// Times in the world are seconds from T0; projections may add a clock offset.
import type { Dir, EvidenceResult, MessageClass, SourceKind, TimelineEvent } from '../../src/events/types.ts';

export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);
export const SERVER_IP = '52.1.2.3';
export const CLIENT_IP = '10.0.0.5';
export const HOST = 'api.wxcc-us1.cisco.com';

export interface WMsg {
  t: number;
  dir: Dir;
  cls: MessageClass;
  conn: number;
  len?: number;
  seq?: number;
  epoch?: string;
  text?: string;
  /** When the desktop application records it (send call / onmessage); default t. null = never recorded. */
  appT?: number | null;
  /** When the PC capture sees it; default t (+0.002 for c2s). null = never on the PC's wire. */
  wireT?: number | null;
  /** The other side ACKs it (TCP); default true. */
  acked?: boolean;
}

export interface WConn {
  n: number;
  open: number;
  port: number;
  close?: {
    t: number;
    how: 'fin' | 'rst' | 'ws-close' | 'error' | 'timeout' | 'unknown';
    by: 'desktop' | 'server' | 'middlebox' | 'unknown';
    code?: number;
    reason?: string;
    ttl?: number;
    expectedTtl?: number;
    /** What the HAR/report see: default same; null = they do not record it. */
    appHow?: 'error' | 'ws-close' | 'rst' | null;
    /** The capture sees it (default true). */
    onWire?: boolean;
  };
}

export interface World {
  conns: WConn[];
  msgs: WMsg[];
  /** Seconds: when the evidence ends. */
  end: number;
  fails?: { t: number; stage: 'dns' | 'tcp' | 'tls' | 'http' | 'ws' | 'unknown'; error: string }[];
  retrans?: { t: number; dir: Dir; conn: number }[];
  /** Server ACKs of desktop data with no message (TCP alive). */
  serverAcks?: { t: number; conn: number }[];
  drift?: { t: number; lateMs: number; expectedMs?: number; wallJumpMs?: number; timer?: 'worker' | 'main' }[];
  lifecycle?: {
    t: number;
    what: 'hidden' | 'visible' | 'freeze' | 'resume' | 'online' | 'offline' | 'discarded' | 'sleep-detected';
  }[];
  states?: { t: number; state: 'connecting' | 'connected' | 'recovering' | 'lost' | 'closed'; reason?: string }[];
  device?: {
    t: number;
    action: 'built' | 'teardown' | 'deny' | 'other';
    cause?:
      | 'fin'
      | 'reset-client'
      | 'reset-server'
      | 'reset-device'
      | 'idle-timeout'
      | 'syn-timeout'
      | 'deny'
      | 'other';
    reason?: string;
    conn?: number;
  }[];
}

const KA = '{"keepalive":"true"}';

/** Keepalives every `every` s in [from, to) on one connection in one direction. */
export function keepalives(
  dir: Dir,
  conn: number,
  from: number,
  to: number,
  every = 4,
  extra: Partial<WMsg> = {},
): WMsg[] {
  const out: WMsg[] = [];
  for (let t = from; t < to - 1e-9; t += every)
    out.push({ t, dir, cls: 'keepalive', conn, len: KA.length, text: KA, ...extra });
  return out;
}

/** A healthy connection: Welcome, keepalives both ways every 4 s. */
export function healthy(conn: number, from: number, to: number): WMsg[] {
  return [
    { t: from + 0.1, dir: 's2c', cls: 'welcome', conn, len: 48, text: '{"type":"Welcome","data":{"agentId":"a1"}}' },
    ...keepalives('c2s', conn, from + 0.5, to),
    ...keepalives('s2c', conn, from + 2.5, to),
  ];
}

const ms = (sec: number, offsetMs = 0) => T0 + sec * 1000 + offsetMs;

function result(
  file: string,
  kind: SourceKind,
  format: string,
  events: TimelineEvent[],
  lastTs?: number,
  extra: Record<string, unknown> = {},
): EvidenceResult {
  events.sort((a, b) => a.ts - b.ts);
  return {
    file,
    kind,
    format,
    events,
    problems: [],
    meta: { firstTs: events[0]?.ts, lastTs: lastTs ?? events[events.length - 1]?.ts, ...extra },
  };
}

/** What Chrome's DevTools HAR shows: the socket's URL, messages as the browser saw them, errors. */
export function toHar(w: World, opts: { file?: string; offsetMs?: number } = {}): EvidenceResult {
  const file = opts.file ?? 'desktop.har';
  const off = opts.offsetMs ?? 0;
  const base = (conn: number) => ({ source: file, sourceKind: 'har' as const, conn: `har-${conn}` });
  const ev: TimelineEvent[] = [];
  for (const c of w.conns) {
    ev.push({
      ...base(c.n),
      kind: 'conn-open',
      ts: ms(c.open + 0.3, off),
      layer: 'ws',
      host: HOST,
      url: `wss://${HOST}/v1/notification/subscription/s${c.n}`,
    });
    if (c.close && c.close.appHow !== null) {
      const how = c.close.appHow ?? (c.close.how === 'rst' ? 'error' : c.close.how);
      if (how === 'error')
        ev.push({
          ...base(c.n),
          kind: 'conn-close',
          ts: ms(c.close.t + 0.01, off),
          how: 'error',
          by: 'unknown',
          reason: c.close.how === 'rst' ? 'net::ERR_CONNECTION_RESET' : 'net::ERR_CONNECTION_CLOSED',
        });
      else
        ev.push({
          ...base(c.n),
          kind: 'conn-close',
          ts: ms(c.close.t + 0.01, off),
          how: how as 'ws-close',
          by: c.close.by,
          ...(c.close.code !== undefined ? { wsCode: c.close.code } : {}),
          ...(c.close.reason ? { reason: c.close.reason } : {}),
        });
    }
  }
  for (const m of w.msgs) {
    if (m.appT === null) continue;
    ev.push({
      ...base(m.conn),
      kind: 'ws-message',
      ts: ms(m.appT ?? m.t, off),
      dir: m.dir,
      opcode: 1,
      length: m.len ?? 20,
      cls: m.cls,
      ...(m.seq !== undefined ? { seq: m.seq, epoch: m.epoch ?? 'e1' } : {}),
      ...(m.text ? { text: m.text } : {}),
    });
  }
  for (const f of w.fails ?? [])
    ev.push({
      source: file,
      sourceKind: 'har',
      kind: 'conn-fail',
      ts: ms(f.t, off),
      stage: f.stage,
      error:
        f.stage === 'dns'
          ? 'net::ERR_NAME_NOT_RESOLVED'
          : /REFUSED/.test(f.error)
            ? 'net::ERR_CONNECTION_REFUSED'
            : 'net::ERR_CONNECTION_TIMED_OUT',
    });
  return result(file, 'har', 'har-chrome', ev, undefined, { blindTo: ['ping/pong frames', 'TCP'] });
}

/** Lifeline's desktop error report: messages as the page's JavaScript saw them, plus drift/lifecycle/state/reconnects. */
export function toReport(w: World, opts: { file?: string; offsetMs?: number } = {}): EvidenceResult {
  const file = opts.file ?? 'error-report.json';
  const off = opts.offsetMs ?? 0;
  const b = { source: file, sourceKind: 'report' as const };
  const ev: TimelineEvent[] = [];
  for (const c of w.conns) {
    ev.push({ ...b, conn: `conn-${c.n}`, kind: 'conn-open', ts: ms(c.open + 0.3, off), layer: 'ws', host: HOST });
    if (c.close && c.close.appHow !== null) {
      const how = c.close.how === 'rst' || c.close.appHow === 'error' ? 'error' : 'ws-close';
      ev.push({
        ...b,
        conn: `conn-${c.n}`,
        kind: 'conn-close',
        ts: ms(c.close.t + 0.01, off),
        how,
        by: how === 'error' ? 'unknown' : c.close.by,
        ...(c.close.code !== undefined ? { wsCode: c.close.code } : {}),
        ...(c.close.reason ? { reason: c.close.reason } : {}),
      });
    }
  }
  for (const m of w.msgs) {
    if (m.appT === null) continue;
    ev.push({
      ...b,
      conn: `conn-${m.conn}`,
      kind: 'ws-message',
      ts: ms((m.appT ?? m.t) + 0.001, off),
      dir: m.dir,
      opcode: 1,
      length: m.len ?? 20,
      cls: m.cls,
      ...(m.seq !== undefined ? { seq: m.seq, epoch: m.epoch ?? 'e1' } : {}),
    });
  }
  for (const f of w.fails ?? [])
    ev.push({ ...b, kind: 'conn-fail', ts: ms(f.t, off), stage: f.stage, error: f.error, host: HOST });
  for (const d of w.drift ?? [])
    ev.push({
      ...b,
      kind: 'desktop-drift',
      ts: ms(d.t, off),
      timer: d.timer ?? 'main',
      expectedMs: d.expectedMs ?? 4000,
      actualMs: (d.expectedMs ?? 4000) + d.lateMs,
      lateMs: d.lateMs,
      wallJumpMs: d.wallJumpMs ?? 0,
    });
  for (const l of w.lifecycle ?? []) ev.push({ ...b, kind: 'desktop-lifecycle', ts: ms(l.t, off), what: l.what });
  for (const s of w.states ?? [])
    ev.push({
      ...b,
      kind: 'desktop-state',
      ts: ms(s.t, off),
      state: s.state,
      ...(s.reason ? { reason: s.reason } : {}),
    });
  return result(file, 'report', 'lifeline-report-v1', ev);
}

/**
 * A PC capture: TCP handshake, data segments and ACKs, WebSocket messages (plain) or TLS records (encrypted),
 * retransmissions, RST/FIN with TTLs, DNS answers. `side: 'server'` captures at the server instead (c2s seen when
 * delivered, s2c when sent).
 */
export function toCapture(
  w: World,
  opts: { file?: string; offsetMs?: number; tls?: boolean; side?: 'pc' | 'server' } = {},
): EvidenceResult {
  const file = opts.file ?? (opts.side === 'server' ? 'server.pcap' : 'pc.pcapng');
  const off = opts.offsetMs ?? 0;
  const ev: TimelineEvent[] = [];
  const key = (c: WConn) => `${CLIENT_IP}:${c.port}-${SERVER_IP}:443`;
  const connOf = new Map(w.conns.map((c) => [c.n, c]));
  const nextSeq = new Map<string, number>();
  const b = (c: WConn) => ({ source: file, sourceKind: 'capture' as const, conn: key(c) });
  ev.push({
    source: file,
    sourceKind: 'capture',
    kind: 'dns-answer',
    ts: ms(w.conns[0].open - 0.5, off),
    name: HOST,
    addresses: [SERVER_IP],
  });
  for (const c of w.conns) {
    ev.push({ ...b(c), kind: 'conn-open', ts: ms(c.open, off), layer: 'tcp', ip: SERVER_IP, port: 443 });
    if (c.close && c.close.onWire !== false) {
      ev.push({
        ...b(c),
        kind: 'conn-close',
        ts: ms(c.close.t, off),
        how: c.close.how,
        by: c.close.by,
        ...(c.close.code !== undefined ? { wsCode: c.close.code } : {}),
        ...(c.close.reason ? { reason: c.close.reason } : {}),
        ...(c.close.ttl !== undefined ? { ttl: c.close.ttl, expectedTtl: c.close.expectedTtl } : {}),
      });
    }
  }
  const serverSide = opts.side === 'server';
  for (const m of w.msgs) {
    const c = connOf.get(m.conn)!;
    // PC side: c2s seen when sent (unless lost before the wire), s2c seen when delivered.
    let t: number | null | undefined = m.wireT === undefined ? m.t + (m.dir === 'c2s' ? 0.002 : 0) : m.wireT;
    if (serverSide) t = m.dir === 's2c' ? m.t : m.acked === false ? null : m.t + 0.02;
    if (t === null || t === undefined) continue;
    const k = `${m.conn}|${m.dir}`;
    const seq = nextSeq.get(k) ?? 200;
    const wireLen = (m.len ?? 20) + (m.dir === 'c2s' ? 6 : 2) + (opts.tls ? 29 : 0);
    nextSeq.set(k, seq + wireLen);
    ev.push({ ...b(c), kind: 'tcp-data', ts: ms(t, off), dir: m.dir, seq, len: wireLen });
    if (opts.tls)
      ev.push({ ...b(c), kind: 'tls-record', ts: ms(t, off), dir: m.dir, contentType: 23, length: wireLen - 5 });
    else
      ev.push({
        ...b(c),
        kind: 'ws-message',
        ts: ms(t, off),
        dir: m.dir,
        opcode: 1,
        length: m.len ?? 20,
        cls: m.cls,
        ...(m.seq !== undefined ? { seq: m.seq, epoch: m.epoch ?? 'e1' } : {}),
        ...(m.text ? { text: m.text } : {}),
      });
    if (m.acked !== false)
      ev.push({
        ...b(c),
        kind: 'tcp-ack',
        ts: ms(t + 0.03, off),
        dir: m.dir === 'c2s' ? 's2c' : 'c2s',
        ack: seq + wireLen,
      });
  }
  for (const a of w.serverAcks ?? []) {
    const c = connOf.get(a.conn)!;
    ev.push({ ...b(c), kind: 'tcp-ack', ts: ms(a.t, off), dir: 's2c', ack: nextSeq.get(`${a.conn}|c2s`) ?? 200 });
  }
  for (const r of w.retrans ?? []) {
    if (serverSide ? r.dir === 'c2s' : r.dir === 's2c') continue; // each side sees its own retransmissions
    const c = connOf.get(r.conn)!;
    const seq = (nextSeq.get(`${r.conn}|${r.dir}`) ?? 200) - 26;
    ev.push({ ...b(c), kind: 'tcp-data', ts: ms(r.t, off), dir: r.dir, seq, len: 26 });
    ev.push({ ...b(c), kind: 'tcp-anomaly', ts: ms(r.t, off), dir: r.dir, flag: 'retransmission', seq });
  }
  for (const f of w.fails ?? [])
    if (f.stage === 'tcp' || f.stage === 'tls')
      ev.push({
        source: file,
        sourceKind: 'capture',
        kind: 'conn-fail',
        ts: ms(f.t, off),
        stage: f.stage,
        error: f.stage === 'tcp' ? 'SYN without SYN-ACK' : f.error,
        conn: `${CLIENT_IP}:${60000 + Math.round(f.t)}-${SERVER_IP}:443`,
      });
  return result(file, 'capture', opts.tls ? 'pcapng-tls' : 'pcapng', ev, ms(w.end, off));
}

/** A firewall log (ASA-like) with an optional clock offset (e.g. +3600 s for a device on local time). */
export function toDeviceLog(
  w: World,
  opts: { file?: string; offsetMs?: number; tuple?: boolean } = {},
): EvidenceResult {
  const file = opts.file ?? 'asa.log';
  const off = opts.offsetMs ?? 0;
  const ev: TimelineEvent[] = [];
  const connOf = new Map(w.conns.map((c) => [c.n, c]));
  let line = 1;
  for (const c of w.conns) {
    const tuple = opts.tuple !== false ? { srcIp: CLIENT_IP, srcPort: c.port, dstIp: SERVER_IP, dstPort: 443 } : {};
    ev.push({
      source: file,
      sourceKind: 'device-log',
      kind: 'device-log',
      ts: ms(c.open, off),
      vendor: 'cisco-asa',
      action: 'built',
      ...tuple,
      raw: `%ASA-6-302013: Built outbound TCP connection ${c.n} for outside:${SERVER_IP}/443 to inside:${CLIENT_IP}/${c.port}`,
      line: line++,
      clockUncertain: true,
    });
  }
  for (const d of w.device ?? []) {
    const c = d.conn !== undefined ? connOf.get(d.conn) : undefined;
    const tuple =
      c && opts.tuple !== false ? { srcIp: CLIENT_IP, srcPort: c.port, dstIp: SERVER_IP, dstPort: 443 } : {};
    ev.push({
      source: file,
      sourceKind: 'device-log',
      kind: 'device-log',
      ts: ms(d.t, off),
      vendor: 'cisco-asa',
      action: d.action,
      ...(d.cause ? { cause: d.cause } : {}),
      ...(d.reason ? { reason: d.reason } : {}),
      ...tuple,
      raw: `%ASA-6-302014: Teardown TCP connection for outside:${SERVER_IP}/443 to inside:${CLIENT_IP}/${c?.port ?? 0} duration 0:00:40 bytes 1234 ${d.reason ?? ''}`,
      line: line++,
      clockUncertain: true,
    });
  }
  return result(file, 'device-log', 'asa', ev);
}
