// Baseline server for the connection benchmark: the WxCC keepalive protocol (subscribe over HTTP, Welcome, then
// {"keepalive":"true"} every keepalive period both ways, drop after the silence timeout) on raw `ws`, with the
// cheapest timer design we know: one interval for the whole process, a phase wheel for outgoing keepalives and a
// deadline wheel for silence. It is what Lifeline and Socket.IO are compared against, not a product server.
//
// Usage: node --import tsx bench/connection/ws-baseline-server.ts [--keepalive 4000] [--silence 16000] [--port 0]
// Prints {"event":"listening","url":"http://127.0.0.1:PORT"} on stdout when ready.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { type WebSocket, WebSocketServer } from 'ws';
import { DeadlineWheel } from './deadline-wheel.ts';
import { PhaseWheel } from './phase-wheel.ts';

const { values } = parseArgs({
  options: {
    keepalive: { type: 'string', default: '4000' },
    silence: { type: 'string', default: '16000' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const keepaliveMs = Number(values.keepalive);
const silenceMs = Number(values.silence);
// Silence is detected to within one tick; 1/160 of the timeout (100 ms at 16 s) keeps the error small and the
// interval cheap.
const tickMs = Math.max(5, Math.round(silenceMs / 160));

interface Conn {
  ws: WebSocket;
  lastReceivedAt: number;
  open: boolean;
}

const KEEPALIVE = JSON.stringify({ keepalive: 'true' });
const pending = new Map<string, string>(); // subscriptionId → agentId, until the socket connects
let nextPhase = 0;
const start = performance.now();
const sendWheel = new PhaseWheel<Conn>(keepaliveMs, Math.max(1, Math.round(keepaliveMs / tickMs)), start);
const silenceWheel = new DeadlineWheel<Conn>(tickMs, silenceMs + tickMs, start);

const http = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.method === 'POST' && req.url === '/v1/notification/subscribe') {
    req.resume();
    req.on('end', () => {
      const id = randomUUID();
      pending.set(id, `agent-${id.slice(0, 8)}`);
      const host = req.headers.host ?? `${values.host}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ webSocketUrl: `ws://${host}/v1/notification/subscription/${id}`, subscriptionId: id }));
    });
    return;
  }
  res.writeHead(404).end();
});

const wss = new WebSocketServer({ noServer: true });
http.on('upgrade', (req, socket, head) => {
  const m = /^\/v1\/notification\/subscription\/([\w-]+)$/.exec(req.url ?? '');
  const agentId = m ? pending.get(m[1]) : undefined;
  if (!m || agentId === undefined) {
    socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    return;
  }
  pending.delete(m[1]);
  wss.handleUpgrade(req, socket, head, (ws) => {
    const now = performance.now();
    const conn: Conn = { ws, lastReceivedAt: now, open: true };
    // Any message is proof of life; receiving costs one field write, no timer operation.
    ws.on('message', () => {
      conn.lastReceivedAt = performance.now();
    });
    ws.on('close', () => {
      conn.open = false;
    });
    ws.on('error', () => {
      conn.open = false;
    });
    ws.send(JSON.stringify({ type: 'Welcome', data: { agentId } }));
    sendWheel.add(conn, nextPhase++);
    silenceWheel.schedule(conn, now + silenceMs);
  });
});

const timer = setInterval(() => {
  const now = performance.now();
  sendWheel.advance(now, (c) => {
    if (!c.open) return false;
    c.ws.send(KEEPALIVE);
    return true;
  });
  silenceWheel.advance(now, (c) => {
    if (!c.open) return undefined;
    const deadline = c.lastReceivedAt + silenceMs;
    if (deadline > now) return deadline;
    c.open = false;
    c.ws.terminate();
    return undefined;
  });
}, tickMs);

http.listen(Number(values.port), values.host, () => {
  const addr = http.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: `http://${values.host}:${port}` })}\n`);
});

function shutdown(): void {
  clearInterval(timer);
  for (const c of wss.clients) c.terminate();
  http.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
