// RedisStore against a private redis-server: the shared store contract, and the point of it: a restarted Notifs
// on the same Redis lets desktops resume completely (no "epoch-changed").
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { DesktopClient } from '../../src/desktop/desktop-client.ts';
import type { StreamPosition } from '../../src/protocol/stream-position.ts';
import { startNotifsServer } from '../../src/server/notifs-server.ts';
import { RedisSessions } from '../../src/server/redis-sessions.ts';
import { RedisStore } from '../../src/server/redis-store.ts';
import { until, waitForEvent, waitForState } from './helpers.ts';
import { startRedis, type TestRedis } from './redis-helper.ts';
import { storeContract } from './store-contract.ts';

let redis: TestRedis;
const stores: RedisStore[] = [];
before(async () => {
  redis = await startRedis();
});
after(async () => {
  for (const s of stores) await s.close();
  await redis?.stop();
});

const fresh = (max = 5, exactTrim = false) => {
  const s = new RedisStore({
    url: redis.url,
    prefix: `t${randomBytes(4).toString('hex')}:`,
    maxPerAgent: max,
    exactTrim,
  });
  stores.push(s);
  return s;
};

storeContract('redis, MAXLEN ~', () => fresh(5), { maxPerAgent: 5, approximateTrim: true });
storeContract('redis, exact MAXLEN', () => fresh(5, true), { maxPerAgent: 5 });

describe('RedisStore: a Redis gone back in time never reuses a seq in an epoch', () => {
  test('a node that witnessed more writes than Redis now holds starts a new generation before writing', async () => {
    const prefix = `g${randomBytes(4).toString('hex')}:`;
    const node = new RedisStore({ url: redis.url, prefix, maxPerAgent: 100 });
    const fresh = new RedisStore({ url: redis.url, prefix, maxPerAgent: 100 });
    stores.push(node, fresh);
    for (let i = 1; i <= 5; i++) await node.append('w1', 'N', i, i);
    const before = await node.info('w1');
    assert.equal(before.headSeq, 5);
    // What a restart from an older snapshot leaves: same epoch, lower head, shorter stream, lower write count.
    const admin = new Redis(redis.url);
    try {
      await admin.set(`${prefix}head:w1`, '3');
      await admin.xtrim(`${prefix}stream:w1`, 'MAXLEN', 3);
      await admin.set(`${prefix}wseq`, '3');
    } finally {
      admin.disconnect();
    }
    // A node that never saw the lost writes cannot tell (documented limit) ...
    assert.equal((await fresh.info('w1')).epoch, before.epoch);
    // ... the node that did refuses to continue the old epoch: new generation, new epoch, seq from 1.
    const p = await node.append('w1', 'N', 6, 6);
    assert.notEqual(p.epoch, before.epoch);
    assert.equal(p.seq, 1);
    assert.deepEqual(
      (await node.read('w1', 1, 10)).entries.map((e) => e.data),
      [6],
      'the old generation’s entries are gone, not mixed into the new epoch',
    );
    // Every agent moves to the new generation on its next touch, seen by any node.
    await fresh.append('other', 'N', 1, 1);
    assert.equal((await fresh.info('w1')).epoch, p.epoch);
    assert.equal(p.epoch.split('.')[0], (await fresh.info('other')).epoch.split('.')[0], 'one generation for all');
  });

  test('with a witness file, a node restarted after the rewind still catches it', async () => {
    const prefix = `w${randomBytes(4).toString('hex')}:`;
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-witness-'));
    const witnessFile = join(dir, 'n1.wseq');
    try {
      const before = new RedisStore({ url: redis.url, prefix, maxPerAgent: 100, witnessFile });
      for (let i = 1; i <= 5; i++) await before.append('w3', 'N', i, i);
      const epoch = (await before.info('w3')).epoch;
      await before.close(); // the node stops: its count is on disk
      assert.equal(readFileSync(witnessFile, 'utf8').trim(), '5');
      const admin = new Redis(redis.url);
      try {
        await admin.set(`${prefix}wseq`, '2');
        await admin.set(`${prefix}head:w3`, '2');
      } finally {
        admin.disconnect();
      }
      const after = new RedisStore({ url: redis.url, prefix, maxPerAgent: 100, witnessFile });
      stores.push(after);
      const p = await after.append('w3', 'N', 6, 6);
      assert.notEqual(p.epoch, epoch, 'the restarted node remembered 5 writes and saw Redis claim 2');
      assert.equal(p.seq, 1);
      // A file that is not a count is reported and ignored, never trusted.
      writeFileSync(witnessFile, 'garbage');
      const errors: string[] = [];
      const third = new RedisStore({ url: redis.url, prefix, witnessFile, onError: (e) => errors.push(e.message) });
      stores.push(third);
      assert.match(errors.join(), /not a write count/);
      assert.equal((await third.info('w3')).epoch, p.epoch);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('nodes witness each other’s writes through the append notices', async () => {
    const prefix = `h${randomBytes(4).toString('hex')}:`;
    const writer = new RedisStore({ url: redis.url, prefix, maxPerAgent: 100 });
    const watcher = new RedisStore({ url: redis.url, prefix, maxPerAgent: 100 });
    stores.push(writer, watcher);
    let heard = 0;
    watcher.watch(() => heard++);
    await watcher.ready();
    for (let i = 1; i <= 4; i++) await writer.append('w2', 'N', i, i);
    await until(() => heard === 4, 5000, 'four append notices');
    const epoch = (await watcher.info('w2')).epoch;
    const admin = new Redis(redis.url);
    try {
      await admin.set(`${prefix}wseq`, '1');
      await admin.set(`${prefix}head:w2`, '1');
    } finally {
      admin.disconnect();
    }
    const p = await watcher.append('w2', 'N', 5, 5);
    assert.notEqual(p.epoch, epoch, 'the watcher had witnessed 4 writes and saw Redis claim 1');
    assert.equal(p.seq, 1);
  });
});

/** Two Notifs nodes on one fresh prefix, and a desktop of `agent` on the first; `seen` collects its seqs. */
async function twoNodesOneDesktop(agent: string) {
  const prefix = `${agent}${randomBytes(4).toString('hex')}:`;
  const store1 = new RedisStore({ url: redis.url, prefix, maxPerAgent: 1000 });
  const store2 = new RedisStore({ url: redis.url, prefix, maxPerAgent: 1000 });
  stores.push(store1, store2);
  const a = await startNotifsServer({ keepaliveMs: 100, silenceMs: 800, sweepMs: 20, store: store1 });
  const b = await startNotifsServer({ keepaliveMs: 100, silenceMs: 800, sweepMs: 20, store: store2 });
  const c = new DesktopClient({
    serverUrl: a.url,
    agentId: agent,
    token: a.tokenFor(agent)!,
    keepaliveMs: 100,
    silenceMs: 800,
  });
  const seen: number[] = [];
  c.on('notification', (n) => n.position && seen.push(n.position.seq));
  return { a, b, c, seen };
}

describe('Notifs on Redis', () => {
  test('two Notifs processes on one Redis: a publish on either reaches a desktop on the other, live', async () => {
    const { a, b, c, seen } = await twoNodesOneDesktop('m1');
    try {
      c.start();
      await waitForState(c, 'connected');
      await b.publish('m1', { type: 'N', data: 'via b' });
      await a.publish('m1', { type: 'N', data: 'via a' });
      await b.publish('m1', { type: 'N', data: 'via b again' });
      await until(() => seen.length === 3, 5000, 'three notifications from two processes');
      assert.deepEqual(seen, [1, 2, 3]);
      assert.equal(c.recorder.totals.reconnects, 0, 'delivered live, not by a resume');
    } finally {
      c.close();
      await a.close();
      await b.close();
    }
  });

  test('an append announced while a node’s notice link was down still reaches its desktop (resync)', async () => {
    const { a, b, c, seen } = await twoNodesOneDesktop('s1');
    const admin = new Redis(redis.url);
    try {
      c.start();
      await waitForState(c, 'connected');
      await b.publish('s1', { type: 'N', data: 'heard' });
      await until(() => seen.length === 1, 5000, 'the first notification, live');
      // Drop every pub/sub link; the append below is announced before they reconnect (ioredis waits ≥ 50 ms).
      await admin.client('KILL', 'TYPE', 'pubsub');
      await b.publish('s1', { type: 'N', data: 'unheard' });
      await until(() => seen.length === 2, 5000, 'the notification announced while node A was deaf');
      assert.deepEqual(seen, [1, 2]);
      assert.equal(c.recorder.totals.reconnects, 0, 'delivered on the same socket, not by a resume');
    } finally {
      admin.disconnect();
      c.close();
      await a.close();
      await b.close();
    }
  });

  test('a restarted Notifs on the same Redis resumes desktops completely', async () => {
    const store = fresh(1000);
    const timers = { keepaliveMs: 100, silenceMs: 800 };
    const s1 = await startNotifsServer({ ...timers, sweepMs: 20, store });
    const c = new DesktopClient({
      serverUrl: s1.url,
      agentId: 'r1',
      token: s1.tokenFor('r1')!,
      ...timers,
      recoveryMs: 10000,
      connectTimeoutMs: 1500,
      backoff: { baseMs: 50, capMs: 200 },
    });
    const seen: StreamPosition[] = [];
    c.on('notification', (n) => n.position && seen.push(n.position));
    try {
      c.start();
      await waitForState(c, 'connected');
      await s1.publish('r1', { type: 'N', data: 1 });
      await until(() => seen.length === 1, 5000, 'first notification');
      const port = s1.port;
      const recovering = waitForState(c, 'recovering');
      await s1.close();
      await recovering;
      const s2 = await startNotifsServer({ ...timers, sweepMs: 20, port, store });
      try {
        await s2.publish('r1', { type: 'N', data: 2 });
        const resume = await waitForEvent(c, 'resume', () => true, 10000);
        assert.equal(resume.recovered, true, JSON.stringify(resume));
        assert.equal(resume.replayed, 1);
        await until(() => seen.length === 2, 5000, 'the notification published while Notifs restarted');
        assert.deepEqual(
          seen.map((p) => p.seq),
          [1, 2],
        );
        assert.equal(seen[0].epoch, seen[1].epoch, 'same epoch across the restart');
        assert.ok(s2.metrics().backlogSize >= 2);
      } finally {
        c.close();
        await s2.close();
      }
    } finally {
      c.close();
    }
  });
});

describe('RedisStore: a lost reply never stores a notification twice', () => {
  test('an append whose reply is lost with the connection is sent again by ioredis and stored once, with one answer', async () => {
    const { port } = new URL(redis.url);
    // A TCP proxy to Redis that, once armed, swallows the next reply and drops the connection (what a Redis
    // crash right after running a command looks like to the client).
    let armed = false;
    const open = new Set<Socket>();
    const proxy = createServer((client) => {
      open.add(client);
      client.on('close', () => open.delete(client));
      const up = connect(Number(port), '127.0.0.1');
      client.on('error', () => {});
      up.on('error', () => {});
      client.pipe(up);
      up.on('data', (d) => {
        if (!armed) return void client.write(d);
        armed = false;
        client.destroy();
        up.destroy();
      });
      client.on('close', () => up.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const prefix = `x${randomBytes(4).toString('hex')}:`;
    const store = new RedisStore({
      url: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      prefix,
      backlogRefreshMs: 3_600_000,
      redis: { retryStrategy: () => 20 },
    });
    const admin = new Redis(redis.url);
    try {
      await store.append('x1', 'N', 'first', 1);
      armed = true;
      const second = await store.append('x1', 'N', 'second', 2);
      assert.equal(armed, false, 'the reply really was dropped');
      assert.equal(second.seq, 2, 'the answer of the run Redis made');
      assert.equal(await admin.xlen(`${prefix}stream:x1`), 2, 'stored once: first and second, no copy');
      const third = await store.append('x1', 'N', 'third', 3);
      assert.equal(third.seq, 3);
    } finally {
      admin.disconnect();
      await store.close();
      for (const c of open) c.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
});

describe('Notifs while Redis is down', () => {
  test('subscribe and publish answer 503 store-unavailable with Retry-After, and work again once Redis is back', async () => {
    const own = await startRedis();
    const store = new RedisStore({
      url: own.url,
      prefix: 'd:',
      redis: { maxRetriesPerRequest: 1, retryStrategy: () => 100, enableOfflineQueue: false },
    });
    if (store.client.status !== 'ready') await new Promise((r) => store.client.once('ready', r));
    const sessions = new RedisSessions({ client: store.client, nodeId: 'down-test', prefix: 'd:' });
    const s = await startNotifsServer({ store, sessions });
    const subscribe = () =>
      fetch(`${s.url}/v1/notification/subscribe`, {
        method: 'POST',
        headers: { authorization: 'Bearer agent:z1', 'content-type': 'application/json' },
        body: '{}',
      });
    const publish = () =>
      fetch(`${s.url}/v1/notification/publish`, {
        method: 'POST',
        headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'z1', type: 'N', data: { n: 1 } }),
      });
    const ready = async () => (await fetch(`${s.url}/readyz`)).status;
    const storeUp = async () => /^lifeline_store_up (\d)$/m.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1];
    const poll = async (f: () => Promise<unknown>, want: unknown, what: string) => {
      for (let i = 0; i < 100; i++) {
        if ((await f()) === want) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`${what} within 5 s`);
    };
    try {
      assert.equal((await subscribe()).status, 200);
      assert.equal(await ready(), 200);
      assert.equal(await storeUp(), '1');
      await own.kill();
      await poll(ready, 503, '/readyz says 503 once Redis is gone');
      assert.equal(await storeUp(), '0');
      const sub = await subscribe();
      assert.equal(sub.status, 503);
      assert.equal(sub.headers.get('retry-after'), '1');
      assert.equal(((await sub.json()) as { code: string }).code, 'store-unavailable');
      const pub = await publish();
      assert.equal(pub.status, 503);
      assert.equal(((await pub.json()) as { code: string }).code, 'store-unavailable');
      await own.restart();
      let ok = 0;
      for (let i = 0; i < 100 && ok !== 200; i++) {
        ok = (await publish()).status;
        if (ok !== 200) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(ok, 200, 'publish works again once Redis is back');
      await poll(ready, 200, '/readyz says 200 again');
    } finally {
      await s.close();
      await sessions.close();
      await store.close();
      await own.stop();
    }
  });
});
