// The Notifs server: HTTP (subscribe, publish, metrics, the browser desktop) + WebSocket (ws) around the sans-IO
// NotifsConnectionMachine. One DeadlineSweep drives every socket's keepalive and silence timers.
// Ordering and exactly-once per socket: each connection has `sentSeq`; a single pump per connection sends
// store entries sentSeq+1… in order, so replay and live publishes never interleave or repeat.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import { CLOSE } from '../protocol/close-codes.ts';
import { DEFAULT_MAX_MESSAGE, encodeMultiLogin, encodeNotification } from '../protocol/codec.ts';
import { NotifsConnectionMachine, type NotifsOutput } from '../protocol/notifs-machine.ts';
import { isPosition, planResume, type StreamPosition } from '../protocol/stream-position.ts';
import { type AuthConfig, bearer, createAuth, isValidAgentId } from './auth.ts';
import { DeadlineSweep, type Sweepable } from './deadline-sweep.ts';
import { handleDesktopPage } from './desktop-page.ts';
import { MemoryStore } from './memory-store.ts';
import { type MetricsSnapshot, newCounters, toPrometheus } from './metrics.ts';
import { type Kick, MemorySessions, type SessionRegistry, type SubscriptionRecord } from './session-registry.ts';
import type { NotifStore } from './store.ts';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  event: string;
  [k: string]: unknown;
}

export interface NotifsServerOptions {
  /** 0 = any free port (default). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** TCP accept queue length (default 4096, capped by the kernel's somaxconn). */
  listenBacklog?: number;
  keepaliveMs?: number;
  silenceMs?: number;
  /** Only handed to the browser desktop page as its default. */
  recoveryMs?: number;
  /** Sweep period of the shared deadline wheel. */
  sweepMs?: number;
  /** Default: dev mode (token names the agent), allowed only on a loopback host. */
  auth?: AuthConfig;
  /** Admin token for POST /v1/notification/publish, overriding the mode's own. */
  adminToken?: string;
  store?: NotifStore;
  /**
   * Pending subscriptions and live sessions. Default: this process only. With RedisSessions every node of a
   * deployment shares them: subscribe on one node, open the socket on another; a second login is seen everywhere.
   */
  sessions?: SessionRegistry;
  /** Per-agent backlog bound of the default memory store. */
  backlogPerAgent?: number;
  /** Largest desktop message (bytes); larger frames close the socket (1009). */
  maxMessageBytes?: number;
  /** Bytes queued to one socket before it is dropped as a slow consumer (4008; it resumes on reconnect). */
  maxBufferedBytes?: number;
  /** Largest HTTP body (bytes). */
  maxBodyBytes?: number;
  /** An unused subscription expires after this long. */
  subscriptionTtlMs?: number;
  /**
   * close(): how long to wait for desktops to answer the 4001 close frame (close handshake, socket end) before
   * destroying what remains. Default 1500 ms.
   */
  closeGraceMs?: number;
  /** Subscribe rate limit (token bucket over the whole server); thundering herds get 429 + Retry-After. */
  subscribeRate?: { perSecond: number; burst: number };
  /** Base URL put in webSocketUrl (default: from the request's Host header). */
  publicUrl?: string;
  /** Serve /desktop/ (default true). */
  desktopPage?: boolean;
  log?: (rec: LogRecord) => void;
  /** Called for each desktop message on its first delivery (cseq dedupe happens before). */
  onDesktopMessage?: (agentId: string, clientId: string, cseq: number, data: unknown) => void;
}

export interface NotifsServer {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Append a notification to the agent's stream and push it to the agent's sockets. `payload` {type, data} or any JSON. */
  publish(agentId: string, payload: unknown): Promise<StreamPosition>;
  metrics(): MetricsSnapshot;
  /** Simulated server stall for one agent: no Welcome, keepalive or notification is sent until resumed. */
  stall(agentId: string, stalled?: boolean): void;
  /** A bearer token for this agent (dev and secret modes; tokens mode if the file has one). */
  tokenFor(agentId: string): string | undefined;
  adminToken: string | undefined;
  /** Drop one agent's sockets (fault lab, tests): a close frame with `code`, or a TCP-level kill with terminate. */
  disconnect(agentId: string, how?: { code?: number; reason?: string; terminate?: boolean }): number;
  /** Open sockets (all, or one agent's). */
  connections(agentId?: string): number;
}

class Conn implements Sweepable {
  wheelSlot?: number;
  machine!: NotifsConnectionMachine;
  sentSeq = 0;
  epoch = '';
  pumping = false;
  pumpAgain = false;
  /** Welcome being prepared (store read in flight). */
  welcoming = false;
  /** Welcome sent: notifications may flow. */
  welcomed = false;
  closed = false;
  /** Its session entry was removed from the registry. */
  released = false;
  constructor(
    readonly ws: WebSocket,
    readonly sub: SubscriptionRecord,
    private readonly onTick: (c: Conn, now: number) => void,
  ) {}
  nextDeadline(): number {
    return this.machine ? this.machine.nextDeadline() : Number.POSITIVE_INFINITY;
  }
  onDeadline(now: number): void {
    this.onTick(this, now);
  }
}

const SUB_PATH = '/v1/notification/subscription/';
const REPLAY_BATCH = 500;

export async function startNotifsServer(opts: NotifsServerOptions = {}): Promise<NotifsServer> {
  const host = opts.host ?? '127.0.0.1';
  const keepaliveMs = opts.keepaliveMs ?? 4000;
  const silenceMs = opts.silenceMs ?? 16000;
  const recoveryMs = opts.recoveryMs ?? 50000;
  const maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE;
  const maxBody = opts.maxBodyBytes ?? 64 * 1024;
  const maxBuffered = opts.maxBufferedBytes ?? 8 * 1024 * 1024;
  const ttl = opts.subscriptionTtlMs ?? 60000;
  const closeGraceMs = opts.closeGraceMs ?? 1500;
  const authCfg = opts.auth ?? { mode: 'dev' as const };
  if (authCfg.mode === 'dev' && !isLoopback(host)) {
    throw new Error(`dev auth (token names the agent) is refused on non-loopback host ${host}: use tokens or secret`);
  }
  const auth = createAuth(authCfg, opts.adminToken);
  const store: NotifStore = opts.store ?? new MemoryStore({ maxPerAgent: opts.backlogPerAgent ?? 10000 });
  const log = opts.log ?? (() => {});
  const now = () => performance.now();
  const counters = newCounters();
  const sessions: SessionRegistry = opts.sessions ?? new MemorySessions(now);
  /** This node's sockets by connection id (= subscription id), for kicks. */
  const byId = new Map<string, Conn>();
  const byAgent = new Map<string, Set<Conn>>();
  const stalled = new Set<string>();
  const rate = opts.subscribeRate ?? { perSecond: 1000, burst: 2000 };
  let bucket = rate.burst;
  let bucketAt = now();
  let connCount = 0;

  const sweep = new DeadlineSweep<Conn>(opts.sweepMs ?? 250, now);

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes, perMessageDeflate: false });

  // ---- connection driving ----
  const run = (c: Conn, out: NotifsOutput[]) => {
    for (const o of out) {
      switch (o.type) {
        case 'send':
          if (o.cls === 'keepalive') counters.keepalivesSent++;
          send(c, o.text);
          break;
        case 'close':
          if (o.code === CLOSE.SILENCE_TIMEOUT) {
            counters.silenceDrops++;
            log({ level: 'info', event: 'silence-drop', agentId: c.sub.agentId, subscriptionId: c.sub.id });
          }
          closeConn(c, o.code, o.reason);
          break;
        case 'keepalive-received':
          counters.keepalivesReceived++;
          break;
        case 'message':
          counters.desktopMessages++;
          store.setCseq(c.sub.agentId, c.sub.clientId, o.cseq).catch((err) => storeError(err, c));
          opts.onDesktopMessage?.(c.sub.agentId, c.sub.clientId, o.cseq, o.data);
          break;
        case 'duplicate-message':
          break;
        case 'protocol-error':
          counters.protocolErrors++;
          log({
            level: 'warn',
            event: 'protocol-error',
            agentId: c.sub.agentId,
            code: o.error.code,
            message: o.error.message,
          });
          break;
      }
    }
  };

  const send = (c: Conn, text: string, cb?: (err?: Error) => void) => {
    if (c.closed || c.ws.readyState !== WebSocket.OPEN) {
      cb?.(new Error('socket closed'));
      return;
    }
    // A desktop that stopped reading (or a path that stopped draining) must not grow our memory without bound:
    // drop it; it resumes from its own position when it reconnects, so nothing is lost.
    if (c.ws.bufferedAmount > maxBuffered) {
      counters.slowDrops++;
      log({ level: 'warn', event: 'slow-consumer', agentId: c.sub.agentId, buffered: c.ws.bufferedAmount });
      cb?.(new Error('slow consumer'));
      closeConn(c, CLOSE.OVERLOADED, 'slow consumer');
      return;
    }
    c.ws.send(text, cb);
  };

  /** The socket no longer counts as the agent's session (at close time, not after the close handshake). */
  const release = (c: Conn) => {
    if (c.released) return;
    c.released = true;
    sessions.release(c.sub.agentId, c.sub.id).catch(() => {}); // a dead store forgets it anyway (node heartbeat)
  };

  const closeConn = (c: Conn, code: number, reason: string) => {
    if (c.closed) return;
    c.closed = true;
    c.machine?.markClosed();
    sweep.remove(c);
    release(c);
    try {
      c.ws.close(code, reason.slice(0, 120));
    } catch {
      c.ws.terminate();
    }
    // A peer that never answers the close handshake must not hold the socket.
    setTimeout(() => c.ws.terminate(), 2000).unref();
  };

  const storeError = (err: unknown, c?: Conn) => {
    log({
      level: 'error',
      event: 'store-error',
      agentId: c?.sub.agentId,
      message: String((err as Error)?.message ?? err),
    });
    if (c) closeConn(c, CLOSE.INTERNAL, 'store error');
  };

  const onTick = (c: Conn, t: number) => run(c, c.machine.tick(t));

  const kick = (k: Kick) => {
    const c = byId.get(k.connId);
    if (!c || c.closed) return;
    if (k.reason === 'replaced') {
      closeConn(c, CLOSE.REPLACED, 'replaced by a newer socket of this desktop');
      return;
    }
    send(c, encodeMultiLogin(c.sub.agentId));
    closeConn(c, CLOSE.MULTI_LOGIN, 'multi-login');
    log({ level: 'info', event: 'multi-login', agentId: c.sub.agentId, kicked: c.sub.clientId });
  };

  // Concurrent resumes of one agent (a reconnect storm, several desktops) share one backlog read per range.
  const reads = new Map<string, ReturnType<NotifStore['read']>>();
  const sharedRead = (agentId: string, fromSeq: number) => {
    const key = `${agentId}\u0000${fromSeq}`;
    let p = reads.get(key);
    if (!p) {
      p = store.read(agentId, fromSeq, REPLAY_BATCH);
      reads.set(key, p);
      const drop = () => reads.delete(key);
      p.then(drop, drop);
    }
    return p;
  };

  /** Send store entries after c.sentSeq, in order, until caught up. One pump per connection at a time. */
  const pump = async (c: Conn) => {
    if (c.pumping) {
      c.pumpAgain = true;
      return;
    }
    c.pumping = true;
    try {
      for (let rounds = 0; rounds < 1_000_000; rounds++) {
        c.pumpAgain = false;
        if (c.closed || !c.welcomed || stalled.has(c.sub.agentId)) return;
        const { epoch, entries } = await sharedRead(c.sub.agentId, c.sentSeq + 1);
        if (c.closed) return;
        if (epoch !== c.epoch) {
          // The stream was replaced under us (store restart): make the desktop resume and be told.
          closeConn(c, CLOSE.SERVER_SHUTDOWN, 'stream epoch changed');
          return;
        }
        if (entries.length === 0) {
          if (!c.pumpAgain) return;
          continue;
        }
        if (entries[0].seq > c.sentSeq + 1) {
          // This socket fell behind the retained backlog (it drained slower than the agent's stream was trimmed).
          // Sending on would leave the desktop to notice a hole; closing makes it resume, and the resume names the
          // trimmed range exactly (recovered: false).
          counters.slowDrops++;
          log({
            level: 'warn',
            event: 'behind-backlog',
            agentId: c.sub.agentId,
            sentSeq: c.sentSeq,
            next: entries[0].seq,
          });
          closeConn(c, CLOSE.OVERLOADED, 'fell behind the retained backlog; resume');
          return;
        }
        let last: Promise<void> | undefined;
        for (const e of entries) {
          if (e.seq <= c.sentSeq) continue;
          c.sentSeq = e.seq;
          const text = encodeNotification(e.type, e.data, { epoch, seq: e.seq });
          last = new Promise<void>((res) => send(c, text, () => res()));
        }
        // Flow control: wait until the batch is written before reading the next one.
        if (last) await last;
      }
    } catch (err) {
      storeError(err, c);
    } finally {
      c.pumping = false;
    }
  };

  const welcome = async (c: Conn) => {
    if (c.welcoming || c.welcomed || c.closed || stalled.has(c.sub.agentId)) return;
    c.welcoming = true;
    const info = await store.info(c.sub.agentId);
    if (c.closed) return;
    const plan = planResume(c.sub.resumeFrom, info);
    c.epoch = info.epoch;
    c.sentSeq = plan.start.seq;
    if (plan.result) {
      counters.recoveries++;
      counters.replayed += plan.result.replayed;
      if (!plan.result.recovered) counters.recoveriesIncomplete++;
      log({
        level: plan.result.recovered ? 'info' : 'warn',
        event: 'resume',
        agentId: c.sub.agentId,
        recovered: plan.result.recovered,
        replayed: plan.result.replayed,
        missing: plan.result.missing,
      });
    }
    const data = {
      agentId: c.sub.agentId,
      subscriptionId: c.sub.id,
      position: plan.start,
      ...(plan.result ? { resume: plan.result } : {}),
      keepaliveMs,
      silenceMs,
    };
    run(c, c.machine.welcome(now(), data));
    c.welcoming = false;
    c.welcomed = true;
    sweep.schedule(c);
    void pump(c);
  };

  const onSocket = async (ws: WebSocket, sub: SubscriptionRecord) => {
    const c = new Conn(ws, sub, onTick);
    counters.connectionsOpened++;
    connCount++;
    let set = byAgent.get(sub.agentId);
    if (!set) byAgent.set(sub.agentId, (set = new Set()));
    set.add(c);
    byId.set(sub.id, c);
    ws.on('message', (raw, isBinary) => {
      if (c.closed || !c.machine) return;
      if (isBinary) {
        counters.protocolErrors++;
        closeConn(c, CLOSE.UNSUPPORTED_DATA, 'binary frames are not part of the protocol');
        return;
      }
      run(c, c.machine.receive(now(), raw.toString()));
    });
    ws.on('close', (code, reason) => {
      c.closed = true;
      c.machine?.markClosed();
      sweep.remove(c);
      connCount--;
      const s = byAgent.get(sub.agentId);
      s?.delete(c);
      if (s && s.size === 0) byAgent.delete(sub.agentId);
      byId.delete(sub.id);
      release(c);
      log({ level: 'info', event: 'disconnect', agentId: sub.agentId, code, reason: reason.toString().slice(0, 120) });
    });
    ws.on('error', (err) => log({ level: 'warn', event: 'socket-error', agentId: sub.agentId, message: err.message }));
    try {
      // Multi-login, on whichever node the other sockets are: the same desktop reconnecting replaces its old
      // socket; another desktop displaces it unless allowed.
      const [lastCseq, kicks] = await Promise.all([
        store.getCseq(sub.agentId, sub.clientId),
        sessions.claim(sub.agentId, sub.id, sub.clientId, sub.allowMultiLogin),
      ]);
      for (const k of kicks) if (k.nodeId === sessions.nodeId) kick(k);
      if (c.closed) return;
      c.machine = new NotifsConnectionMachine(now(), { keepaliveMs, silenceMs, maxMessage: maxMessageBytes }, lastCseq);
      log({
        level: 'info',
        event: 'connect',
        agentId: sub.agentId,
        subscriptionId: sub.id,
        clientType: sub.clientType,
      });
      await welcome(c);
    } catch (err) {
      storeError(err, c);
    }
  };

  // ---- HTTP ----
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(text);
  };
  const problem = (res: ServerResponse, status: number, code: string, message: string, headers = {}) =>
    json(res, status, { code, message }, headers);

  const readBody = (req: IncomingMessage): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on('data', (d: Buffer) => {
        if (tooBig) return; // discard the rest; the socket is closed once the 413 is written
        size += d.length;
        if (size > maxBody) {
          tooBig = true;
          chunks.length = 0;
          reject(Object.assign(new Error(`body larger than ${maxBody} bytes`), { status: 413 }));
          return;
        }
        chunks.push(d);
      });
      req.on('end', () => {
        if (tooBig) return;
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim() === '') return resolve({});
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(Object.assign(new Error('body is not JSON'), { status: 400 }));
        }
      });
      req.on('error', reject);
    });

  const takeToken = (): boolean => {
    const t = now();
    bucket = Math.min(rate.burst, bucket + ((t - bucketAt) / 1000) * rate.perSecond);
    bucketAt = t;
    if (bucket < 1) return false;
    bucket -= 1;
    return true;
  };

  const baseUrl = (req: IncomingMessage): string => {
    if (opts.publicUrl) return opts.publicUrl.replace(/\/$/, '');
    const h =
      typeof req.headers.host === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host)
        ? req.headers.host
        : `${host}:${port}`;
    return `http://${h}`;
  };

  /** A store or session-registry call made for an HTTP request: failing means "try again soon" (503), not a bug. */
  const guard = <T>(p: Promise<T>): Promise<T> =>
    p.catch((err: Error) => {
      throw Object.assign(new Error(`store unavailable: ${err.message}`.slice(0, 300)), { status: 503 });
    });

  const subscribe = async (req: IncomingMessage, res: ServerResponse) => {
    const agentId = auth.agentFor(bearer(req.headers.authorization));
    if (!agentId) {
      counters.subscribeRejected++;
      return problem(res, 401, 'unauthorized', 'missing or invalid bearer token');
    }
    if (!takeToken()) {
      counters.subscribeRejected++;
      return problem(res, 429, 'rate-limited', 'too many subscribes; retry after the backoff', { 'retry-after': '1' });
    }
    const body = (await readBody(req)) as Record<string, unknown>;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return problem(res, 400, 'bad-request', 'body must be a JSON object');
    }
    const clientId =
      typeof body.clientId === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(body.clientId)
        ? body.clientId
        : `anon-${randomBytes(6).toString('hex')}`;
    const allowMultiLogin = body.allowMultiLogin === true;
    const force = body.force !== false;
    let resumeFrom: StreamPosition | undefined;
    if (body.resumeFrom !== undefined) {
      if (!isPosition(body.resumeFrom)) return problem(res, 400, 'bad-request', 'resumeFrom must be {epoch, seq}');
      resumeFrom = { epoch: body.resumeFrom.epoch, seq: body.resumeFrom.seq };
    }
    if (!force && !allowMultiLogin) {
      const live = await guard(sessions.liveClients(agentId));
      if (live.some((other) => other !== clientId)) {
        counters.subscribeRejected++;
        return problem(
          res,
          409,
          'already-connected',
          'another desktop is connected as this agent; use force to take over',
        );
      }
    }
    const id = randomBytes(16).toString('hex');
    const sub: SubscriptionRecord = {
      id,
      agentId,
      clientId,
      clientType: typeof body.clientType === 'string' ? body.clientType.slice(0, 64) : 'unknown',
      allowMultiLogin,
    };
    if (resumeFrom) sub.resumeFrom = resumeFrom;
    await guard(sessions.putSubscription(sub, ttl));
    counters.subscribeOk++;
    const wsBase = baseUrl(req).replace(/^http/, 'ws');
    json(res, 200, { webSocketUrl: `${wsBase}${SUB_PATH}${id}`, subscriptionId: id });
  };

  const publishHttp = async (req: IncomingMessage, res: ServerResponse) => {
    if (!auth.isAdmin(bearer(req.headers.authorization)))
      return problem(res, 401, 'unauthorized', 'admin token required');
    const body = (await readBody(req)) as Record<string, unknown>;
    if (!body || typeof body !== 'object' || typeof body.agentId !== 'string' || !isValidAgentId(body.agentId)) {
      return problem(res, 400, 'bad-request', 'body must be {agentId, type, data}');
    }
    if (typeof body.type !== 'string' || body.type.length === 0 || body.type.length > 128) {
      return problem(res, 400, 'bad-request', 'type must be a non-empty string (≤ 128 chars)');
    }
    if (reserved.has(body.type))
      return problem(res, 400, 'bad-request', `type "${body.type}" is reserved by the protocol`);
    const pos = await guard(publish(body.agentId, { type: body.type, data: body.data }));
    json(res, 200, { agentId: body.agentId, ...pos });
  };

  const reserved = new Set(['Welcome', 'Ack', 'AgentMultiLoginCloseSession', 'AGENT_MULTI_LOGIN']);

  const publish = async (agentId: string, payload: unknown): Promise<StreamPosition> => {
    if (!isValidAgentId(agentId)) throw new Error(`invalid agent id: ${JSON.stringify(agentId).slice(0, 80)}`);
    let type = 'Notification';
    let data: unknown = payload;
    const p = payload as Record<string, unknown> | null;
    if (p && typeof p === 'object' && !Array.isArray(p) && typeof p.type === 'string' && p.type.length > 0) {
      type = p.type;
      data = p.data;
    }
    if (reserved.has(type)) throw new Error(`notification type "${type}" is reserved by the protocol`);
    const pos = await store.append(agentId, type, data, Date.now());
    counters.published++;
    const text = encodeNotification(type, data, pos);
    for (const c of byAgent.get(agentId) ?? []) {
      if (c.closed || !c.welcomed || stalled.has(agentId)) continue;
      // Fast path: a caught-up socket gets the new entry directly; anything else goes through the pump.
      if (!c.pumping && c.epoch === pos.epoch && c.sentSeq === pos.seq - 1) {
        c.sentSeq = pos.seq;
        send(c, text);
      } else void pump(c);
    }
    return pos;
  };

  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = `${req.method} ${url.pathname}`;
    const done = (p: Promise<unknown> | unknown) =>
      Promise.resolve(p).catch((err: Error & { status?: number }) => {
        if (!res.headersSent) {
          const code =
            err.status === 413
              ? 'too-large'
              : err.status === 503
                ? 'store-unavailable'
                : err.status
                  ? 'bad-request'
                  : 'internal';
          if (err.status === 413) {
            res.setHeader('connection', 'close');
            res.on('finish', () => req.destroy());
          }
          problem(res, err.status ?? 500, code, err.message, err.status === 503 ? { 'retry-after': '1' } : {});
        }
        if (err.status === 503) log({ level: 'warn', event: 'store-error', route, message: err.message });
        else if (!err.status) log({ level: 'error', event: 'http-error', route, message: err.message });
      });
    if (route === 'POST /v1/notification/subscribe') return done(subscribe(req, res));
    if (route === 'POST /v1/notification/publish') return done(publishHttp(req, res));
    if (route === 'GET /metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(toPrometheus(metrics()));
    }
    if (route === 'GET /healthz') return json(res, 200, { ok: true });
    if (route === 'GET /readyz') {
      // For a load balancer: this node can take desktops only while its store answers.
      const up = store.available?.() !== false;
      return json(
        res,
        up ? 200 : 503,
        up
          ? { ready: true, nodeId: sessions.nodeId }
          : {
              ready: false,
              nodeId: sessions.nodeId,
              code: 'store-unavailable',
            },
      );
    }
    if (opts.desktopPage !== false && url.pathname.startsWith('/desktop')) {
      return done(handleDesktopPage(req, res, url, { keepaliveMs, silenceMs, recoveryMs }));
    }
    problem(res, 404, 'not-found', `no route ${route.slice(0, 200)}`);
  });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith(SUB_PATH)) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const id = url.pathname.slice(SUB_PATH.length);
    // The subscription may have been made on another node: the registry is asked (single use everywhere).
    socket.on('error', () => {}); // a peer reset while we look it up must not crash the process
    sessions.takeSubscription(id).then(
      (sub) =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          if (!sub) ws.close(CLOSE.SUBSCRIPTION_EXPIRED, 'subscription unknown or expired');
          else void onSocket(ws, sub);
        }),
      (err) =>
        wss.handleUpgrade(req, socket, head, (ws) => {
          storeError(err);
          ws.close(CLOSE.INTERNAL, 'store error');
        }),
    );
  });

  // Shared stores: appends made by other Notifs processes reach this process's sockets too.
  const unwatch = store.watch?.(
    (agentId, seq) => {
      if (stalled.has(agentId)) return;
      for (const c of byAgent.get(agentId) ?? []) {
        if (c.welcomed && !c.closed && c.sentSeq < seq) void pump(c);
      }
    },
    () => {
      // Notices may have been missed (the store's notice channel reconnected): catch every socket up.
      for (const set of byAgent.values()) for (const c of set) if (c.welcomed && !c.closed) void pump(c);
    },
  );
  // Sockets of this node displaced by a login on another node.
  const unkick = sessions.onKick(kick);
  // Deaf to other nodes until subscribed: wait before taking desktops (bounded; a store that is down reports it).
  await Promise.race([
    Promise.all([store.ready?.(), sessions.ready?.()]),
    new Promise((r) => setTimeout(r, 5000).unref()),
  ]);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // A reconnect storm opens thousands of connections at once: Node's default accept queue (511) overflowed in the
    // storm benchmark (dropped SYNs cost each desktop a 1 s retransmit). The kernel caps it at somaxconn.
    http.listen({ port: opts.port ?? 0, host, backlog: opts.listenBacklog ?? 4096 }, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  sweep.start();
  log({ level: 'info', event: 'listening', url, auth: auth.mode, keepaliveMs, silenceMs });

  function metrics(): MetricsSnapshot {
    return {
      ...counters,
      connections: connCount,
      backlogSize: store.backlogSize(),
      storeUp: store.available?.() === false ? 0 : 1,
    };
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    publish,
    metrics,
    adminToken: auth.adminToken,
    tokenFor: (a) => auth.tokenFor(a),
    connections: (agentId) => (agentId ? (byAgent.get(agentId)?.size ?? 0) : connCount),
    disconnect(agentId, how = {}) {
      let n = 0;
      for (const c of byAgent.get(agentId) ?? []) {
        n++;
        if (how.terminate) {
          c.closed = true;
          c.machine?.markClosed();
          sweep.remove(c);
          c.ws.terminate();
        } else closeConn(c, how.code ?? CLOSE.GOING_AWAY, how.reason ?? 'disconnected by operator');
      }
      return n;
    },
    stall(agentId, on = true) {
      if (on) stalled.add(agentId);
      else stalled.delete(agentId);
      for (const c of byAgent.get(agentId) ?? []) {
        if (c.machine) c.machine.stalled = on;
        if (!on) {
          if (!c.welcomed) void welcome(c).catch((err) => storeError(err, c));
          else void pump(c);
        }
      }
      log({ level: 'info', event: on ? 'stall' : 'unstall', agentId });
    },
    close() {
      closing ??= (async () => {
        sweep.stop();
        unwatch?.();
        unkick();
        // Stop accepting first, so no desktop arrives during the grace period below.
        const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections?.();
        for (const set of byAgent.values())
          for (const c of set) closeConn(c, CLOSE.SERVER_SHUTDOWN, 'server shutting down');
        // Sockets upgraded but not (yet) registered to an agent get the same frame.
        for (const ws of wss.clients)
          if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.SERVER_SHUTDOWN, 'server shutting down');
        // Destroying a socket right after the frame makes the desktop see an RST instead of the 4001 (the lab saw
        // it): wait, bounded, for the close handshake and the socket's end.
        await closedWithin([...wss.clients], closeGraceMs);
        http.closeAllConnections?.();
        const left = [...wss.clients];
        for (const ws of left) ws.terminate();
        // Their 'close' events (connection bookkeeping) come a tick later; resolve after them.
        await closedWithin(left, closeGraceMs);
        await httpClosed;
        wss.close();
        if (!opts.store) await store.close();
        if (!opts.sessions) await sessions.close();
      })();
      return closing;
    },
  };
}

/** Resolves when every socket has emitted 'close', or after `ms`, whichever comes first. */
function closedWithin(sockets: WebSocket[], ms: number): Promise<void> {
  const open = sockets.filter((ws) => ws.readyState !== WebSocket.CLOSED);
  if (!open.length || ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let left = open.length;
    const timer = setTimeout(resolve, ms);
    for (const ws of open)
      ws.once('close', () => {
        if (--left === 0) {
          clearTimeout(timer);
          resolve();
        }
      });
  });
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}
