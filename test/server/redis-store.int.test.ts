// RedisStore against a private redis-server: the shared store contract, and the point of it: a restarted Notifs
// on the same Redis lets desktops resume completely (no "epoch-changed").
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DesktopClient } from '../../src/desktop/desktop-client.ts';
import type { StreamPosition } from '../../src/protocol/stream-position.ts';
import { startNotifsServer } from '../../src/server/notifs-server.ts';
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

describe('Notifs on Redis', () => {
  test('two Notifs processes on one Redis: a publish on either reaches a desktop on the other, live', async () => {
    const prefix = `m${randomBytes(4).toString('hex')}:`;
    const store1 = new RedisStore({ url: redis.url, prefix, maxPerAgent: 1000 });
    const store2 = new RedisStore({ url: redis.url, prefix, maxPerAgent: 1000 });
    stores.push(store1, store2);
    const a = await startNotifsServer({ keepaliveMs: 100, silenceMs: 800, sweepMs: 20, store: store1 });
    const b = await startNotifsServer({ keepaliveMs: 100, silenceMs: 800, sweepMs: 20, store: store2 });
    const c = new DesktopClient({
      serverUrl: a.url,
      agentId: 'm1',
      token: a.tokenFor('m1')!,
      keepaliveMs: 100,
      silenceMs: 800,
    });
    const seen: number[] = [];
    c.on('notification', (n) => n.position && seen.push(n.position.seq));
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
