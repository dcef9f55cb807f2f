// RedisSessions against a private redis-server: the shared contract, node death by heartbeat expiry, re-registration
// after Redis forgets everything, and two real Notifs nodes sharing subscriptions and multi-login through it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import { startNotifsServer } from '../../src/server/notifs-server.ts';
import { RedisSessions, type RedisSessionsOptions } from '../../src/server/redis-sessions.ts';
import { RedisStore } from '../../src/server/redis-store.ts';
import { until } from './helpers.ts';
import { startRedis, type TestRedis } from './redis-helper.ts';
import { sessionContract } from './session-registry-contract.ts';

let redis: TestRedis;
const clients: Redis[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function sessions(nodeId: string, prefix: string, o: Partial<RedisSessionsOptions> = {}): RedisSessions {
  const client = new Redis(redis.url);
  clients.push(client);
  return new RedisSessions({ client, nodeId, prefix, ...o });
}

const contractPrefix = `c${randomBytes(4).toString('hex')}:`;
sessionContract('redis', (nodeId) => sessions(nodeId, contractPrefix), {
  expire: (ms) => new Promise((r) => setTimeout(r, ms)), // Redis PX expiry runs on Redis's clock
  multiNode: true,
});

describe('RedisSessions: node liveness', () => {
  test('a node that stops its heartbeat (killed) stops counting once its TTL passes', async () => {
    const prefix = `h${randomBytes(4).toString('hex')}:`;
    // Its one heartbeat (at creation) lives 1 s; none follows. 1 s leaves room for a loaded machine before the check.
    const dying = sessions('dying', prefix, { heartbeatMs: 3_600_000, nodeTtlMs: 1000 });
    const other = sessions('other', prefix);
    await dying.claim('agent-1', 'k1', 'desk-a', false);
    assert.deepEqual(await other.liveClients('agent-1'), ['desk-a'], 'live while its heartbeat lasts');
    const t0 = Date.now();
    let live = ['desk-a'];
    while (live.length && Date.now() - t0 < 8000) {
      await new Promise((r) => setTimeout(r, 50));
      live = await other.liveClients('agent-1');
    }
    assert.deepEqual(live, [], 'the dead node’s session expired with its heartbeat');
    assert.deepEqual(await other.claim('agent-1', 'k2', 'desk-b', false), [], 'nothing to kick on a dead node');
    await other.close();
    await dying.close();
  });

  test('a socket that outlives the session TTL keeps its entry (the heartbeat writes it again)', async () => {
    const prefix = `t${randomBytes(4).toString('hex')}:`;
    // TTL 1.5 s, rewritten every 375 ms: a loaded CI machine would have to stall the heartbeat for > 1 s to fail it.
    const a = sessions('na', prefix, { heartbeatMs: 50, sessionTtlMs: 1500 });
    const b = sessions('nb', prefix);
    await a.claim('agent-t', 'k1', 'desk-a', false);
    const t0 = Date.now();
    while (Date.now() - t0 < 4000) {
      assert.deepEqual(await b.liveClients('agent-t'), ['desk-a'], `live ${Date.now() - t0} ms after the claim`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await a.close();
    await b.close();
  });

  test('a socket released while its claim was in flight is never written back by the heartbeat', async () => {
    const prefix = `r${randomBytes(4).toString('hex')}:`;
    const a = sessions('na', prefix, { heartbeatMs: 30, sessionTtlMs: 200 });
    const claiming = a.claim('agent-r', 'k1', 'desk-a', false);
    await a.release('agent-r', 'k1');
    await claiming;
    const t0 = Date.now();
    while (Date.now() - t0 < 400) {
      assert.deepEqual(await a.liveClients('agent-r'), [], `not live ${Date.now() - t0} ms later`);
      await new Promise((r) => setTimeout(r, 30));
    }
    await a.close();
  });

  test('after Redis lost everything (restart without persistence) a node registers its sockets again', async () => {
    const prefix = `f${randomBytes(4).toString('hex')}:`;
    const a = sessions('na', prefix, { heartbeatMs: 50 });
    const b = sessions('nb', prefix);
    await a.claim('agent-2', 'k1', 'desk-a', false);
    const admin = new Redis(redis.url);
    clients.push(admin);
    const keys = await admin.keys(`${prefix}*`);
    assert.ok(keys.length >= 2, 'session and node keys exist');
    await admin.del(...keys);
    assert.deepEqual(await b.liveClients('agent-2'), []);
    let live: string[] = [];
    const t0 = Date.now();
    while (!live.length && Date.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 25));
      live = await b.liveClients('agent-2');
    }
    assert.deepEqual(live, ['desk-a'], 'the heartbeat noticed and put the session back');
    await a.close();
    await b.close();
  });
});

describe('RedisSessions: kicks missed while the kick channel was down', () => {
  test('after its pub/sub link reconnects a node finds its displaced sockets and kicks them', async () => {
    const prefix = `k${randomBytes(4).toString('hex')}:`;
    const a = sessions('na', prefix);
    const kicked = new Promise<unknown>((resolve, reject) => {
      a.onKick(resolve);
      setTimeout(() => reject(new Error('no kick within 10 s of the pub/sub reconnect')), 10000).unref();
    });
    await a.ready();
    await a.claim('agent-k', 'k1', 'desk-a', false);
    const admin = new Redis(redis.url);
    clients.push(admin);
    // What node nb's claim did while na could not hear it: its session replaced na's, the kick went unheard.
    await admin.set(`${prefix}node:nb`, '1', 'PX', 60000);
    await admin.hdel(`${prefix}sess:agent-k`, 'k1');
    await admin.hset(`${prefix}sess:agent-k`, 'kb', 'nb desk-b');
    await admin.client('KILL', 'TYPE', 'pubsub');
    assert.deepEqual(await kicked, { nodeId: 'na', connId: 'k1', reason: 'multi-login' });
    await a.close();
  });

  test('an entry Redis forgot with nobody else live is registered again, not kicked', async () => {
    const prefix = `l${randomBytes(4).toString('hex')}:`;
    const a = sessions('na', prefix);
    await a.claim('agent-l', 'k1', 'desk-a', false);
    const admin = new Redis(redis.url);
    clients.push(admin);
    await admin.hdel(`${prefix}sess:agent-l`, 'k1');
    assert.deepEqual(await a.audit(), []);
    assert.deepEqual(await a.liveClients('agent-l'), ['desk-a']);
    // Same desktop live elsewhere: replaced.
    await admin.set(`${prefix}node:nb`, '1', 'PX', 60000);
    await admin.hdel(`${prefix}sess:agent-l`, 'k1');
    await admin.hset(`${prefix}sess:agent-l`, 'kb', 'nb desk-a');
    assert.deepEqual(await a.audit(), [{ nodeId: 'na', connId: 'k1', reason: 'replaced' }]);
    assert.deepEqual(await a.audit(), [], 'a kicked socket is no longer ours to audit');
    await a.close();
  });
});

describe('two Notifs nodes on one Redis', () => {
  async function twoNodes() {
    const prefix = `n${randomBytes(4).toString('hex')}:`;
    const mk = (nodeId: string) => {
      const store = new RedisStore({ url: redis.url, prefix, maxPerAgent: 100 });
      return { store, sessions: new RedisSessions({ client: store.client, nodeId, prefix }) };
    };
    const pb = mk('node-b');
    const b = await startNotifsServer({ keepaliveMs: 100, silenceMs: 800, sweepMs: 20, ...pb });
    const pa = mk('node-a');
    // Node A answers subscribes with webSocketUrls pointing at node B: subscribe here, socket there.
    const a = await startNotifsServer({ keepaliveMs: 100, silenceMs: 800, sweepMs: 20, ...pa, publicUrl: b.url });
    return {
      a,
      b,
      async close() {
        await a.close();
        await b.close();
        for (const p of [pa, pb]) {
          await p.sessions.close();
          await p.store.close();
        }
      },
    };
  }

  async function subscribe(url: string, agent: string, body: Record<string, unknown>) {
    const res = await fetch(`${url}/v1/notification/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer agent:${agent}` },
      body: JSON.stringify({ clientType: 'test', ...body }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  function open(url: string) {
    const ws = new WebSocket(url);
    const messages: string[] = [];
    ws.on('message', (d) => messages.push(d.toString()));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    return { ws, messages, closed };
  }

  test('subscribe on one node, open the socket on the other; a second login on either node displaces it', async () => {
    const n = await twoNodes();
    try {
      const s1 = await subscribe(n.a.url, 'x1', { clientId: 'desk-1' });
      assert.equal(s1.status, 200);
      assert.ok(String(s1.body.webSocketUrl).startsWith(n.b.url.replace('http', 'ws')), 'socket goes to node B');
      const d1 = open(String(s1.body.webSocketUrl));
      await until(() => d1.messages.some((m) => m.includes('"Welcome"')), 5000, 'Welcome from node B');
      assert.equal(n.b.connections('x1'), 1);

      // force:false from another desktop, asked on node A while the socket lives on node B: refused.
      const refused = await subscribe(n.a.url, 'x1', { clientId: 'desk-2', force: false });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));

      // A second desktop logs in through node B's subscribe and opens its socket on node A.
      const s2res = await fetch(`${n.b.url}/v1/notification/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer agent:x1' },
        body: JSON.stringify({ clientId: 'desk-2' }),
      });
      const s2 = (await s2res.json()) as { subscriptionId: string };
      const d2 = open(`${n.a.url.replace('http', 'ws')}/v1/notification/subscription/${s2.subscriptionId}`);
      assert.equal(await d1.closed, CLOSE.MULTI_LOGIN, 'the desktop on node B was displaced by the login on node A');
      assert.ok(
        d1.messages.some((m) => m.includes('AgentMultiLoginCloseSession')),
        'and told why first',
      );
      await until(() => d2.messages.some((m) => m.includes('"Welcome"')), 5000, 'Welcome from node A');
      assert.equal(n.a.connections('x1'), 1);

      // Publishing on node B reaches the desktop on node A.
      await n.b.publish('x1', { type: 'N', data: 'cross' });
      await until(() => d2.messages.some((m) => m.includes('cross')), 5000, 'cross-node notification');

      // The same subscription cannot be used twice, on either node.
      const again = open(`${n.b.url.replace('http', 'ws')}/v1/notification/subscription/${s2.subscriptionId}`);
      assert.equal(await again.closed, CLOSE.SUBSCRIPTION_EXPIRED);
      d2.ws.close();
      await d2.closed;
    } finally {
      await n.close();
    }
  });

  test('the same desktop reconnecting through the other node replaces its old socket (4003)', async () => {
    const n = await twoNodes();
    try {
      const s1 = await subscribe(n.a.url, 'x2', { clientId: 'desk-1' });
      const d1 = open(String(s1.body.webSocketUrl)); // on node B
      await until(() => d1.messages.some((m) => m.includes('"Welcome"')), 5000, 'Welcome');
      const s2 = await subscribe(n.b.url, 'x2', { clientId: 'desk-1' });
      const d2 = open(`${n.a.url.replace('http', 'ws')}/v1/notification/subscription/${s2.body.subscriptionId}`);
      assert.equal(await d1.closed, CLOSE.REPLACED);
      await until(() => d2.messages.some((m) => m.includes('"Welcome"')), 5000, 'Welcome on node A');
      d2.ws.close();
      await d2.closed;
    } finally {
      await n.close();
    }
  });
});
