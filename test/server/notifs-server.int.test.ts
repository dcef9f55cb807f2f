// Notifs over HTTP and raw WebSockets: auth, agent isolation, protocol errors with their close codes, metrics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import { type NotifsServer, startNotifsServer } from '../../src/server/notifs-server.ts';

let s: NotifsServer;
before(async () => {
  s = await startNotifsServer({
    keepaliveMs: 100,
    silenceMs: 400,
    sweepMs: 20,
    auth: { mode: 'secret', secret: 'test-secret' },
  });
});
after(async () => {
  await s.close();
});

async function subscribe(token: string | undefined, body: Record<string, unknown> = {}) {
  const res = await fetch(`${s.url}/v1/notification/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({
      force: true,
      isKeepAliveEnabled: true,
      clientType: 'test',
      allowMultiLogin: false,
      ...body,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Open a raw socket and collect messages until it closes (bounded). */
function rawSocket(url: string) {
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (d) => messages.push(d.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('socket did not close within 5 s')), 5000);
    ws.on('close', (code, reason) => {
      clearTimeout(t);
      resolve({ code, reason: reason.toString() });
    });
  });
  const firstMessage = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no message within 5 s')), 5000);
    ws.once('message', (d) => {
      clearTimeout(t);
      resolve(d.toString());
    });
  });
  firstMessage.catch(() => {}); // only a test that awaits it should fail on it
  closed.catch(() => {});
  return { ws, messages, closed, firstMessage };
}

describe('Notifs HTTP + WebSocket', () => {
  test('subscribe answers the WxCC shape; Welcome comes first with the agent and position', async () => {
    const r = await subscribe(s.tokenFor('agent-a'));
    assert.equal(r.status, 200);
    assert.match(
      String(r.body.webSocketUrl),
      /^ws:\/\/127\.0\.0\.1:\d+\/v1\/notification\/subscription\/[0-9a-f]{32}$/,
    );
    assert.equal(typeof r.body.subscriptionId, 'string');
    const sock = rawSocket(String(r.body.webSocketUrl));
    const w = JSON.parse(await sock.firstMessage);
    assert.equal(w.type, 'Welcome');
    assert.equal(w.data.agentId, 'agent-a');
    assert.equal(w.data.position.seq, 0);
    // A silent raw client is dropped after the silence timeout with 4000.
    assert.equal((await sock.closed).code, CLOSE.SILENCE_TIMEOUT);
    assert.ok(sock.messages.includes('{"keepalive":"true"}'), 'server keepalives were sent');
  });

  test('bad, missing or forged tokens are refused', async () => {
    assert.equal((await subscribe(undefined)).status, 401);
    assert.equal((await subscribe('agent:agent-a')).status, 401, 'dev tokens are not accepted in secret mode');
    const forged = `v1.${Buffer.from('agent-b').toString('base64url')}.${'A'.repeat(43)}`;
    assert.equal((await subscribe(forged)).status, 401);
    assert.equal((await subscribe(s.tokenFor('agent-a'), { resumeFrom: { epoch: 5 } })).status, 400);
  });

  test('a subscription is single use, and unknown ids close with 4002', async () => {
    const r = await subscribe(s.tokenFor('agent-a'));
    const one = rawSocket(String(r.body.webSocketUrl));
    await one.firstMessage;
    const two = rawSocket(String(r.body.webSocketUrl));
    assert.equal((await two.closed).code, CLOSE.SUBSCRIPTION_EXPIRED);
    one.ws.close();
    await one.closed;
  });

  test('one agent cannot read or resume another agent’s stream', async () => {
    const posB = await s.publish('agent-b', { type: 'Secret', data: 'for b only' });
    const r = await subscribe(s.tokenFor('agent-a'), { resumeFrom: { epoch: posB.epoch, seq: 0 }, clientId: 'x1' });
    const sock = rawSocket(String(r.body.webSocketUrl));
    const w = JSON.parse(await sock.firstMessage);
    assert.equal(w.data.agentId, 'agent-a');
    sock.ws.send('{"keepalive":"true"}');
    await s.publish('agent-a', { type: 'Mine', data: 1 });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('agent-a notification not received')), 5000);
      sock.ws.on('message', (d) => {
        if (d.toString().includes('"Mine"')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    assert.ok(!sock.messages.some((m) => m.includes('for b only')), 'never sees agent-b data');
    sock.ws.close();
    await sock.closed;
  });

  test('bad JSON, unknown types and oversize frames get clear close codes', async () => {
    const cases: [string, number][] = [
      ['{oops', CLOSE.BAD_JSON],
      ['{"type":"Hack"}', CLOSE.UNKNOWN_TYPE],
      ['x'.repeat(70 * 1024), 1009],
    ];
    for (const [text, code] of cases) {
      const r = await subscribe(s.tokenFor('agent-c'), { allowMultiLogin: true });
      const sock = rawSocket(String(r.body.webSocketUrl));
      await sock.firstMessage;
      sock.ws.send(text);
      assert.equal((await sock.closed).code, code, text.slice(0, 20));
    }
    assert.ok(s.metrics().protocolErrors >= 2);
  });

  test('publish over HTTP needs the admin token', async () => {
    const body = JSON.stringify({ agentId: 'agent-d', type: 'AgentStateChange', data: { s: 1 } });
    const headers = (t?: string) => ({
      'content-type': 'application/json',
      ...(t ? { authorization: `Bearer ${t}` } : {}),
    });
    let res = await fetch(`${s.url}/v1/notification/publish`, {
      method: 'POST',
      headers: headers(s.tokenFor('agent-d')),
      body,
    });
    assert.equal(res.status, 401);
    res = await fetch(`${s.url}/v1/notification/publish`, { method: 'POST', headers: headers(s.adminToken), body });
    assert.equal(res.status, 200);
    const j = (await res.json()) as { seq: number; epoch: string };
    assert.equal(j.seq, 1);
    res = await fetch(`${s.url}/v1/notification/publish`, {
      method: 'POST',
      headers: headers(s.adminToken),
      body: '{"agentId":"agent-d"}',
    });
    assert.equal(res.status, 400);
    res = await fetch(`${s.url}/v1/notification/publish`, {
      method: 'POST',
      headers: headers(s.adminToken),
      body: 'nope',
    });
    assert.equal(res.status, 400);
  });

  test('GET /metrics is Prometheus text', async () => {
    const res = await fetch(`${s.url}/metrics`);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    for (const name of [
      'lifeline_connections ',
      'lifeline_keepalives_total{direction="in"}',
      'lifeline_keepalives_total{direction="out"}',
      'lifeline_recoveries_total{result="complete"}',
      'lifeline_replayed_total',
      'lifeline_backlog_entries',
    ]) {
      assert.ok(text.includes(name), `${name} present`);
    }
    assert.match(text, /^lifeline_backlog_entries [1-9]\d*$/m);
    assert.match(text, /# TYPE lifeline_connections gauge/);
  });

  test('force:false is refused with 409 while another desktop of the agent is connected', async () => {
    const a = await subscribe(s.tokenFor('agent-f'), { clientId: 'desk-a' });
    const sock = rawSocket(String(a.body.webSocketUrl));
    await sock.firstMessage;
    const b = await subscribe(s.tokenFor('agent-f'), { clientId: 'desk-b', force: false });
    assert.equal(b.status, 409);
    assert.equal(b.body.code, 'already-connected');
    const same = await subscribe(s.tokenFor('agent-f'), { clientId: 'desk-a', force: false });
    assert.equal(same.status, 200, 'the same desktop may always reconnect');
    sock.ws.close();
    await sock.closed;
  });

  test('random and malformed HTTP bodies get 4xx, never a crash or a 5xx', async () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      'null',
      'true',
      '1e999',
      '"agentId"',
      '"type"',
      '"x"',
      '\\u0000',
      'ü',
    ];
    for (let i = 0; i < 120; i++) {
      let body = '';
      const n = Math.floor(rnd() * 12);
      for (let k = 0; k < n; k++) body += pieces[Math.floor(rnd() * pieces.length)];
      const path = i % 2 ? 'subscribe' : 'publish';
      const token = i % 2 ? s.tokenFor('agent-z') : s.adminToken;
      const res = await fetch(`${s.url}/v1/notification/${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body,
      });
      await res.arrayBuffer();
      assert.ok(res.status < 500, `${path} ${JSON.stringify(body)} → ${res.status}`);
    }
    const big = await fetch(`${s.url}/v1/notification/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.adminToken}` },
      body: `{"agentId":"a","type":"T","data":"${'x'.repeat(70 * 1024)}"}`,
    });
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    const ready = await fetch(`${s.url}/readyz`);
    assert.equal(ready.status, 200, 'the memory store is always ready');
    assert.equal(((await ready.json()) as { ready: boolean }).ready, true);
  });

  test('subscribe storms are rate limited with 429 and Retry-After', async () => {
    const r = await startNotifsServer({ subscribeRate: { perSecond: 1, burst: 2 } });
    try {
      const go = () =>
        fetch(`${r.url}/v1/notification/subscribe`, {
          method: 'POST',
          headers: { authorization: 'Bearer agent:x' },
          body: '{}',
        });
      assert.equal((await go()).status, 200);
      assert.equal((await go()).status, 200);
      const third = await go();
      assert.equal(third.status, 429);
      assert.equal(third.headers.get('retry-after'), '1');
    } finally {
      await r.close();
    }
  });

  test('dev auth refuses a non-loopback bind', async () => {
    await assert.rejects(startNotifsServer({ host: '0.0.0.0', auth: { mode: 'dev' } }), /loopback/);
  });
});
