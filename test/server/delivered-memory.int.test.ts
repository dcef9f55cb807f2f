// Clients that cannot resume, on the memory store (one node).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { MemoryStore } from '../../src/server/memory-store.ts';
import { startNotifsServer } from '../../src/server/notifs-server.ts';
import { deliveredContract } from './delivered-contract.ts';
import { until } from './helpers.ts';

deliveredContract('memory store', async ({ backlog }) => {
  const store = new MemoryStore({ maxPerAgent: backlog });
  const s = await startNotifsServer({ keepaliveMs: 100, silenceMs: 2000, sweepMs: 20, store });
  return {
    first: s,
    second: s,
    store,
    async close() {
      await s.close();
      await store.close();
    },
  };
});

test('deliveredWindowMs: 0 turns it off: a fresh subscribe without clientId starts at the head', async () => {
  const store = new MemoryStore();
  const s = await startNotifsServer({ store, deliveredWindowMs: 0 });
  try {
    const sub = () =>
      fetch(`${s.url}/v1/notification/subscribe`, {
        method: 'POST',
        headers: { authorization: 'Bearer agent:off-1', 'content-type': 'application/json' },
        body: JSON.stringify({ clientType: 'SdkLike' }),
      }).then((r) => r.json() as Promise<{ webSocketUrl: string }>);
    const welcome = async () => {
      const ws = new WebSocket((await sub()).webSocketUrl);
      const first = await new Promise<string>((resolve) => ws.once('message', (d) => resolve(d.toString())));
      ws.close();
      await until(() => s.connections('off-1') === 0, 5000, 'socket gone');
      return JSON.parse(first).data as { position: { seq: number }; resume?: unknown };
    };
    await welcome();
    await s.publish('off-1', { type: 'N', data: {} });
    const w = await welcome();
    assert.equal(w.resume, undefined);
    assert.equal(w.position.seq, 1);
    assert.equal(await store.getDelivered('off-1', 'SdkLike'), undefined, 'nothing recorded');
  } finally {
    await s.close();
  }
});
