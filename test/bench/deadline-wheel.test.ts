import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeadlineWheel } from '../../bench/connection/deadline-wheel.ts';

interface Item {
  last: number;
  expiredAt?: number;
}

const SILENCE = 16_000;

function drive(w: DeadlineWheel<Item>, now: number): void {
  w.advance(now, (it, t) => {
    const deadline = it.last + SILENCE;
    if (deadline > t) return deadline;
    it.expiredAt = t;
    return undefined;
  });
}

test('an item that stops being refreshed expires within one tick of its deadline', () => {
  const w = new DeadlineWheel<Item>(100, SILENCE + 100, 0);
  const it: Item = { last: 0 };
  w.schedule(it, SILENCE);
  // Refreshed every 4 s until 20 s, then silent.
  for (let now = 0; now <= 60_000; now += 50) {
    if (now % 4000 === 0 && now <= 20_000) it.last = now;
    drive(w, now);
    if (it.expiredAt !== undefined) break;
  }
  assert.ok(it.expiredAt !== undefined);
  assert.ok(it.expiredAt >= 20_000 + SILENCE && it.expiredAt <= 20_000 + SILENCE + 100, String(it.expiredAt));
});

test('refreshing costs no visit: an item kept alive is visited about once per timeout', () => {
  const w = new DeadlineWheel<Item>(100, SILENCE + 100, 0);
  const it: Item = { last: 0 };
  w.schedule(it, SILENCE);
  let visits = 0;
  for (let now = 0; now <= 160_000; now += 100) {
    if (now % 4000 === 0) it.last = now;
    visits += w.advance(now, (x, t) => (x.last + SILENCE > t ? x.last + SILENCE : undefined));
  }
  assert.equal(it.expiredAt, undefined);
  assert.ok(visits >= 9 && visits <= 12, `visits ${visits}`);
});

test('a stall longer than the horizon still visits every item once', () => {
  const w = new DeadlineWheel<Item>(100, 1000, 0);
  const items: Item[] = Array.from({ length: 50 }, (_, i) => ({ last: -SILENCE + i * 10 }));
  for (const it of items) w.schedule(it, it.last + SILENCE);
  drive(w, 100_000);
  assert.ok(items.every((it) => it.expiredAt === 100_000));
});
