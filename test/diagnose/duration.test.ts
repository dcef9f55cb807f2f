import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../../src/diagnose/duration.ts';

test('parseDuration accepts s, ms, m, h and bare milliseconds', () => {
  assert.equal(parseDuration('16s'), 16_000);
  assert.equal(parseDuration('16000ms'), 16_000);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration(' 2H '), 7_200_000);
});

test('parseDuration rejects what is not a duration', () => {
  for (const bad of ['', 's', '-1s', '1d', '1 s s', 'abc', '1e3']) assert.equal(parseDuration(bad), undefined, bad);
});

test('formatDuration picks a readable unit', () => {
  assert.equal(formatDuration(250), '250 ms');
  assert.equal(formatDuration(16_000), '16 s');
  assert.equal(formatDuration(61_500), '1 min 1.5 s');
  assert.equal(formatDuration(3_660_000), '1 h 1 min');
  assert.equal(formatDuration(-1500), '-1.5 s');
});
