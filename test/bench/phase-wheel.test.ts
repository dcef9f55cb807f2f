import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PhaseWheel } from '../../bench/connection/phase-wheel.ts';

test('each item fires once per period, in its own phase', () => {
  const w = new PhaseWheel<number>(1000, 10, 0);
  for (let i = 0; i < 20; i++) w.add(i, i);
  const fired: number[] = [];
  // Phase p fires at p*100 ms into each period (phase 0 at the period's end, 1000 ms).
  for (let now = 0; now <= 2000; now += 50)
    w.advance(now, (i) => {
      fired.push(i);
      return true;
    });
  const counts = new Map<number, number>();
  for (const i of fired) counts.set(i, (counts.get(i) ?? 0) + 1);
  for (let i = 0; i < 20; i++) assert.equal(counts.get(i), 2, `item ${i}`);
  // Phases 1 and 11 share a slot and fire together, before phase 2.
  assert.deepEqual(fired.slice(0, 4), [1, 11, 2, 12]);
});

test('a caller that falls behind fires each slot once, not a burst of rounds', () => {
  const w = new PhaseWheel<string>(1000, 4, 0);
  w.add('a', 0);
  w.add('b', 1);
  let n = 0;
  const visited = w.advance(10_000, () => {
    n++;
    return true;
  });
  assert.equal(visited, 2);
  assert.equal(n, 2);
  assert.equal(
    w.advance(10_000, () => true),
    0,
  );
});

test('visit returning false drops the item for good', () => {
  const w = new PhaseWheel<string>(100, 2, 0);
  w.add('x', 0);
  w.add('y', 0);
  w.advance(100, (s) => s !== 'x');
  assert.equal(w.size(), 1);
  const seen: string[] = [];
  w.advance(200, (s) => {
    seen.push(s);
    return true;
  });
  assert.deepEqual(seen, ['y']);
});

test('rejects a zero period', () => {
  assert.throws(() => new PhaseWheel(0, 1, 0), RangeError);
});
