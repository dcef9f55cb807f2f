// The pipeline tells its caller where it is (the CLI draws that on a TTY): every phase in order, verdicts counted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DiagnosePhase, diagnose } from '../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { fixtureNames, loadFixture } from './fixtures.ts';

test('progress: timeline, incidents, then verdicts 0…N of N; the diagnosis is the same with or without it', () => {
  // The fixture with the most incidents (the scenario worlds have one or two).
  const [name, results] = fixtureNames()
    .map((n) => [n, loadFixture(n)] as const)
    .map(([n, r]) => [n, r, diagnose({ results: r, options: DEFAULT_OPTIONS }).diagnosis.incidents.length] as const)
    .sort((a, b) => b[2] - a[2])[0];
  const calls: [DiagnosePhase, number, number][] = [];
  const withProgress = diagnose({
    results,
    options: DEFAULT_OPTIONS,
    progress: (phase, done, total) => calls.push([phase, done, total]),
  }).diagnosis;
  const n = withProgress.incidents.length;
  assert.ok(n >= 1, `${name}: ${n} incidents`);
  const verdicts = Array.from({ length: n + 1 }, (_, i) => ['verdicts', i, n]);
  assert.deepEqual(calls, [['timeline', 0, 1], ['incidents', 0, 1], ...verdicts]);
  assert.deepEqual(withProgress, diagnose({ results, options: DEFAULT_OPTIONS }).diagnosis);
});
