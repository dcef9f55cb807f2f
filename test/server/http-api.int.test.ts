// The HTTP API against a real server: CORS for a browser page on another origin (Cisco's SDK), and the publish
// envelope (trackingId, orgId, eventTime passed through; data must be an object).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { CorsPolicy, parseOrigin } from '../../src/server/cors.ts';
import { type NotifsServer, startNotifsServer } from '../../src/server/notifs-server.ts';
import { until } from './helpers.ts';

const APP = 'https://desktop.example.com';
let s: NotifsServer;
let plain: NotifsServer;
before(async () => {
  s = await startNotifsServer({ corsOrigins: [APP, 'http://127.0.0.1:5173'], keepaliveMs: 1000, silenceMs: 5000 });
  plain = await startNotifsServer({});
});
after(async () => {
  await s.close();
  await plain.close();
});

const preflight = (url: string, origin: string) =>
  fetch(`${url}/v1/notification/subscribe`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,trackingid,x-organization-id',
    },
  });

describe('CORS', () => {
  test('preflight from a listed origin: 204 with that exact origin, methods, the SDK headers, Vary', async () => {
    const r = await preflight(s.url, APP);
    assert.equal(r.status, 204);
    assert.equal(r.headers.get('access-control-allow-origin'), APP);
    assert.match(r.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/);
    const allowed = (r.headers.get('access-control-allow-headers') ?? '').split(/,\s*/);
    for (const h of ['authorization', 'content-type', 'trackingid', 'x-organization-id'])
      assert.ok(allowed.includes(h), h);
    assert.match(r.headers.get('vary') ?? '', /Origin/);
  });

  test('the real subscribe from a listed origin carries ACAO; an unlisted origin gets no ACAO anywhere', async () => {
    const ok = await fetch(`${s.url}/v1/notification/subscribe`, {
      method: 'POST',
      headers: { origin: APP, authorization: 'Bearer agent:c1', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP);
    assert.match(ok.headers.get('vary') ?? '', /Origin/);
    const denied = await fetch(`${s.url}/v1/notification/subscribe`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', authorization: 'Bearer agent:c1' },
      body: '{}',
    });
    assert.equal(denied.headers.get('access-control-allow-origin'), null);
    const pre = await preflight(s.url, 'https://evil.example');
    assert.equal(pre.status, 403);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    assert.equal(pre.headers.get('access-control-allow-headers'), null);
    const err = await fetch(`${s.url}/nope`, { headers: { origin: APP } });
    assert.equal(err.status, 404);
    assert.equal(err.headers.get('access-control-allow-origin'), APP, 'error replies are readable by the page too');
  });

  test('without --cors-origin nothing changes: OPTIONS is 404 and no Access-Control header is sent', async () => {
    const r = await preflight(plain.url, APP);
    assert.equal(r.status, 404);
    assert.equal(r.headers.get('access-control-allow-origin'), null);
  });

  test('the allow-list takes exact origins only: never *', () => {
    assert.deepEqual(parseOrigin('https://a.example:8443'), { origin: 'https://a.example:8443' });
    assert.deepEqual(parseOrigin('https://a.example/'), { origin: 'https://a.example' });
    for (const bad of ['*', 'null', 'https://a.example/app', 'ftp://a.example', 'a.example', 'https://u:p@a.example'])
      assert.ok('error' in parseOrigin(bad), bad);
    assert.throws(() => new CorsPolicy(['*']), /not allowed/);
  });
});

describe('publish envelope', () => {
  const publish = (body: unknown) =>
    fetch(`${s.url}/v1/notification/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test('trackingId, orgId and eventTime reach the desktop at the top level, live and on replay', async () => {
    const sub = await fetch(`${s.url}/v1/notification/subscribe`, {
      method: 'POST',
      headers: { authorization: 'Bearer agent:env-1', 'content-type': 'application/json' },
      body: JSON.stringify({ resumeFrom: undefined }),
    });
    const { webSocketUrl } = (await sub.json()) as { webSocketUrl: string };
    const ws = new WebSocket(webSocketUrl);
    const got: Record<string, unknown>[] = [];
    ws.on('message', (d) => got.push(JSON.parse(d.toString())));
    await until(() => got.some((m) => m.type === 'Welcome'), 5000, 'Welcome');
    const env = { trackingId: 'trk-1', orgId: 'org-9', eventTime: 1764800000000 };
    const r = await publish({ agentId: 'env-1', type: 'AgentStateChange', data: { type: 'AgentStateChange' }, ...env });
    assert.equal(r.status, 200);
    await until(() => got.some((m) => m.type === 'AgentStateChange'), 5000, 'the notification');
    const live = got.find((m) => m.type === 'AgentStateChange')!;
    assert.deepEqual(Object.keys(live), ['type', 'data', 'trackingId', 'orgId', 'eventTime', 'epoch', 'seq']);
    assert.equal(live.trackingId, 'trk-1');
    assert.equal(live.orgId, 'org-9');
    assert.equal(live.eventTime, 1764800000000);
    ws.close();
    // A resuming desktop gets the same envelope from the store.
    const again = await fetch(`${s.url}/v1/notification/subscribe`, {
      method: 'POST',
      headers: { authorization: 'Bearer agent:env-1', 'content-type': 'application/json' },
      body: JSON.stringify({ resumeFrom: { epoch: live.epoch, seq: 0 } }),
    });
    const ws2 = new WebSocket(((await again.json()) as { webSocketUrl: string }).webSocketUrl);
    const got2: Record<string, unknown>[] = [];
    ws2.on('message', (d) => got2.push(JSON.parse(d.toString())));
    await until(() => got2.some((m) => m.type === 'AgentStateChange'), 5000, 'the replayed notification');
    assert.equal(got2.find((m) => m.type === 'AgentStateChange')!.trackingId, 'trk-1');
    ws2.close();
  });

  test('data must be an object; envelope fields are type-checked (400 with a message)', async () => {
    for (const data of [1, 'x', null, [1], undefined]) {
      const r = await publish({ agentId: 'env-2', type: 'T', data });
      assert.equal(r.status, 400, JSON.stringify(data));
      assert.match(((await r.json()) as { message: string }).message, /data must be a JSON object/);
    }
    for (const bad of [{ trackingId: 5 }, { orgId: {} }, { eventTime: 'now' }, { eventTime: -1 }]) {
      const r = await publish({ agentId: 'env-2', type: 'T', data: {}, ...bad });
      assert.equal(r.status, 400, JSON.stringify(bad));
    }
    const ok = await publish({ agentId: 'env-2', type: 'T', data: {} });
    assert.equal(ok.status, 200, 'no envelope is fine');
  });
});
