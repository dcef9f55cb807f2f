// Test helpers: a tiny WxCC-like keepalive server (ws:// or wss://) on 127.0.0.1 that also serves the page that
// opens the socket, plus tool checks that fail with the Debian package to install.
import { spawnSync } from 'node:child_process';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export function requireTool(cmd: string, pkg: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  if (r.status !== 0 || !path) throw new Error(`${cmd} is required for this test: apt-get install ${pkg}`);
  return path;
}

export interface ServerCounts {
  connections: number;
  sent: number; // text messages the server sent
  received: number; // text messages the server received
}

export interface KeepaliveServer {
  url: string; // page URL
  wsUrl: string;
  port: number;
  counts: ServerCounts;
  close(): Promise<void>;
}

/** The page: opens the socket, sends a keepalive every `everyMs`, closes after `closeAfter` received messages. */
function page(closeAfter: number, everyMs: number): string {
  return `<!doctype html><title>keepalive</title><script>
const u = new URL(location.href).searchParams.get('ws');
const ws = new WebSocket(u);
let n = 0, t;
ws.onopen = () => { t = setInterval(() => ws.send('{"keepalive":"true"}'), ${everyMs}); };
ws.onmessage = () => { n++; if (n === ${closeAfter}) { clearInterval(t); ws.close(1000, 'done'); } };
ws.onclose = (e) => { window.closedWith = e.code; window.done = true; };
</script>`;
}

export async function startKeepaliveServer(opts: {
  tls?: { key: string; cert: string };
  everyMs?: number;
  closeAfter?: number;
}): Promise<KeepaliveServer> {
  const everyMs = opts.everyMs ?? 200;
  const html = page(opts.closeAfter ?? 8, everyMs);
  const handler = (_req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-type', 'text/html');
    res.end(html);
  };
  const server: Server = opts.tls
    ? createHttps({ key: opts.tls.key, cert: opts.tls.cert }, handler)
    : createHttp(handler);
  const wss = new WebSocketServer({ server });
  const counts: ServerCounts = { connections: 0, sent: 0, received: 0 };
  const timers = new Set<NodeJS.Timeout>();
  wss.on('connection', (s) => {
    counts.connections++;
    const send = (text: string) => {
      if (s.readyState !== s.OPEN) return;
      s.send(text);
      counts.sent++;
    };
    send(JSON.stringify({ type: 'Welcome', data: { agentId: 'agent-lab' } }));
    const t = setInterval(() => {
      send('{"keepalive":"true"}');
      if (s.readyState === s.OPEN) s.ping();
    }, everyMs);
    timers.add(t);
    s.on('message', () => counts.received++);
    s.on('close', () => {
      clearInterval(t);
      timers.delete(t);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const scheme = opts.tls ? 'https' : 'http';
  const wsScheme = opts.tls ? 'wss' : 'ws';
  const wsUrl = `${wsScheme}://127.0.0.1:${port}/v1/notification/subscription/lab`;
  return {
    url: `${scheme}://127.0.0.1:${port}/?ws=${encodeURIComponent(wsUrl)}`,
    wsUrl,
    port,
    counts,
    close: async () => {
      for (const t of timers) clearInterval(t);
      for (const c of wss.clients) c.terminate();
      wss.close();
      // Browsers keep HTTP connections alive: drop them, or close() waits for their idle timeout.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A forward proxy that only tunnels (HTTP CONNECT), as enterprise proxies do for WebSockets. */
export async function startConnectProxy(target: { host: string; port: number }): Promise<{
  port: number;
  tunnels: () => number;
  close(): Promise<void>;
}> {
  const { connect } = await import('node:net');
  let tunnels = 0;
  const sockets = new Set<import('node:net').Socket>();
  const proxy = createHttp((_req, res) => {
    res.statusCode = 405;
    res.end();
  });
  proxy.on('connect', (_req: IncomingMessage, client: import('node:net').Socket, head: Buffer) => {
    tunnels++;
    // Every tunnel goes to the keepalive server, whatever host the browser asked for (no DNS needed).
    const up = connect(target.port, target.host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    sockets.add(up).add(client);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as AddressInfo).port,
    tunnels: () => tunnels,
    close: async () => {
      for (const s of sockets) s.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}
