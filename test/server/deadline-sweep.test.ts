import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadlineSweep, type Sweepable } from '../../src/server/deadline-sweep.ts';

class Item implements Sweepable {
  wheelSlot?: number;
  fired: number[] = [];
  constructor(public deadline: number) {}
  nextDeadline() {
    return this.deadline;
  }
  onDeadline(now: number) {
    this.fired.push(now);
    this.deadline = Number.POSITIVE_INFINITY;
  }
}

test('fires at the first sweep at or after the deadline, never before', () => {
  const w = new DeadlineSweep<Item>(250, () => 0);
  const a = new Item(1000);
  const b = new Item(1001);
  w.schedule(a);
  w.schedule(b);
  w.sweep(999);
  assert.deepEqual(a.fired, []);
  w.sweep(1000);
  assert.deepEqual(a.fired, [1000]);
  assert.deepEqual(b.fired, []);
  w.sweep(1250);
  assert.deepEqual(b.fired, [1250]);
  assert.equal(w.scheduled, 0);
});

test('lazy: a later deadline costs nothing until the old slot comes due, then re-slots', () => {
  const w = new DeadlineSweep<Item>(100, () => 0);
  const a = new Item(500);
  w.schedule(a);
  a.deadline = 2000; // e.g. a message arrived
  w.schedule(a); // no-op (later)
  w.sweep(500);
  assert.deepEqual(a.fired, []);
  assert.equal(w.scheduled, 1);
  w.sweep(1999);
  assert.deepEqual(a.fired, []);
  w.sweep(2000);
  assert.deepEqual(a.fired, [2000]);
});

test('an earlier deadline moves the item; removed items never fire', () => {
  const w = new DeadlineSweep<Item>(100, () => 0);
  const a = new Item(5000);
  const b = new Item(300);
  w.schedule(a);
  a.deadline = 200;
  w.schedule(a);
  w.schedule(b);
  w.remove(b);
  w.sweep(300);
  assert.deepEqual(a.fired, [300]);
  assert.deepEqual(b.fired, []);
  w.sweep(6000);
  assert.deepEqual(a.fired, [300], 'stale slot entry skipped');
});

test('a long stall sweeps every due slot in order (bounded work)', () => {
  const w = new DeadlineSweep<Item>(10, () => 0);
  const items = Array.from({ length: 1000 }, (_, i) => new Item(i * 1000 + 5));
  for (const it of items) w.schedule(it);
  w.sweep(10_000_000);
  assert.ok(items.every((it) => it.fired.length === 1));
});
