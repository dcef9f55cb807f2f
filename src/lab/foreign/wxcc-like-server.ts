// A WxCC-like notification server written independently of Lifeline's own (it imports nothing from src/server or
// src/protocol), so the fault lab can check the troubleshooter on a Notifs that is not ours. It follows the public
// WxCC shapes — POST /v1/notification/subscribe → {webSocketUrl, subscriptionId}; a Welcome first;
// {"keepalive":"true"} both ways; the socket dropped after the silence timeout without a client message — and
// otherwise behaves its own way: its own close codes and reasons, its own notifications, no stream positions and no
// resume. It also serves a home-grown desktop page (plain-desktop-page.ts) at /plain/.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { PLAIN_DESKTOP_HTML } from './plain-desktop-page.ts';

/** This server's own close codes (not Lifeline's table): an idle client, and an operator/maintenance close. */
export const FOREIGN_CLOSE = {
  IDLE: { code: 4100, reason: 'Connection idle' },
  SHUTDOWN: { code: 4900, reason: 'Closing session' },
} as const;

export interface WxccLikeOptions {
  host: string;
  port: number;
  keepaliveMs: number;
  silenceMs: number;
  /** Every this many keepalive periods a notification is published to each socket (0 = none). */
  notifyEvery?: number;
}

interface Client {
  ws: WebSocket;
  agentId: string;
  lastRx: number;
}

export interface WxccLikeServer {
  port: number;
  /** Stop (or resume) sending anything on live sockets; TCP stays up, new sockets still work. */
  stall(on: boolean): void;
  resetAll(): number;
  closeAll(): number;
  /** Stop accepting connections (the listener closes) / accept again on the same port. */
  refuse(): Promise<void>;
  accept(): Promise<void>;
  publish(type: string, data: unknown): number;
  sockets(): number;
  close(): Promise<void>;
}

export async function startWxccLikeServer(opts: WxccLikeOptions): Promise<WxccLikeServer> {
  const pending = new Map<string, string>(); // subscription id → agent id
  const clients = new Set<Client>();
  const stalled = new Set<WebSocket>();
  const tcp = new Set<Socket>();
  let stallAll = false;
  let counter = 0;
  const wss = new WebSocketServer({ noServer: true });

  const send = (c: Client, msg: unknown) => {
    if (stallAll || stalled.has(c.ws) || c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(JSON.stringify(msg));
  };
  const tick = setInterval(() => {
    counter++;
    for (const c of clients) {
      send(c, { keepalive: 'true' });
      if (opts.notifyEvery && counter % opts.notifyEvery === 0) send(c, agentEvent(c.agentId, counter));
    }
  }, opts.keepaliveMs);
  // The idle check runs four times a keepalive period, so a silent client is dropped soon after the timeout.
  const idle = setInterval(
    () => {
      const now = Date.now();
      for (const c of clients)
        if (now - c.lastRx > opts.silenceMs && c.ws.readyState === c.ws.OPEN)
          c.ws.close(FOREIGN_CLOSE.IDLE.code, FOREIGN_CLOSE.IDLE.reason);
    },
    Math.max(10, opts.keepaliveMs / 4),
  );

  const http = createServer((req, res) => route(req, res));
  const route = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname === '/plain/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PLAIN_DESKTOP_HTML);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1/notification/subscribe') {
      const agentId = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '') || 'agent';
      req.resume();
      req.on('end', () => {
        const id = randomBytes(12).toString('hex');
        pending.set(id, agentId);
        const host = req.headers.host ?? `${opts.host}:${opts.port}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ webSocketUrl: `ws://${host}/v1/notification/subscription/${id}`, subscriptionId: id }),
        );
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  };
  http.on('connection', (s: Socket) => {
    tcp.add(s);
    s.once('close', () => tcp.delete(s));
  });
  http.on('upgrade', (req, socket, head) => {
    const m = /^\/v1\/notification\/subscription\/([0-9a-f]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const agentId = m ? pending.get(m[1]) : undefined;
    if (!m || agentId === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    pending.delete(m[1]);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, agentId, lastRx: Date.now() };
      clients.add(c);
      ws.on('message', () => {
        c.lastRx = Date.now();
      });
      ws.on('close', () => {
        clients.delete(c);
        stalled.delete(ws);
      });
      ws.on('error', () => {});
      send(c, { type: 'Welcome', data: { agentId } });
    });
  });

  let port = opts.port;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, opts.host, () => {
        http.off('error', reject);
        port = (http.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();

  const api: WxccLikeServer = {
    get port() {
      return port;
    },
    stall(on) {
      stallAll = false;
      stalled.clear();
      // Stalling acts on the sockets open now; a new connection (a reconnect) is served normally.
      if (on) for (const c of clients) stalled.add(c.ws);
    },
    resetAll() {
      const n = tcp.size;
      for (const s of tcp) s.resetAndDestroy();
      return n;
    },
    closeAll() {
      for (const c of clients) c.ws.close(FOREIGN_CLOSE.SHUTDOWN.code, FOREIGN_CLOSE.SHUTDOWN.reason);
      return clients.size;
    },
    async refuse() {
      // Stops listening at once; open sockets stay (close()'s callback would wait for them).
      http.close();
    },
    accept: () => listen(),
    publish(type, data) {
      for (const c of clients) send(c, { type, data, trackingId: randomBytes(8).toString('hex') });
      return clients.size;
    },
    sockets: () => clients.size,
    async close() {
      clearInterval(tick);
      clearInterval(idle);
      for (const c of clients) c.ws.terminate();
      for (const s of tcp) s.destroy();
      await closeListener(http).catch(() => {});
    },
  };
  return api;
}

function closeListener(http: Server): Promise<void> {
  return new Promise((resolve, reject) => http.close((err) => (err ? reject(err) : resolve())));
}

/** This server's own notification shape: an agent state event, as a WxCC-like service might send it. */
function agentEvent(agentId: string, n: number): unknown {
  return {
    type: 'AgentStateChange',
    data: { agentId, state: n % 2 ? 'Available' : 'Idle', eventTime: Date.now() },
    trackingId: randomBytes(8).toString('hex'),
  };
}
