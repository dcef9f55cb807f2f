// The NotifStore contract as a reusable suite: every store implementation (memory now, Redis later) runs it.
// Usage: storeContract('memory', () => new MemoryStore({ maxPerAgent: 5 }), { maxPerAgent: 5 })
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NotifStore } from '../../src/server/store.ts';

export function storeContract(
  name: string,
  make: () => Promise<NotifStore> | NotifStore,
  o: { maxPerAgent: number; approximateTrim?: boolean },
) {
  describe(`NotifStore contract: ${name}`, () => {
    test('an unknown agent has an empty stream in some epoch', async () => {
      const s = await make();
      const i = await s.info('nobody');
      assert.equal(typeof i.epoch, 'string');
      assert.ok(i.epoch.length > 0);
      assert.equal(i.headSeq, 0);
      assert.equal(i.oldestSeq, 1);
      assert.deepEqual((await s.read('nobody', 1, 10)).entries, []);
      await s.close();
    });

    test('append numbers from 1 per agent; read returns ascending entries from fromSeq', async () => {
      const s = await make();
      const p1 = await s.append('a', 'T', { n: 1 }, 111);
      const p2 = await s.append('a', 'U', { n: 2 }, 112);
      const q1 = await s.append('b', 'T', 'b1', 113);
      assert.equal(p1.seq, 1);
      assert.equal(p2.seq, 2);
      assert.equal(q1.seq, 1, 'streams are per agent');
      assert.equal(p1.epoch, (await s.info('a')).epoch);
      const r = await s.read('a', 1, 10);
      assert.equal(r.epoch, p1.epoch);
      assert.deepEqual(r.entries, [
        { seq: 1, type: 'T', data: { n: 1 }, ts: 111 },
        { seq: 2, type: 'U', data: { n: 2 }, ts: 112 },
      ]);
      assert.deepEqual(
        (await s.read('a', 2, 10)).entries.map((e) => e.seq),
        [2],
      );
      assert.deepEqual(
        (await s.read('a', 1, 1)).entries.map((e) => e.seq),
        [1],
        'limit',
      );
      await s.close();
    });

    test(`bounded at ${o.maxPerAgent} per agent${o.approximateTrim ? ' (approximately)' : ''}: oldest trimmed, info says so`, async () => {
      const s = await make();
      // Approximate trimming frees whole Redis stream nodes (100 entries by default): append enough to see it.
      const n = o.approximateTrim ? o.maxPerAgent + 250 : o.maxPerAgent + 3;
      for (let i = 1; i <= n; i++) await s.append('a', 'T', i, i);
      const i = await s.info('a');
      assert.equal(i.headSeq, n);
      if (o.approximateTrim) {
        assert.ok(i.oldestSeq > 1, `something was trimmed (oldest ${i.oldestSeq})`);
        assert.ok(n - i.oldestSeq + 1 >= o.maxPerAgent, 'at least the bound is kept');
        assert.ok(n - i.oldestSeq + 1 <= o.maxPerAgent + 200, 'and not much more');
      } else assert.equal(i.oldestSeq, 4);
      const r = await s.read('a', 1, 1000);
      assert.deepEqual(
        r.entries.map((e) => e.seq),
        Array.from({ length: n - i.oldestSeq + 1 }, (_, k) => k + i.oldestSeq),
        'read returns exactly what info says is retained',
      );
      assert.ok(s.backlogSize() >= o.maxPerAgent);
      await s.close();
    });

    test('the publish envelope (trackingId, orgId, eventTime) is kept with the entry', async () => {
      const s = await make();
      const meta = { trackingId: 't-1', orgId: 'o-1', eventTime: 1764800000000 };
      await s.append('m', 'T', { n: 1 }, 5, meta);
      await s.append('m', 'T', { n: 2 }, 6);
      assert.deepEqual((await s.read('m', 1, 10)).entries, [
        { seq: 1, type: 'T', data: { n: 1 }, ts: 5, meta },
        { seq: 2, type: 'T', data: { n: 2 }, ts: 6 },
      ]);
      await s.close();
    });

    test('delivered position per agent and client type: never back within an epoch, replaced by a new one, expires', async () => {
      const s = await make();
      assert.equal(await s.getDelivered('d', 'sdk'), undefined);
      await s.setDelivered('d', 'sdk', { epoch: 'e1', seq: 4 }, 60000);
      await s.setDelivered('d', 'other', { epoch: 'e1', seq: 9 }, 60000);
      await s.setDelivered('d', 'sdk', { epoch: 'e1', seq: 2 }, 60000);
      assert.deepEqual(await s.getDelivered('d', 'sdk'), { epoch: 'e1', seq: 4 }, 'a lower seq does not move it back');
      assert.deepEqual(await s.getDelivered('d', 'other'), { epoch: 'e1', seq: 9 }, 'per client type');
      assert.equal(await s.getDelivered('d2', 'sdk'), undefined, 'per agent');
      await s.setDelivered('d', 'sdk', { epoch: 'e2', seq: 1 }, 60000);
      assert.deepEqual(await s.getDelivered('d', 'sdk'), { epoch: 'e2', seq: 1 }, 'a new epoch replaces it');
      await s.setDelivered('d', 'short', { epoch: 'e2', seq: 3 }, 30);
      const t0 = Date.now();
      while ((await s.getDelivered('d', 'short')) !== undefined) {
        assert.ok(Date.now() - t0 < 3000, 'expired within its TTL (bounded wait)');
        await new Promise((r) => setTimeout(r, 10));
      }
      await s.close();
    });

    test('cseq per agent and desktop', async () => {
      const s = await make();
      assert.equal(await s.getCseq('a', 'd1'), 0);
      await s.setCseq('a', 'd1', 5);
      await s.setCseq('b', 'd1', 9);
      assert.equal(await s.getCseq('a', 'd1'), 5);
      assert.equal(await s.getCseq('b', 'd1'), 9);
      assert.equal(await s.getCseq('a', 'd2'), 0);
      await s.close();
    });
  });
}
