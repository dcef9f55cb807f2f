import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from '../src/duration.ts';

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
  assert.equal(formatDuration(41_000), '41 s');
  assert.equal(formatDuration(11_520_000), '3 h 12 min');
  assert.equal(formatDuration(7_199_990), '2 h'); // 1 h 59.99 min rounds up, never "1 h 60 min"
  assert.equal(formatDuration(2 * 86_400_000), '2 d');
  // The span that `evidence inspect` printed as "190054795.0 s".
  assert.equal(formatDuration(190_054_795_000), '2199 d 17 h');
  assert.equal(formatDuration(Number.NaN), '?');
});
