// The fault proxy's HTTP JSON API (Toxiproxy-like), so faults can be added and removed at run time from any tool:
//   GET    /toxics           → 200 [ToxicSpec…]
//   POST   /toxics           → 201 ToxicSpec   (body: {name?, type, stream?, attributes?}); 400/409 {code, message}
//   DELETE /toxics/NAME      → 204, 404 if unknown (a removed stall releases what it held)
//   DELETE /toxics           → 204 (removes all)
//   GET    /connections      → 200 [ProxyConnectionInfo…]
//   POST   /reset            → 204 (resets every live connection)
import http from 'node:http';
import type { Endpoint, FaultProxy } from './fault-proxy.ts';
import { parseToxicSpec, ToxicError } from './toxics.ts';

const MAX_BODY = 64 * 1024;

export interface ProxyApi {
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new ToxicError('API_BODY_TOO_LARGE', `body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ToxicError('API_BAD_JSON', 'body is not valid JSON');
  }
}

export function handleProxyApi(proxy: FaultProxy) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    try {
      if (path === '/toxics' && req.method === 'GET') return send(res, 200, proxy.listToxics());
      if (path === '/toxics' && req.method === 'POST') {
        const spec = parseToxicSpec(await readJson(req));
        proxy.addToxic(spec);
        await proxy.settled();
        return send(res, 201, spec);
      }
      if (path === '/toxics' && req.method === 'DELETE') {
        proxy.clearToxics();
        await proxy.settled();
        return send(res, 204);
      }
      const m = /^\/toxics\/([^/]+)$/.exec(path);
      if (m && req.method === 'DELETE') {
        const name = decodeURIComponent(m[1]);
        if (!proxy.removeToxic(name)) return send(res, 404, { code: 'TOXIC_NOT_FOUND', message: `no toxic ${name}` });
        await proxy.settled();
        return send(res, 204);
      }
      if (m && req.method === 'GET') {
        const t = proxy.listToxics().find((x) => x.name === decodeURIComponent(m[1]));
        return t ? send(res, 200, t) : send(res, 404, { code: 'TOXIC_NOT_FOUND', message: 'no such toxic' });
      }
      if (path === '/connections' && req.method === 'GET') return send(res, 200, proxy.connections());
      if (path === '/reset' && req.method === 'POST') {
        proxy.resetAll();
        return send(res, 204);
      }
      return send(res, 404, { code: 'API_NOT_FOUND', message: `${req.method} ${path} is not an API route` });
    } catch (err) {
      if (err instanceof ToxicError) {
        return send(res, err.code === 'TOXIC_EXISTS' ? 409 : 400, { code: err.code, message: err.message });
      }
      return send(res, 500, { code: 'API_INTERNAL', message: String((err as Error)?.message ?? err) });
    }
  };
}

/** Serves the API for `proxy` on `at` (127.0.0.1 only in the lab). */
export async function startProxyApi(proxy: FaultProxy, at: Endpoint): Promise<ProxyApi> {
  const handler = handleProxyApi(proxy);
  const server = http.createServer((req, res) => {
    void handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(at.port, at.host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
