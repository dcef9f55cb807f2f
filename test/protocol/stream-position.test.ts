import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, backoffWindow } from '../../src/protocol/backoff.ts';
import { closeInfo, shouldReconnect } from '../../src/protocol/close-codes.ts';
import { planResume } from '../../src/protocol/stream-position.ts';

const info = { epoch: 'e', headSeq: 10, oldestSeq: 4 };

test('fresh start: at the head, nothing replayed, no resume result', () => {
  assert.deepEqual(planResume(undefined, info), { start: { epoch: 'e', seq: 10 }, replayFrom: 11 });
});

test('complete resume replays exactly what was missed', () => {
  const p = planResume({ epoch: 'e', seq: 6 }, info);
  assert.deepEqual(p.start, { epoch: 'e', seq: 6 });
  assert.equal(p.replayFrom, 7);
  assert.deepEqual(p.result, { requested: { epoch: 'e', seq: 6 }, recovered: true, replayed: 4 });
  assert.equal(planResume({ epoch: 'e', seq: 10 }, info).result?.replayed, 0, 'zero-event recovery');
  assert.equal(planResume({ epoch: 'e', seq: 3 }, info).result?.recovered, true, 'oldest retained is exactly next');
});

test('trimmed history: replay what is retained, name the hole', () => {
  const p = planResume({ epoch: 'e', seq: 1 }, info);
  assert.equal(p.result?.recovered, false);
  assert.deepEqual(p.result?.missing, [{ reason: 'trimmed', epoch: 'e', fromSeq: 2, toSeq: 3 }]);
  assert.equal(p.replayFrom, 4);
  assert.equal(p.result?.replayed, 7);
});

test('epoch changed: old tail missing, whole new backlog replayed', () => {
  const p = planResume({ epoch: 'old', seq: 99 }, { epoch: 'e', headSeq: 2, oldestSeq: 1 });
  assert.deepEqual(p.result?.missing, [{ reason: 'epoch-changed', epoch: 'old', fromSeq: 100 }]);
  assert.deepEqual(p.start, { epoch: 'e', seq: 0 });
  assert.equal(p.result?.replayed, 2);
  const q = planResume({ epoch: 'old', seq: 1 }, { epoch: 'e', headSeq: 9, oldestSeq: 5 });
  assert.deepEqual(
    q.result?.missing?.map((m) => m.reason),
    ['epoch-changed', 'trimmed'],
  );
});

test('desktop ahead of the store is reported', () => {
  const p = planResume({ epoch: 'e', seq: 15 }, info);
  assert.equal(p.result?.recovered, false);
  assert.deepEqual(p.result?.missing, [{ reason: 'ahead', epoch: 'e', fromSeq: 11, toSeq: 15 }]);
  assert.equal(p.result?.replayed, 0);
});

test('backoff: full jitter inside a capped window', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 40].map((n) => backoffWindow(n)),
    [1000, 2000, 4000, 5000, 5000, 5000],
  );
  assert.equal(
    backoffDelay(1, () => 0),
    0,
  );
  assert.equal(
    backoffDelay(3, () => 0.9999999),
    3999,
  );
  assert.equal(
    backoffDelay(2, () => 7),
    1999,
    'random out of range is clamped',
  );
});

test('close codes: 44xx never reconnect, 40xx do', () => {
  assert.equal(shouldReconnect(4409), false);
  assert.equal(shouldReconnect(4499), false);
  assert.equal(shouldReconnect(4000), true);
  assert.equal(shouldReconnect(4077), true);
  assert.equal(closeInfo(4409).name, 'multi-login');
});
