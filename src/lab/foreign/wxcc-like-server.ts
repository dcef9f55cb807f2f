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
  readonly port: number;
  /** Stop (or resume) sending anything on the sockets open now; TCP stays up, new sockets still work. */
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
  const server = new WxccLike(opts);
  await server.accept();
  return server;
}

class WxccLike implements WxccLikeServer {
  port: number;
  private readonly pending = new Map<string, string>(); // subscription id → agent id
  private readonly clients = new Set<Client>();
  private readonly stalled = new Set<WebSocket>();
  private readonly tcp = new Set<Socket>();
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly http = createServer((req, res) => this.route(req, res));
  private readonly timers: NodeJS.Timeout[];
  private counter = 0;

  constructor(private readonly opts: WxccLikeOptions) {
    this.port = opts.port;
    this.http.on('connection', (s: Socket) => {
      this.tcp.add(s);
      s.once('close', () => this.tcp.delete(s));
    });
    this.http.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    // The idle check runs four times a keepalive period, so a silent client is dropped soon after the timeout.
    this.timers = [
      setInterval(() => this.tick(), opts.keepaliveMs),
      setInterval(() => this.dropIdle(), Math.max(10, opts.keepaliveMs / 4)),
    ];
  }

  private send(c: Client, msg: unknown): void {
    if (this.stalled.has(c.ws) || c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(JSON.stringify(msg));
  }

  private tick(): void {
    this.counter++;
    const every = this.opts.notifyEvery;
    for (const c of this.clients) {
      this.send(c, { keepalive: 'true' });
      if (every && this.counter % every === 0) this.send(c, agentEvent(c.agentId, this.counter));
    }
  }

  private dropIdle(): void {
    const now = Date.now();
    for (const c of this.clients)
      if (now - c.lastRx > this.opts.silenceMs && c.ws.readyState === c.ws.OPEN)
        c.ws.close(FOREIGN_CLOSE.IDLE.code, FOREIGN_CLOSE.IDLE.reason);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
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
        this.pending.set(id, agentId);
        const host = req.headers.host ?? `${this.opts.host}:${this.port}`;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ webSocketUrl: `ws://${host}/v1/notification/subscription/${id}`, subscriptionId: id }),
        );
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":"not found"}');
  }

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const m = /^\/v1\/notification\/subscription\/([0-9a-f]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const agentId = m ? this.pending.get(m[1]) : undefined;
    if (!m || agentId === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.pending.delete(m[1]);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, agentId, lastRx: Date.now() };
      this.clients.add(c);
      ws.on('message', () => {
        c.lastRx = Date.now();
      });
      ws.on('close', () => {
        this.clients.delete(c);
        this.stalled.delete(ws);
      });
      ws.on('error', () => {});
      this.send(c, { type: 'Welcome', data: { agentId } });
    });
  }

  stall(on: boolean): void {
    this.stalled.clear();
    if (on) for (const c of this.clients) this.stalled.add(c.ws);
  }

  resetAll(): number {
    const n = this.tcp.size;
    for (const s of this.tcp) s.resetAndDestroy();
    return n;
  }

  closeAll(): number {
    for (const c of this.clients) c.ws.close(FOREIGN_CLOSE.SHUTDOWN.code, FOREIGN_CLOSE.SHUTDOWN.reason);
    return this.clients.size;
  }

  async refuse(): Promise<void> {
    // Stops listening at once; open sockets stay (close()'s callback would wait for them).
    this.http.close();
  }

  accept(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.port, this.opts.host, () => {
        this.http.off('error', reject);
        this.port = (this.http.address() as { port: number }).port;
        resolve();
      });
    });
  }

  publish(type: string, data: unknown): number {
    for (const c of this.clients) this.send(c, { type, data, trackingId: randomBytes(8).toString('hex') });
    return this.clients.size;
  }

  sockets(): number {
    return this.clients.size;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.ws.terminate();
    for (const s of this.tcp) s.destroy();
    await closeListener(this.http).catch(() => {});
  }
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
