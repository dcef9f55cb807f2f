// The Notifs server, composed: HTTP API (http-api.ts) + WebSocket upgrades (ws) → one SocketDriver per socket
// (socket-driver.ts) executing the sans-IO NotifsConnectionMachine, registered in the Hub (hub.ts) that kicks,
// disconnects and fans appends out. One DeadlineSweep drives every socket's keepalive and silence timers. This file
// wires them, watches the store and the session registry, and owns start-up and the graceful close.

import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WebSocket, WebSocketServer } from 'ws';
import { CLOSE } from '../protocol/close-codes.ts';
import { DEFAULT_MAX_MESSAGE } from '../protocol/codec.ts';
import type { StreamPosition } from '../protocol/stream-position.ts';
import { WXCC_TIMERS } from '../protocol/wxcc.ts';
import { type AuthConfig, createAuth } from './auth.ts';
import { DeadlineSweep } from './deadline-sweep.ts';
import { HttpApi, SUB_PATH } from './http-api.ts';
import { Hub } from './hub.ts';
import { MemoryStore } from './memory-store.ts';
import { type MetricsSnapshot, newCounters } from './metrics.ts';
import { MemorySessions, type SessionRegistry, type SubscriptionRecord } from './session-registry.ts';
import { SharedReads } from './shared-reads.ts';
import { type DriverDeps, logStoreError, SocketDriver } from './socket-driver.ts';
import { StallSwitch } from './stall.ts';
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
  /**
   * Clients that give no clientId and no resumeFrom (Cisco's SDK): the last position delivered per agent and client
   * type is remembered this long after their socket ends, and their next fresh subscribe replays what they missed
   * (or is told recovered:false). Default 120000; 0 turns it off.
   */
  deliveredWindowMs?: number;
  /** Exact origins (scheme://host[:port]) whose pages may call subscribe/publish (CORS). Default none. */
  corsOrigins?: string[];
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

/** Settings with their defaults, and the parts every other one is built on. */
function basics(opts: NotifsServerOptions) {
  const host = opts.host ?? '127.0.0.1';
  const authCfg = opts.auth ?? { mode: 'dev' as const };
  if (authCfg.mode === 'dev' && !isLoopback(host)) {
    throw new Error(`dev auth (token names the agent) is refused on non-loopback host ${host}: use tokens or secret`);
  }
  const log = opts.log ?? (() => {});
  const store: NotifStore = opts.store ?? new MemoryStore({ maxPerAgent: opts.backlogPerAgent ?? 10000 });
  const now = () => performance.now();
  const counters = newCounters();
  const hub = new Hub<SocketDriver>();
  const metrics = (): MetricsSnapshot => ({
    ...counters,
    connections: hub.count(),
    backlogSize: store.backlogSize(),
    storeUp: store.available?.() === false ? 0 : 1,
  });
  return {
    host,
    keepaliveMs: opts.keepaliveMs ?? WXCC_TIMERS.keepaliveMs,
    silenceMs: opts.silenceMs ?? WXCC_TIMERS.silenceMs,
    maxMessageBytes: opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE,
    deliveredWindowMs: opts.deliveredWindowMs ?? 120000,
    auth: createAuth(authCfg, opts.adminToken, (r) => log({ level: 'info', event: 'auth-rejected', ...r })),
    store,
    log,
    now,
    counters,
    sessions: opts.sessions ?? (new MemorySessions(now) as SessionRegistry),
    hub,
    stall: new StallSwitch(),
    sweep: new DeadlineSweep<SocketDriver>(opts.sweepMs ?? 250, now),
    metrics,
  };
}

/** Everything one server is made of, before it listens. */
function compose(opts: NotifsServerOptions) {
  const b = basics(opts);
  const { store, sessions, hub, counters, log, now, keepaliveMs, silenceMs, deliveredWindowMs } = b;
  const bound = { port: 0 };
  const api = new HttpApi({
    ...{ auth: b.auth, store, sessions, hub, counters, metrics: b.metrics, log, now, deliveredWindowMs },
    maxBodyBytes: opts.maxBodyBytes ?? 64 * 1024,
    subscriptionTtlMs: opts.subscriptionTtlMs ?? 60000,
    subscribeRate: opts.subscribeRate ?? { perSecond: 1000, burst: 2000 },
    ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}),
    ...(opts.corsOrigins ? { corsOrigins: opts.corsOrigins } : {}),
    fallbackHost: () => `${b.host}:${bound.port}`,
    ...(opts.desktopPage !== false
      ? { desktopPage: { keepaliveMs, silenceMs, recoveryMs: opts.recoveryMs ?? WXCC_TIMERS.recoveryMs } }
      : {}),
  });
  const driverDeps: DriverDeps = {
    ...{ store, sessions, hub, counters, log, now, sweep: b.sweep, reads: new SharedReads(store) },
    // A live tracked socket refreshes its delivered position well within the window.
    machine: { keepaliveMs, silenceMs, maxMessage: b.maxMessageBytes, markRefreshMs: refreshWithin(deliveredWindowMs) },
    maxBuffered: opts.maxBufferedBytes ?? 8 * 1024 * 1024,
    deliveredTtlMs: deliveredWindowMs,
    ...(opts.onDesktopMessage ? { onDesktopMessage: opts.onDesktopMessage } : {}),
    wrapSend: (agentId, send) => b.stall.wrap(agentId, send),
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: b.maxMessageBytes, perMessageDeflate: false });
  const http: Server = createServer(api.handle);
  http.on('upgrade', (req, socket, head) =>
    upgrade(req, socket as Socket, head, { wss, sessions, log }, (ws, sub) => {
      void new SocketDriver(ws, sub, driverDeps).start();
    }),
  );
  return { ...b, api, wss, http, bound };
}

export async function startNotifsServer(opts: NotifsServerOptions = {}): Promise<NotifsServer> {
  const p = compose(opts);
  const { store, sessions, hub, log } = p;
  // Shared stores: appends made by other Notifs processes reach this process's sockets too; after a notice
  // channel reconnect (notices may have been missed) every socket catches up.
  const unwatch = store.watch?.(
    (agentId, seq) => hub.notice(agentId, seq),
    () => hub.resync(),
  );
  // Sockets of this node displaced by a login on another node.
  const unkick = sessions.onKick((k) => hub.kick(k));
  // Deaf to other nodes until subscribed: wait before taking desktops (bounded; a store that is down reports it).
  await Promise.race([
    Promise.all([store.ready?.(), sessions.ready?.()]),
    new Promise((r) => setTimeout(r, 5000).unref()),
  ]);
  await listen(p.http, p.host, opts.port ?? 0, opts.listenBacklog ?? 4096);
  const port = (p.http.address() as AddressInfo).port;
  p.bound.port = port;
  const url = `http://${p.host.includes(':') ? `[${p.host}]` : p.host}:${port}`;
  p.sweep.start();
  log({
    level: 'info',
    event: 'listening',
    url,
    auth: p.auth.mode,
    keepaliveMs: p.keepaliveMs,
    silenceMs: p.silenceMs,
  });

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    publish: (agentId, payload) => p.api.publish(agentId, payload),
    metrics: p.metrics,
    adminToken: p.auth.adminToken,
    tokenFor: (a) => p.auth.tokenFor(a),
    connections: (agentId) => hub.count(agentId),
    disconnect: (agentId, how = {}) =>
      hub.disconnect(agentId, {
        code: how.code ?? CLOSE.GOING_AWAY,
        reason: how.reason ?? 'disconnected by operator',
        ...(how.terminate ? { terminate: true } : {}),
      }),
    stall(agentId, on = true) {
      p.stall.set(agentId, on);
      if (!on) for (const c of hub.agent(agentId)) c.writable();
      log({ level: 'info', event: on ? 'stall' : 'unstall', agentId });
    },
    close() {
      closing ??= (async () => {
        p.sweep.stop();
        unwatch?.();
        unkick();
        await shutdown(p.http, p.wss, hub, opts.closeGraceMs ?? 1500);
        if (!opts.store) await store.close();
        if (!opts.sessions) await sessions.close();
      })();
      return closing;
    },
  };
}

/** A WebSocket upgrade on /v1/notification/subscription/<id>: take the subscription (any node made it), accept. */
function upgrade(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  { wss, sessions, log }: { wss: WebSocketServer; sessions: SessionRegistry; log: (rec: LogRecord) => void },
  accept: (ws: WebSocket, sub: SubscriptionRecord) => void,
): void {
  const url = new URL(req.url ?? '/', 'http://x');
  if (!url.pathname.startsWith(SUB_PATH)) {
    socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return;
  }
  const id = url.pathname.slice(SUB_PATH.length);
  socket.on('error', () => {}); // a peer reset while we look it up must not crash the process
  sessions.takeSubscription(id).then(
    (sub) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        if (!sub) ws.close(CLOSE.SUBSCRIPTION_EXPIRED, 'subscription unknown or expired');
        else accept(ws, sub);
      }),
    (err) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        logStoreError(log, err);
        ws.close(CLOSE.INTERNAL, 'store error');
      }),
  );
}

function listen(http: Server, host: string, port: number, backlog: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    // A reconnect storm opens thousands of connections at once: Node's default accept queue (511) overflowed in the
    // storm benchmark (dropped SYNs cost each desktop a 1 s retransmit). The kernel caps it at somaxconn.
    http.listen({ port, host, backlog }, () => resolve());
  });
}

/** Graceful close: stop accepting, 4001 to every socket, wait (bounded) for the close handshakes, then destroy. */
async function shutdown(http: Server, wss: WebSocketServer, hub: Hub, graceMs: number): Promise<void> {
  // Stop accepting first, so no desktop arrives during the grace period below.
  const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections?.();
  for (const c of hub.all()) c.close(CLOSE.SERVER_SHUTDOWN, 'server shutting down');
  // Sockets upgraded but not (yet) registered to an agent get the same frame.
  for (const ws of wss.clients)
    if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.SERVER_SHUTDOWN, 'server shutting down');
  // Destroying a socket right after the frame makes the desktop see an RST instead of the 4001 (the lab saw
  // it): wait, bounded, for the close handshake and the socket's end.
  await closedWithin([...wss.clients], graceMs);
  http.closeAllConnections?.();
  const left = [...wss.clients];
  for (const ws of left) ws.terminate();
  // Their 'close' events (connection bookkeeping) come a tick later; resolve after them.
  await closedWithin(left, graceMs);
  await httpClosed;
  wss.close();
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

function refreshWithin(windowMs: number): number {
  return Math.max(1000, Math.min(30000, Math.floor(windowMs / 4)));
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || /^127\./.test(host);
}
