import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;

test('lifeline --help lists the description and exits 0', () => {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Usage: lifeline/);
});

test('an unknown command is a usage error (exit 2)', () => {
  const r = spawnSync(process.execPath, [bin, 'no-such-command'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /error: (unknown command|too many arguments)/);
});

test('a reader that closes the pipe early ends the command quietly (no EPIPE stack trace)', () => {
  // `true` exits without reading, so every write of lifeline meets a closed pipe.
  const r = spawnSync('sh', ['-c', `"${process.execPath}" "${bin}" lab list --json | true`], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.doesNotMatch(r.stderr, /EPIPE|Unhandled 'error' event|internal error/);
});
