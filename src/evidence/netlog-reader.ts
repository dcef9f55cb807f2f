// Chrome NetLog (chrome://net-export, or --log-net-log) → timeline events.
// Layout: {"constants": {...}, "events": [ {time, type, source:{id,type}, phase, params}, ... ], "polledData": …}
// `type` and `source.type` are numbers resolved through constants.logEventTypes / logSourceType; `time` is a ms
// string on the tick clock: wall = constants.timeTickOffset + time. A log Chrome did not close (killed) ends
// inside the events array; every complete event before the cut is read and a warning says where the cut is.
//
// How a WebSocket appears (Chromium 156, checked on real logs): a URL_REQUEST source with a ws(s):// url carries
// the upgrade (HTTP_TRANSACTION_READ_RESPONSE_HEADERS "101") and then WEBSOCKET_SENT/RECV_FRAME_HEADER for
// every frame, pings and pongs included. Its socket is a SOCKET source linked through an HTTP_STREAM_JOB
// (HTTP_STREAM_JOB_BOUND_TO_REQUEST / HTTP_STREAM_REQUEST_BOUND_TO_JOB, SOCKET_IN_USE / SOCKET_POOL_BOUND_TO_SOCKET)
// with TCP_CONNECT (remote_address), SOCKET_BYTES_* (wire bytes) and, for TLS, SSL_SOCKET_BYTES_* (plaintext).
// In "Everything" capture mode those carry the bytes (base64): frames are decoded from them to get payloads.
import type { EvidenceResult, Problem, TimelineEvent } from '../events/types.ts';
import { capText, classifyMessage, isLifelineMessage } from '../protocol/classify.ts';
import { wxccDataCentre } from '../protocol/wxcc.ts';
import { streamFile } from './file-source.ts';
import { hostOf, stageOfNetError } from './har-reader.ts';
import { jsonProblem } from './json-entry-stream.ts';
import { JsonStreamParser } from './json-stream.ts';
import { type DecodedFrame, WsFrameDecoder } from './ws-frame-decoder.ts';

type Rec = Record<string, unknown>;
type Dir = 'c2s' | 's2c';

interface FrameHdr {
  dir: Dir;
  ts: number;
  opcode: number;
  length: number;
  fin: boolean;
  offset: number;
}

interface WsReq {
  id: number;
  url: string;
  startTs: number;
  offset: number;
  openTs?: number;
  openOffset?: number;
  failError?: string;
  failTs?: number;
  failOffset?: number;
  frames: FrameHdr[];
  sockets: Set<number>;
  /** WebSocket-level failures logged on the request (invalid frame, upgrade failure, close timeout). */
  errors: { ts: number; offset: number; what: string }[];
}

interface Sock {
  id: number;
  remote?: string;
  ssl: boolean;
  sent: number;
  recv: number;
  wsReq?: number;
  decoders?: { c2s: WsFrameDecoder; s2c: WsFrameDecoder };
  decoded: { c2s: DecodedFrame[]; s2c: DecodedFrame[] };
  payloads: boolean;
  errors: { ts: number; name: string; offset: number; event: string }[];
  endTs?: number;
  endOffset?: number;
}

const MAX_PENDING = 100_000;

export class NetlogMapper {
  readonly problems: Problem[] = [];
  private readonly events: TimelineEvent[] = [];
  private types = new Map<number, string>();
  private netErrors = new Map<number, string>();
  private tickOffset: number | undefined;
  private haveConstants = false;
  private pending: { v: unknown; offset: number }[] = [];
  private readonly reqs = new Map<number, WsReq>();
  private readonly jobToReq = new Map<number, number>();
  private readonly jobSockets = new Map<number, Set<number>>();
  private readonly sockets = new Map<number, Sock>();
  private readonly resolverHost = new Map<number, string>();
  private readonly dnsSeen = new Set<string>();
  private readonly hosts = new Set<string>();
  private eventCount = 0;
  private badEvents = 0;
  private captureMode: string | undefined;

  constructor(private readonly file: string) {}

  constants(v: unknown, offset: number): void {
    if (!isRec(v)) {
      this.problem('NETLOG_BAD_CONSTANTS', 'constants is not an object', offset, 'error');
      return;
    }
    const invert = (o: unknown, into: Map<number, string>): void => {
      if (!isRec(o)) return;
      for (const [k, n] of Object.entries(o)) if (typeof n === 'number') into.set(n, k);
    };
    invert(v.logEventTypes, this.types);
    invert(v.netError, this.netErrors);
    const t = v.timeTickOffset;
    this.tickOffset = typeof t === 'number' ? t : typeof t === 'string' && /^\d+$/.test(t) ? Number(t) : undefined;
    if (this.tickOffset === undefined)
      this.problem(
        'NETLOG_NO_TICK_OFFSET',
        'constants.timeTickOffset missing: times are relative, not wall clock',
        offset,
        'warning',
      );
    if (typeof v.logCaptureMode === 'string') this.captureMode = v.logCaptureMode;
    this.haveConstants = true;
    const pend = this.pending;
    this.pending = [];
    for (const p of pend) this.event(p.v, p.offset);
  }

  event(v: unknown, offset: number): void {
    if (!this.haveConstants) {
      if (this.pending.length < MAX_PENDING) this.pending.push({ v, offset });
      return;
    }
    this.eventCount++;
    if (!isRec(v) || !isRec(v.source)) {
      this.bad(offset, 'event is not an object with a source');
      return;
    }
    const type = typeof v.type === 'number' ? this.types.get(v.type) : typeof v.type === 'string' ? v.type : undefined;
    const srcId = num(v.source.id);
    const rel = typeof v.time === 'string' ? Number(v.time) : num(v.time);
    if (!type || srcId === undefined || rel === undefined || !Number.isFinite(rel)) {
      this.bad(offset, 'event without a known type, source id or time');
      return;
    }
    const ts = (this.tickOffset ?? 0) + rel;
    const phase = num(v.phase) ?? 0; // 1 begin, 2 end, 0 none
    const p = isRec(v.params) ? v.params : {};
    this.map(type, srcId, ts, phase, p, offset);
  }

  private map(type: string, id: number, ts: number, phase: number, p: Rec, offset: number): void {
    const handler = HANDLERS.get(type);
    if (handler) handler.call(this, { type, id, ts, phase, p, offset });
  }

  /** A URL request's start (a ws:// or wss:// one is a WebSocket) and its end (a failure before the upgrade). */
  onRequest({ type, id, ts, phase, p, offset }: Ev): void {
    const url = typeof p.url === 'string' ? p.url : undefined;
    if (phase === 1 && url && /^wss?:\/\//i.test(url) && !this.reqs.has(id)) {
      this.reqs.set(id, { id, url, startTs: ts, offset, frames: [], sockets: new Set(), errors: [] });
      const h = hostOf(url);
      if (h) this.hosts.add(h);
    }
    const r = this.reqs.get(id);
    if (r && type === 'REQUEST_ALIVE' && phase === 2 && r.openTs === undefined) {
      const err = num(p.net_error);
      if (err !== undefined && err !== -173 /* ERR_WS_UPGRADE: the normal hand-over to the socket */) {
        fail(r, this.errName(err), ts, offset);
      }
    }
  }

  /** The upgrade's answer: 101 opens the WebSocket, anything else fails it. */
  onResponseHeaders({ id, ts, p, offset }: Ev): void {
    const r = this.reqs.get(id);
    const first = Array.isArray(p.headers) ? p.headers[0] : undefined;
    if (!r || typeof first !== 'string') return;
    if (/^HTTP\/\S+ 101\b/.test(first)) {
      r.openTs = ts;
      r.openOffset = offset;
    } else fail(r, `HTTP ${first.replace(/^HTTP\/\S+\s*/, '')}`, ts, offset);
  }

  onFrameHeader({ type, id, ts, p, offset }: Ev): void {
    let r = this.reqs.get(id);
    if (!r) {
      // Frames on a request whose start was not logged (log began mid-connection).
      r = { id, url: '', startTs: ts, offset, frames: [], sockets: new Set(), errors: [] };
      this.reqs.set(id, r);
    }
    r.frames.push({
      dir: type === 'WEBSOCKET_SENT_FRAME_HEADER' ? 'c2s' : 's2c',
      ts,
      opcode: num(p.opcode) ?? 0,
      length: num(p.payload_length) ?? 0,
      fin: p.final !== false,
      offset,
    });
  }

  /** WebSocket-level failures: before the upgrade they fail the request, after it they are kept as errors. */
  onWebSocketError({ type, id, ts, p, offset }: Ev): void {
    const r = this.reqs.get(id);
    if (!r) return;
    const detail = typeof p.message === 'string' ? `: ${p.message.slice(0, 200)}` : '';
    const what = `${type}${detail}`;
    if (type === 'WEBSOCKET_UPGRADE_FAILURE' && r.openTs === undefined) fail(r, what, ts, offset);
    else if (r.errors.length < 100) r.errors.push({ ts, offset, what });
  }

  /** The links request ↔ stream job ↔ socket, logged from either end. */
  onLink({ type, id, phase, p }: Ev): void {
    const dep = depId(p);
    if (dep === undefined) return;
    if (type === 'HTTP_STREAM_JOB_BOUND_TO_REQUEST') this.linkJob(id, dep);
    else if (type === 'HTTP_STREAM_REQUEST_BOUND_TO_JOB') this.linkJob(dep, id);
    else if (type === 'SOCKET_IN_USE') {
      if (phase !== 2) this.linkSocket(dep, id);
    } else this.linkSocket(id, dep); // SOCKET_POOL_BOUND_TO_SOCKET
  }

  onTcpConnect({ id, phase, p }: Ev): void {
    if (phase === 2 && typeof p.remote_address === 'string') this.sock(id).remote = p.remote_address;
  }

  onSslConnect({ id }: Ev): void {
    this.sock(id).ssl = true;
  }

  /** Wire bytes of a WebSocket's socket: a tcp-data event, and frames decoded when the log carries the bytes. */
  onSocketBytes({ type, id, ts, p, offset }: Ev): void {
    const s = this.sockets.get(id) ?? this.sock(id);
    const dir: Dir = type === 'SOCKET_BYTES_SENT' ? 'c2s' : 's2c';
    const n = num(p.byte_count) ?? 0;
    const seq = dir === 'c2s' ? s.sent : s.recv;
    if (dir === 'c2s') s.sent += n;
    else s.recv += n;
    if (s.wsReq !== undefined && n > 0) {
      this.events.push({ ...this.base(ts, offset, s.wsReq), kind: 'tcp-data', dir, seq, len: n });
      if (!s.ssl) this.decode(s, dir, p.bytes);
    }
  }

  /** TLS plaintext of a WebSocket's socket. */
  onSslBytes({ type, id, p }: Ev): void {
    const s = this.sockets.get(id);
    if (s?.wsReq !== undefined) this.decode(s, type === 'SSL_SOCKET_BYTES_SENT' ? 'c2s' : 's2c', p.bytes);
  }

  onSocketError({ type, id, ts, p, offset }: Ev): void {
    const e = num(p.net_error);
    if (e !== undefined) this.sock(id).errors.push({ ts, name: this.errName(e), offset, event: type });
  }

  onSocketEnd({ type, id, ts, phase, offset }: Ev): void {
    if (type === 'SOCKET_ALIVE' && phase !== 2) return;
    const s = this.sockets.get(id);
    if (s && s.endTs === undefined) {
      s.endTs = ts;
      s.endOffset = offset;
    }
  }

  onDns({ id, ts, phase, p, offset }: Ev): void {
    this.dns(id, ts, phase, p, offset);
  }

  onNetworkChange({ type, ts, p, offset }: Ev): void {
    const ct = typeof p.new_connection_type === 'string' ? p.new_connection_type : undefined;
    const ev: TimelineEvent = {
      ts,
      source: this.file,
      sourceKind: 'netlog',
      offset,
      kind: 'network-change',
      what: ct ? `${type} ${ct}` : type,
    };
    if (ct) ev.online = ct !== 'CONNECTION_NONE';
    this.events.push(ev);
  }

  private dns(id: number, ts: number, phase: number, p: Rec, offset: number): void {
    if (phase === 1 && typeof p.host === 'string') {
      this.resolverHost.set(id, p.host);
      return;
    }
    // END of a request/job, or a point event with results (cache hit, HOSTS file, DNS task results).
    if (phase === 1) return;
    const raw = this.resolverHost.get(id);
    if (phase === 2) this.resolverHost.delete(id);
    if (!raw) return;
    const name = hostOf(raw.includes('://') ? raw : `x://${raw}`) ?? raw;
    const err = num(p.net_error);
    const addresses = [...new Set(collectIps(p, 0))];
    if (err === undefined && addresses.length === 0) return;
    const key = `${name}|${addresses.join(',')}|${err ?? ''}|${Math.round(ts)}`;
    if (this.dnsSeen.has(key)) return; // the same answer is logged by the request and by its job
    if (this.dnsSeen.size < 100_000) this.dnsSeen.add(key);
    const ev: TimelineEvent = {
      ts,
      source: this.file,
      sourceKind: 'netlog',
      offset,
      kind: 'dns-answer',
      name,
      addresses,
    };
    if (err !== undefined && err < 0 && addresses.length === 0) ev.rcode = err === -105 ? 3 : 2; // NXDOMAIN vs SERVFAIL
    this.events.push(ev);
  }

  private linkJob(job: number, req: number): void {
    this.jobToReq.set(job, req);
    for (const s of this.jobSockets.get(job) ?? []) this.markWs(req, s);
  }

  private linkSocket(job: number, sock: number): void {
    let set = this.jobSockets.get(job);
    if (!set) this.jobSockets.set(job, (set = new Set()));
    set.add(sock);
    const req = this.jobToReq.get(job);
    if (req !== undefined) this.markWs(req, sock);
  }

  private markWs(reqId: number, sockId: number): void {
    const r = this.reqs.get(reqId);
    if (!r) return;
    r.sockets.add(sockId);
    const s = this.sock(sockId);
    if (s.wsReq === undefined) {
      s.wsReq = reqId;
      s.decoders = { c2s: new WsFrameDecoder(1024), s2c: new WsFrameDecoder(1024) };
    }
  }

  private sock(id: number): Sock {
    let s = this.sockets.get(id);
    if (!s) {
      s = { id, ssl: false, sent: 0, recv: 0, decoded: { c2s: [], s2c: [] }, payloads: false, errors: [] };
      this.sockets.set(id, s);
    }
    return s;
  }

  private decode(s: Sock, dir: Dir, b64: unknown): void {
    if (typeof b64 !== 'string' || !s.decoders) return;
    s.payloads = true;
    const frames = s.decoders[dir].push(Buffer.from(b64, 'base64'));
    for (const f of frames) if (s.decoded[dir].length < 1_000_000) s.decoded[dir].push(f);
  }

  private errName(code: number): string {
    const n = this.netErrors.get(code);
    return n ? `net::ERR_${n}` : `net error ${code}`;
  }

  private base(ts: number, offset: number, reqId: number) {
    return { ts, source: this.file, sourceKind: 'netlog' as const, offset, conn: String(reqId) };
  }

  private bad(offset: number, why: string): void {
    this.badEvents++;
    if (this.badEvents <= 20) this.problem('NETLOG_BAD_EVENT', why, offset, 'warning');
  }

  private problem(code: string, message: string, offset: number | undefined, severity: 'error' | 'warning'): void {
    if (this.problems.length < 500)
      this.problems.push({ code, message, file: this.file, severity, ...(offset !== undefined ? { offset } : {}) });
  }

  /** Resolve links, pair frame headers with decoded payloads, and produce the result. */
  finish(extra: Problem[], truncatedAt: number | undefined): EvidenceResult {
    const truncated = truncatedAt !== undefined;
    if (!this.haveConstants) {
      this.problem(
        'NETLOG_NO_CONSTANTS',
        'no constants block: event types cannot be named, nothing was read',
        0,
        'error',
      );
    }
    const connections: Rec[] = [];
    let payloadFrames = 0;
    let wxcc = false;
    let lifeline = false;
    for (const r of this.reqs.values()) {
      const sock =
        [...r.sockets].map((id) => this.sockets.get(id)).find((s) => s?.remote) ??
        this.sockets.get([...r.sockets].pop() ?? -1);
      const host = r.url ? hostOf(r.url) : undefined;
      if (host && wxccDataCentre(host)) wxcc = true;
      const [ip, port] = splitHostPort(sock?.remote);
      this.openOrFail(r, host, ip, port);
      const stats = this.frames(r, sock);
      payloadFrames += stats.withPayload;
      lifeline ||= stats.lifeline;
      if (!stats.closed) this.endWithoutCloseFrame(r, sock);
      connections.push({
        conn: String(r.id),
        url: r.url,
        host,
        ip,
        port,
        opened: r.openTs,
        failed: r.failError,
        frames: r.frames.length,
        payloads: sock?.payloads ?? false,
        protocol: stats.protocol,
      });
    }
    this.events.sort((a, b) => a.ts - b.ts);
    // Socket reads/writes, not packets: no ACKs, retransmissions or who sent an RST.
    const blindTo: string[] = ['tcp-segments'];
    if (this.reqs.size > 0 && payloadFrames === 0) blindTo.push('ws-payloads');
    const meta: EvidenceResult['meta'] = {
      blindTo,
      captureMode: this.captureMode,
      timeTickOffset: this.tickOffset,
      eventsRead: this.eventCount,
      hosts: [...this.hosts],
      wxcc,
      lifeline,
      connections,
    };
    if (this.events.length) {
      meta.firstTs = this.events[0].ts;
      meta.lastTs = this.events[this.events.length - 1].ts;
    }
    return {
      file: this.file,
      kind: 'netlog',
      format: truncated ? 'netlog-truncated' : 'netlog',
      events: this.events,
      problems: this.allProblems(extra, truncatedAt),
      meta,
    };
  }

  /** The request's outcome before any frame: the upgrade answered 101, or the request failed. */
  private openOrFail(r: WsReq, host: string | undefined, ip: string | undefined, port: number | undefined): void {
    if (r.openTs !== undefined) {
      const ev: TimelineEvent = {
        ...this.base(r.openTs, r.openOffset ?? r.offset, r.id),
        kind: 'conn-open',
        layer: 'ws',
      };
      if (host) ev.host = host;
      if (r.url) ev.url = r.url;
      if (ip) ev.ip = ip;
      if (port !== undefined) ev.port = port;
      this.events.push(ev);
    } else if (r.failError !== undefined) {
      const ev: TimelineEvent = {
        ...this.base(r.failTs ?? r.startTs, r.failOffset ?? r.offset, r.id),
        kind: 'conn-fail',
        stage: r.failError.startsWith('HTTP ')
          ? 'http'
          : r.failError.startsWith('WEBSOCKET_')
            ? 'ws'
            : stageOfNetError(r.failError),
        error: r.failError,
      };
      if (host) ev.host = host;
      this.events.push(ev);
    }
  }

  /** How a socket without a close frame ended: a WebSocket error, a socket error, or the socket just going away. */
  private endWithoutCloseFrame(r: WsReq, sock: Sock | undefined): void {
    if (r.errors.length > 0 && !sock?.errors.length) {
      const e = r.errors[0];
      this.events.push({
        ...this.base(e.ts, e.offset, r.id),
        kind: 'conn-close',
        how: 'error',
        by: 'unknown',
        reason: e.what,
      });
      return;
    }
    if (!sock) return;
    const err = sock.errors[0];
    if (err) {
      const how = /CONNECTION_RESET/.test(err.name) ? 'rst' : /TIMED_OUT/.test(err.name) ? 'timeout' : 'error';
      this.events.push({
        ...this.base(err.ts, err.offset, r.id),
        kind: 'conn-close',
        how,
        by: 'unknown',
        reason: `${err.event} ${err.name}`,
      });
    } else if (sock.endTs !== undefined && r.openTs !== undefined) {
      this.events.push({
        ...this.base(sock.endTs, sock.endOffset ?? r.offset, r.id),
        kind: 'conn-close',
        how: 'unknown',
        by: 'unknown',
        reason: 'socket closed without a close frame',
      });
    }
  }

  private allProblems(extra: Problem[], truncatedAt: number | undefined): Problem[] {
    const problems = [...extra, ...this.problems];
    if (truncatedAt !== undefined)
      problems.push({
        code: 'NETLOG_TRUNCATED',
        message:
          'the NetLog ends before its closing bracket (Chrome was killed or the file was cut): events up to the cut were read',
        file: this.file,
        offset: truncatedAt,
        severity: 'warning',
      });
    if (this.badEvents > 20)
      problems.push({
        code: 'NETLOG_BAD_EVENTS',
        message: `${this.badEvents} events could not be read in total`,
        file: this.file,
        severity: 'warning',
      });
    return problems;
  }

  /** Frame headers (+ decoded payloads when the log has bytes) → messages and control frames. */
  private frames(
    r: WsReq,
    sock: Sock | undefined,
  ): { closed: boolean; withPayload: number; lifeline: boolean; protocol?: 'wxcc' | 'lifeline' } {
    let closed = false;
    let withPayload = 0;
    let lifeline = false;
    let wxccLike = false;
    const idx = { c2s: 0, s2c: 0 };
    const ok = { c2s: true, s2c: true };
    const partial: Record<Dir, { first: FrameHdr; length: number; text: string; compressed: boolean } | undefined> = {
      c2s: undefined,
      s2c: undefined,
    };
    const dec = new TextDecoder('utf-8', { fatal: false });
    for (const h of r.frames) {
      // Pair the i-th header of a direction with the i-th decoded frame while they agree.
      let payload: DecodedFrame | undefined;
      const list = sock?.decoded[h.dir];
      if (list && ok[h.dir]) {
        const d = list[idx[h.dir]];
        if (d && d.opcode === h.opcode && d.length === h.length) {
          payload = d;
          idx[h.dir]++;
        } else if (d) ok[h.dir] = false;
      }
      if (payload) withPayload++;
      const base = this.base(h.ts, h.offset, r.id);
      if (h.opcode >= 8) {
        const op = h.opcode === 8 ? 'close' : h.opcode === 9 ? 'ping' : 'pong';
        const ev: TimelineEvent = { ...base, kind: 'ws-control', dir: h.dir, op };
        let code: number | undefined;
        let reason: string | undefined;
        if (op === 'close' && payload && payload.payload.length >= 2) {
          code = (payload.payload[0] << 8) | payload.payload[1];
          reason = dec.decode(payload.payload.subarray(2));
          ev.code = code;
          if (reason) ev.reason = reason;
        }
        this.events.push(ev);
        if (op === 'close' && !closed) {
          closed = true;
          const c: TimelineEvent = {
            ...base,
            kind: 'conn-close',
            how: 'ws-close',
            by: h.dir === 'c2s' ? 'desktop' : 'server',
          };
          if (code !== undefined) c.wsCode = code;
          if (reason) c.reason = reason;
          this.events.push(c);
        }
        continue;
      }
      const text = payload && !payload.rsv1 ? dec.decode(payload.payload) : '';
      let m = partial[h.dir];
      if (h.opcode !== 0 || !m) {
        m = { first: h, length: 0, text: '', compressed: !!payload?.rsv1 };
        partial[h.dir] = m;
      }
      m.length += h.length;
      if (m.text.length < 512) m.text += text;
      if (!h.fin) continue;
      partial[h.dir] = undefined;
      const opcode = m.first.opcode || 1;
      const ev: TimelineEvent = { ...base, kind: 'ws-message', dir: h.dir, opcode, length: m.length, cls: 'other' };
      if (opcode === 1 && m.text && !m.compressed) {
        const meaning = classifyMessage(m.text);
        Object.assign(ev, meaning);
        ev.text = capText(m.text);
        if (isLifelineMessage(m.text, meaning)) lifeline = true;
        if (meaning.cls === 'keepalive' || meaning.cls === 'welcome') wxccLike = true;
      } else if (opcode === 1 && !payload && m.length === 20) {
        // No payload in the log: exactly 20 bytes is the size of {"keepalive":"true"} (noted in docs/evidence.md).
        ev.cls = 'keepalive';
      }
      this.events.push(ev);
    }
    const protocol = lifeline ? ('lifeline' as const) : wxccLike ? ('wxcc' as const) : undefined;
    return { closed, withPayload, lifeline, ...(protocol ? { protocol } : {}) };
  }
}

/** One NetLog event, resolved: its type's name, source id, wall time, phase (1 begin, 2 end, 0 none), params. */
interface Ev {
  type: string;
  id: number;
  ts: number;
  phase: number;
  p: Rec;
  offset: number;
}

type Handler = (this: NetlogMapper, ev: Ev) => void;

/** Which NetLog event types matter, and who reads each: every other type is skipped. */
const HANDLERS = new Map<string, Handler>([
  ...on(['REQUEST_ALIVE', 'URL_REQUEST_START_JOB'], NetlogMapper.prototype.onRequest),
  ...on(['HTTP_TRANSACTION_READ_RESPONSE_HEADERS'], NetlogMapper.prototype.onResponseHeaders),
  ...on(['WEBSOCKET_SENT_FRAME_HEADER', 'WEBSOCKET_RECV_FRAME_HEADER'], NetlogMapper.prototype.onFrameHeader),
  ...on(
    ['WEBSOCKET_INVALID_FRAME', 'WEBSOCKET_UPGRADE_FAILURE', 'WEBSOCKET_CLOSE_TIMEOUT'],
    NetlogMapper.prototype.onWebSocketError,
  ),
  ...on(
    [
      'HTTP_STREAM_JOB_BOUND_TO_REQUEST',
      'HTTP_STREAM_REQUEST_BOUND_TO_JOB',
      'SOCKET_IN_USE',
      'SOCKET_POOL_BOUND_TO_SOCKET',
    ],
    NetlogMapper.prototype.onLink,
  ),
  ...on(['TCP_CONNECT'], NetlogMapper.prototype.onTcpConnect),
  ...on(['SSL_CONNECT'], NetlogMapper.prototype.onSslConnect),
  ...on(['SOCKET_BYTES_SENT', 'SOCKET_BYTES_RECEIVED'], NetlogMapper.prototype.onSocketBytes),
  ...on(['SSL_SOCKET_BYTES_SENT', 'SSL_SOCKET_BYTES_RECEIVED'], NetlogMapper.prototype.onSslBytes),
  ...on(
    ['SOCKET_READ_ERROR', 'SOCKET_WRITE_ERROR', 'SSL_READ_ERROR', 'SSL_WRITE_ERROR'],
    NetlogMapper.prototype.onSocketError,
  ),
  ...on(['SOCKET_CLOSED', 'SOCKET_ALIVE'], NetlogMapper.prototype.onSocketEnd),
  ...on(
    [
      'HOST_RESOLVER_MANAGER_REQUEST',
      'HOST_RESOLVER_IMPL_REQUEST',
      'HOST_RESOLVER_MANAGER_JOB',
      'HOST_RESOLVER_IMPL_JOB',
      'HOST_RESOLVER_MANAGER_CACHE_HIT',
      'HOST_RESOLVER_IMPL_CACHE_HIT',
      'HOST_RESOLVER_MANAGER_HOSTS_HIT',
      'HOST_RESOLVER_IMPL_HOSTS_HIT',
      'HOST_RESOLVER_DNS_TASK_EXTRACTION_RESULTS',
    ],
    NetlogMapper.prototype.onDns,
  ),
  ...on(
    [
      'NETWORK_CHANGED',
      'NETWORK_CONNECTIVITY_CHANGED',
      'NETWORK_IP_ADDRESSES_CHANGED',
      'NETWORK_DNS_CONFIG_CHANGED',
      'DNS_CONFIG_CHANGED',
    ],
    NetlogMapper.prototype.onNetworkChange,
  ),
]);

function on(types: string[], handler: Handler): [string, Handler][] {
  return types.map((t) => [t, handler]);
}

function fail(r: WsReq, error: string, ts: number, offset: number): void {
  r.failError = error;
  r.failTs = ts;
  r.failOffset = offset;
}

function isRec(v: unknown): v is Rec {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function depId(p: Rec): number | undefined {
  return isRec(p.source_dependency) ? num(p.source_dependency.id) : undefined;
}
function splitHostPort(s: string | undefined): [string | undefined, number | undefined] {
  if (!s) return [undefined, undefined];
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  return m ? [m[1], Number(m[2])] : [s, undefined];
}
const IP_RE = /^(\d{1,3}(?:\.\d{1,3}){3}|\[?[0-9a-fA-F:]*:[0-9a-fA-F:.]+\]?)(?::\d+)?$/;
/** IP addresses anywhere in a resolver result (formats changed across Chrome versions). */
function collectIps(v: unknown, depth: number): string[] {
  if (depth > 6) return [];
  if (typeof v === 'string') {
    const m = IP_RE.exec(v);
    if (!m) return [];
    return [m[1].replace(/^\[|\]$/g, '')];
  }
  if (Array.isArray(v)) return v.slice(0, 200).flatMap((x) => collectIps(x, depth + 1));
  if (isRec(v)) {
    const out: string[] = [];
    for (const [k, x] of Object.entries(v))
      if (k !== 'host' && k !== 'source_dependency') out.push(...collectIps(x, depth + 1));
    return out;
  }
  return [];
}

/** Sans-IO NetLog reader: bytes in (any chunking), EvidenceResult out. */
export class NetlogStream {
  private readonly mapper: NetlogMapper;
  private readonly problems: Problem[] = [];
  private truncatedAt: number | undefined;
  private readonly parser = new JsonStreamParser({
    emit: (p) =>
      (p.length === 1 && (p[0] === 'constants' || p[0] === 'polledData')) ||
      (p.length === 2 && p[0] === 'events' && typeof p[1] === 'number'),
  });

  constructor(private readonly file: string) {
    this.mapper = new NetlogMapper(file);
  }

  push(chunk: Uint8Array): void {
    this.handle(this.parser.push(chunk));
  }

  end(extra: Problem[] = []): EvidenceResult {
    const end = this.parser.end();
    this.handle(end.events);
    return this.mapper.finish([...extra, ...this.problems], this.truncatedAt);
  }

  private handle(evs: ReturnType<JsonStreamParser['push']>): void {
    for (const ev of evs) {
      if (ev.type === 'value') {
        if (ev.path[0] === 'constants') this.mapper.constants(ev.value, ev.offset);
        else if (ev.path[0] === 'events') this.mapper.event(ev.value, ev.offset);
      } else if (ev.code === 'JSON_TRUNCATED') this.truncatedAt = ev.offset;
      else this.problems.push(jsonProblem(this.file, 'NETLOG', ev));
    }
  }
}

export async function readNetlog(
  file: string,
  opts: { progress?: (done: number, total: number) => void } = {},
): Promise<EvidenceResult> {
  const s = new NetlogStream(file);
  const r = await streamFile(file, (c) => void s.push(c), opts);
  const result = s.end(r.problem ? [r.problem] : []);
  if (r.gzip) result.meta.gzip = true;
  return result;
}
