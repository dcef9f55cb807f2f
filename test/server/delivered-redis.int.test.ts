// Clients that cannot resume, on the Redis store: the reconnect lands on another node, which knows what the first
// node delivered.
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { startNotifsServer } from '../../src/server/notifs-server.ts';
import { RedisSessions } from '../../src/server/redis-sessions.ts';
import { RedisStore } from '../../src/server/redis-store.ts';
import { deliveredContract } from './delivered-contract.ts';
import { startRedis, type TestRedis } from './redis-helper.ts';

let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis?.stop();
});

deliveredContract('Redis store, two nodes', async ({ backlog }) => {
  const prefix = `d${randomBytes(4).toString('hex')}:`;
  const mk = (nodeId: string) => {
    const store = new RedisStore({ url: redis.url, prefix, maxPerAgent: backlog, exactTrim: true });
    return { store, sessions: new RedisSessions({ client: store.client, nodeId, prefix }) };
  };
  const pa = mk('node-a');
  const pb = mk('node-b');
  const opts = { keepaliveMs: 100, silenceMs: 2000, sweepMs: 20 };
  const first = await startNotifsServer({ ...opts, ...pa });
  const second = await startNotifsServer({ ...opts, ...pb });
  return {
    first,
    second,
    store: pb.store,
    async close() {
      await first.close();
      await second.close();
      for (const p of [pa, pb]) {
        await p.sessions.close();
        await p.store.close();
      }
    },
  };
});
