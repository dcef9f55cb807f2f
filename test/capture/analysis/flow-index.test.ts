import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Ipv4FlowIndex, ipv4Number, isIpv4Text } from '../../../src/capture/analysis/flow-index.ts';

test('random sets and deletes agree with a Map (growth, wrap-around, backward-shift deletion)', () => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const idx = new Ipv4FlowIndex<number>();
  const ref = new Map<string, number>();
  // Few distinct addresses and ports so keys collide, repeat and get deleted often.
  const key = (): [number, number, number] => [rnd(40) - 20, rnd(3) << 30, (rnd(50) * 65536 + 443) | 0];
  for (let i = 0; i < 20_000; i++) {
    const [s, d, p] = key();
    const k = `${s}/${d}/${p}`;
    if (rnd(3) === 0) {
      const v = ref.get(k);
      // deleteIf with the wrong value keeps the entry.
      idx.deleteIf(s, d, p, -1);
      if (v !== undefined) {
        idx.deleteIf(s, d, p, v);
        ref.delete(k);
      }
    } else {
      idx.set(s, d, p, i);
      ref.set(k, i);
    }
    if (i % 997 === 0) {
      assert.equal(idx.size, ref.size);
      for (const [rk, v] of ref) {
        const [a, b, c] = rk.split('/').map(Number);
        assert.equal(idx.get(a, b, c), v, rk);
      }
    }
  }
  for (let s = -20; s < 20; s++) {
    for (let t = 0; t < 3; t++) {
      for (let p = 0; p < 50; p++) {
        const ports = (p * 65536 + 443) | 0;
        assert.equal(idx.get(s, t << 30, ports), ref.get(`${s}/${t << 30}/${ports}`));
      }
    }
  }
});

test('dotted quads to the same bits the decoder reads; only dotted quads take the numeric path', () => {
  assert.equal(ipv4Number('10.0.0.1'), 0x0a000001);
  assert.equal(ipv4Number('255.255.255.255'), -1);
  assert.equal(ipv4Number('192.168.1.20'), (192 << 24) | (168 << 16) | (1 << 8) | 20);
  for (const t of ['10.0.0.1', '0.0.0.0', '255.255.255.255']) assert.equal(isIpv4Text(t), true, t);
  for (const t of ['::1', '::ffff:10.0.0.1', '256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', 'client', '1.2.3.1234', ''])
    assert.equal(isIpv4Text(t), false, t);
});
