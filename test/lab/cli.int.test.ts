import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { SCENARIOS } from '../../src/lab/scenarios/index.ts';

const run = promisify(execFile);
const BIN = path.join(import.meta.dirname, '..', '..', 'bin', 'lifeline.js');

async function lifeline(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('lab list --json lists every scenario with its expected verdict', async () => {
  const r = await lifeline('lab', 'list', '--json');
  assert.equal(r.code, 0);
  const rows = JSON.parse(r.stdout) as { name: string; expected: { cause: string } }[];
  assert.deepEqual(
    rows.map((x) => x.name),
    SCENARIOS.map((s) => s.name),
  );
  assert.ok(rows.every((x) => typeof x.expected.cause === 'string'));
});

test('lab run with an unknown scenario is a usage error (exit 2) naming the scenarios', async () => {
  const r = await lifeline('lab', 'run', 'no-such-thing');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /LAB_UNKNOWN_SCENARIO/);
  assert.match(r.stderr, /inbound-loss/);
});

test('lab proxy with a bad endpoint is a usage error', async () => {
  const r = await lifeline('lab', 'proxy', '--listen', 'nope', '--upstream', '127.0.0.1:1');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /LAB_BAD_ENDPOINT/);
});
