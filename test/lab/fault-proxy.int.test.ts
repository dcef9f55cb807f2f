import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FaultProxy } from '../../src/lab/fault-proxy.ts';
import { type ProxyApi, startProxyApi } from '../../src/lab/proxy-http-api.ts';

// Upstream: a server that records what it receives and lets the test write to each client.
let upstream: net.Server;
const serverSockets: net.Socket[] = [];
const received: string[] = [];
let proxy: FaultProxy;
let api: ProxyApi;
let base: string;
let logDir: string;

before(async () => {
  upstream = net.createServer({ allowHalfOpen: true }, (s) => {
    serverSockets.push(s);
    s.on('data', (d) => received.push(d.toString()));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = new FaultProxy({
    listen: { host: '127.0.0.1', port: 0 },
    upstream: { host: '127.0.0.1', port: (upstream.address() as net.AddressInfo).port },
  });
  await proxy.start();
  logDir = await mkdtemp(path.join(tmpdir(), 'lifeline-proxy-'));
  await proxy.startDeviceLog(path.join(logDir, 'device.log'));
  api = await startProxyApi(proxy, { host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${api.port}`;
});

after(async () => {
  await api.close();
  await proxy.close();
  for (const s of serverSockets) s.destroy();
  await new Promise<void>((r) => upstream.close(() => r()));
  await rm(logDir, { recursive: true, force: true });
});

/** Waits for a condition, polling on the event loop; fails after `ms`. */
async function until(what: string, cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function connect(): Promise<{ sock: net.Socket; server: net.Socket; got: () => string }> {
  const n = serverSockets.length;
  const sock = net.connect(proxy.listenPort, '127.0.0.1');
  sock.on('error', () => {});
  let data = '';
  sock.on('data', (d) => (data += d.toString()));
  await once(sock, 'connect');
  await until('upstream accept', () => serverSockets.length > n);
  return { sock, server: serverSockets[serverSockets.length - 1], got: () => data };
}

async function post(body: unknown): Promise<Response> {
  return fetch(`${base}/toxics`, { method: 'POST', body: JSON.stringify(body) });
}

test('passes bytes both ways with no toxics', async () => {
  const c = await connect();
  c.sock.write('hello');
  await until('upstream data', () => received.join('').includes('hello'));
  c.server.write('welcome');
  await until('downstream data', () => c.got() === 'welcome');
  c.sock.destroy();
});

test('API: add, list, conflict, bad input, delete', async () => {
  let r = await post({ name: 'lat', type: 'latency', stream: 'upstream', attributes: { latencyMs: 1 } });
  assert.equal(r.status, 201);
  r = await post({ name: 'lat', type: 'latency', stream: 'upstream' });
  assert.equal(r.status, 409);
  assert.equal(((await r.json()) as { code: string }).code, 'TOXIC_EXISTS');
  r = await fetch(`${base}/toxics`, { method: 'POST', body: '{not json' });
  assert.equal(r.status, 400);
  assert.equal(((await r.json()) as { code: string }).code, 'API_BAD_JSON');
  r = await fetch(`${base}/toxics`);
  const list = (await r.json()) as { name: string }[];
  assert.deepEqual(
    list.map((t) => t.name),
    ['lat'],
  );
  assert.equal((await fetch(`${base}/toxics/lat`, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(`${base}/toxics/lat`, { method: 'DELETE' })).status, 404);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
});

test('one-way black hole downstream: desktop→Notifs still flows, Notifs→desktop is dropped, socket stays open', async () => {
  const c = await connect();
  assert.equal((await post({ name: 'bh', type: 'blackhole', stream: 'downstream' })).status, 201);
  c.server.write('lost');
  c.sock.write('up-ok');
  await until('upstream data through', () => received.join('').includes('up-ok'));
  // The upstream data arriving proves the proxy processed the earlier downstream write too (same event loop turns).
  await until('proxy read the dropped bytes', () => proxy.connections().some((x) => x.bytesDown >= 4));
  assert.equal(c.got(), '');
  assert.equal(c.sock.destroyed, false);
  await fetch(`${base}/toxics/bh`, { method: 'DELETE' });
  c.server.write('after');
  await until('downstream after removal', () => c.got() === 'after');
  c.sock.destroy();
});

test('stall downstream then release: held bytes arrive late, in order', async () => {
  const c = await connect();
  await post({ name: 'st', type: 'stall', stream: 'downstream' });
  c.server.write('k1;');
  c.server.write('k2;');
  await until('stall holds bytes', () => proxy.connections().some((x) => x.queuedDown === 6));
  assert.equal(c.got(), '');
  await fetch(`${base}/toxics/st`, { method: 'DELETE' });
  await until('released', () => c.got() === 'k1;k2;');
  c.sock.destroy();
});

test('reset toxic sends RST to the desktop', async () => {
  const c = await connect();
  const err = new Promise<NodeJS.ErrnoException>((resolve) => c.sock.once('error', resolve));
  await post({ name: 'rst', type: 'reset', stream: 'downstream', attributes: { afterMs: 0, side: 'both' } });
  const e = await Promise.race([err, new Promise<never>((_, rej) => setTimeout(() => rej(new Error('no RST')), 3000))]);
  assert.equal(e.code, 'ECONNRESET');
  await fetch(`${base}/toxics/rst`, { method: 'DELETE' });
});

test('refuse resets new connections; removal accepts them again', async () => {
  await post({ name: 'ref', type: 'refuse', stream: 'upstream' });
  const sock = net.connect(proxy.listenPort, '127.0.0.1');
  const [e] = (await once(sock, 'error')) as [NodeJS.ErrnoException];
  assert.equal(e.code, 'ECONNRESET');
  await fetch(`${base}/toxics/ref`, { method: 'DELETE' });
  const c = await connect();
  c.sock.destroy();
});

test('down: connects are refused by the kernel while live connections keep working; removal listens again', async () => {
  const live = await connect();
  assert.equal((await post({ name: 'dn', type: 'down', stream: 'upstream' })).status, 201);
  const sock = net.connect(proxy.listenPort, '127.0.0.1');
  const [e] = (await once(sock, 'error')) as [NodeJS.ErrnoException];
  assert.equal(e.code, 'ECONNREFUSED');
  live.sock.write('still-up');
  await until('live connection still forwards', () => received.join('').includes('still-up'));
  assert.equal((await fetch(`${base}/toxics/dn`, { method: 'DELETE' })).status, 204);
  const c = await connect();
  c.sock.destroy();
  live.sock.destroy();
});

test('limit closes both sides gracefully after N bytes upstream', async () => {
  const c = await connect();
  await post({ name: 'lim', type: 'limit', stream: 'upstream', attributes: { bytes: 3 } });
  const before = received.join('').length;
  const ended = once(c.sock, 'end');
  c.sock.write('abcdef');
  await ended;
  await until('3 bytes through', () => received.join('').length === before + 3);
  assert.ok(received.join('').endsWith('abc'));
  await fetch(`${base}/toxics/lim`, { method: 'DELETE' });
  c.sock.destroy();
});

test('a FIN from the desktop passes through; a black-holed FIN does not', async () => {
  const c = await connect();
  const serverEnd = once(c.server, 'end');
  c.sock.end();
  await serverEnd;
  const d = await connect();
  await post({ name: 'bh2', type: 'blackhole', stream: 'upstream' });
  let ended = false;
  d.server.on('end', () => (ended = true));
  d.sock.end();
  // Prove the FIN reached the proxy (its desktop socket ended) before checking it was swallowed.
  await until('proxy saw nothing upstream', () => d.sock.writableFinished);
  await fetch(`${base}/toxics/bh2`, { method: 'DELETE' });
  d.server.write('still-open');
  await until('server half still works', () => d.got() === 'still-open');
  assert.equal(ended, false);
  d.sock.destroy();
});

test('device log: ASA Built/Teardown lines naming the proxy address, with the reason of each end', async () => {
  // A graceful close both ways, so this connection ends with FINs.
  const c = await connect();
  const id = Math.max(...proxy.connections().map((x) => x.id));
  const serverEnd = once(c.server, 'end');
  c.sock.end();
  await serverEnd;
  c.server.end();
  await until('connection gone from the proxy', () => !proxy.connections().some((x) => x.id === id));
  await proxy.stopDeviceLog();
  const lines = (await readFile(path.join(logDir, 'device.log'), 'utf8')).trim().split('\n');
  const built = lines.filter((l) => l.includes('%ASA-6-302013: Built outbound TCP connection'));
  const teardown = lines.filter((l) => l.includes('%ASA-6-302014: Teardown TCP connection'));
  assert.ok(built.length >= 5);
  assert.ok(built.every((l) => l.includes(`outside:127.0.0.1/${proxy.listenPort}`)));
  assert.ok(
    teardown.some((l) => l.endsWith('Flow closed by inspection')),
    'the reset toxic is the device own doing',
  );
  assert.ok(teardown.some((l) => l.includes(`Teardown TCP connection ${id} `) && l.endsWith('TCP FINs')));
  assert.ok(lines.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z lab-proxy : %ASA-6-30201[34]: /.test(l)));
});
