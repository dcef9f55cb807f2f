// The foreign pair's WxCC-like Notifs over real sockets: the WxCC shapes (subscribe reply, Welcome first,
// keepalives), its own idle close and operator close codes, stall, and the home-grown page it serves.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { FOREIGN_CLOSE, startWxccLikeServer, type WxccLikeServer } from '../../../src/lab/foreign/wxcc-like-server.ts';

let server: WxccLikeServer;
const base = () => `http://127.0.0.1:${server.port}`;

before(async () => {
  server = await startWxccLikeServer({ host: '127.0.0.1', port: 0, keepaliveMs: 100, silenceMs: 400, notifyEvery: 2 });
});
after(() => server.close());

async function connect(
  agent = 'a1',
): Promise<{ ws: WebSocket; got: string[]; closed: Promise<{ code: number; reason: string }> }> {
  const r = await fetch(`${base()}/v1/notification/subscribe`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agent}`, 'content-type': 'application/json' },
    body: '{"force":true,"isKeepAliveEnabled":true}',
  });
  assert.equal(r.status, 200);
  const sub = (await r.json()) as { webSocketUrl: string; subscriptionId: string };
  assert.match(sub.webSocketUrl, /^ws:\/\/127\.0\.0\.1:\d+\/v1\/notification\/subscription\/[0-9a-f]+$/);
  const ws = new WebSocket(sub.webSocketUrl);
  const got: string[] = [];
  ws.on('message', (d) => got.push(String(d)));
  const closed = new Promise<{ code: number; reason: string }>((res) =>
    ws.on('close', (code, reason) => res({ code, reason: String(reason) })),
  );
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  return { ws, got, closed };
}

const until = async (cond: () => boolean, ms = 3000) => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('Welcome first, then keepalives and its own notifications; a client that keeps talking stays', async () => {
  const c = await connect();
  const ka = setInterval(() => c.ws.send('{"keepalive":"true"}'), 100);
  await until(() => c.got.filter((m) => m.includes('AgentStateChange')).length >= 2);
  clearInterval(ka);
  assert.deepEqual(JSON.parse(c.got[0]), { type: 'Welcome', data: { agentId: 'a1' } });
  assert.ok(c.got.includes('{"keepalive":"true"}'));
  assert.equal(c.ws.readyState, WebSocket.OPEN);
  c.ws.close();
});

test('a silent client is dropped with its own idle code, not one of Lifeline’s', async () => {
  const c = await connect();
  const { code, reason } = await c.closed;
  assert.equal(code, FOREIGN_CLOSE.IDLE.code);
  assert.equal(reason, FOREIGN_CLOSE.IDLE.reason);
});

test('stall: the open socket hears nothing more, a new one is served; closeAll uses the operator code', async () => {
  const c = await connect();
  const ka = setInterval(() => c.ws.send('{"keepalive":"true"}'), 50);
  await until(() => c.got.length >= 2);
  server.stall(true);
  const n = c.got.length;
  await new Promise((r) => setTimeout(r, 350));
  assert.ok(c.got.length <= n + 1, 'at most a frame already in flight');
  const d = await connect('a2');
  await until(() => d.got.length >= 1);
  server.stall(false);
  assert.equal(server.closeAll(), 2);
  assert.equal((await c.closed).code, FOREIGN_CLOSE.SHUTDOWN.code);
  clearInterval(ka);
});

test('an unknown subscription is refused at the upgrade; the home-grown page is served at /plain/', async () => {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/v1/notification/subscription/00ff`);
  const err = await new Promise<Error>((res) => ws.once('error', res));
  assert.match(err.message, /404/);
  const page = await (await fetch(`${base()}/plain/`)).text();
  assert.match(page, /setInterval/);
  assert.match(page, /\/v1\/notification\/subscribe/);
});
