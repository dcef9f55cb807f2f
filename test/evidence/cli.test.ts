import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { escapeControls, safeJson } from '../../src/evidence/cli.ts';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;
const fx = (name: string) => new URL(`../fixtures/evidence/${name}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lifeline-evcli-'));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [bin, 'evidence', 'inspect', ...args], { encoding: 'utf8' });

test('inspect: human summary per file, exit 0', () => {
  const r = run(fx('chrome-wxcc.har'), fx('report-v1.json'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /kind {9}har \(har-chrome\)/);
  assert.match(r.stdout, /ws-message +9 +\(c2s 3, s2c 6\)/);
  assert.match(r.stdout, /blind to {5}ws-control, ws-close, tcp/);
  assert.match(r.stdout, /kind {9}report \(lifeline-report-v1\)/);
  assert.match(r.stdout, /warning REPORT_RING_DROPPED at file/);
  assert.doesNotMatch(r.stdout, /SECRET/);
});

test('inspect --json: one object (files + unreadable); unknown file → unreadable entry and exit 3', () => {
  const bad = join(tmp, 'x.txt');
  writeFileSync(bad, 'nothing to see');
  const r = run('--json', fx('asa.log'), bad);
  assert.equal(r.status, 3);
  const out = JSON.parse(r.stdout);
  assert.equal(out.schema, 'lifeline.evidence-inspect');
  assert.equal(out.version, 1);
  assert.equal(out.redacted, true);
  assert.equal(out.files.length, 1);
  assert.equal(out.files[0].kind, 'device-log');
  assert.equal(out.files[0].counts['device-log'], 9);
  assert.deepEqual(
    out.files[0].problems.map((p: { line: number }) => p.line),
    [4],
  );
  assert.equal(out.unreadable.length, 1);
  assert.equal(out.unreadable[0].file, bad);
  assert.equal(out.unreadable[0].code, 'EVIDENCE_UNKNOWN_FORMAT');
  // Every entry of files has the same shape (no error entries mixed in).
  const ok = run('--json', fx('asa.log'), fx('report-v1.json'));
  assert.equal(ok.status, 0, ok.stderr);
  const both = JSON.parse(ok.stdout);
  assert.deepEqual(both.unreadable, []);
  for (const f of both.files) assert.deepEqual(Object.keys(f).sort(), Object.keys(both.files[0]).sort());
});

test('a missing file or a directory among readable ones: exit 3 with a clear message; --allow-missing goes on', () => {
  const missing = join(tmp, 'typo.har');
  const r = run(fx('asa.log'), missing, tmp);
  assert.equal(r.status, 3);
  assert.match(r.stderr, /INPUT_MISSING: .*typo\.har: no such file/);
  assert.match(r.stderr, /INPUT_IS_DIRECTORY: .* is a directory, not a file/);
  assert.doesNotMatch(r.stderr, /EISDIR/);
  assert.match(r.stdout, /kind {9}device-log/, 'the readable file is still shown');
  const allowed = run('--allow-missing', '--json', fx('asa.log'), missing);
  assert.equal(allowed.status, 0, allowed.stderr);
  const j = JSON.parse(allowed.stdout);
  assert.equal(j.files.length, 1);
  assert.deepEqual(
    j.unreadable.map((u: { code: string }) => u.code),
    ['INPUT_MISSING'],
  );
  assert.equal(run('--allow-missing', missing).status, 3, 'nothing readable is still exit 3');
  const keys = run('--keylog', tmp, fx('asa.log'));
  assert.equal(keys.status, 3);
  assert.match(keys.stderr, /KEYLOG_OPEN_FAILED: --keylog .*: is a directory, not a file/);
});

test('time spans are human durations, never thousands of seconds', () => {
  const r = run(fx('asa.log'));
  assert.equal(r.status, 0, r.stderr);
  // 00:33 → 09:38 was printed as "(32700.0 s)".
  assert.match(r.stdout, /time span {4}2026-11-25T00:33:00\.000Z → 2026-11-25T09:38:00\.000Z \(9 h 5 min\)\n/);
});

test('captured control characters never reach the terminal raw', () => {
  const har = {
    log: {
      creator: { name: 'WebInspector' },
      entries: [
        {
          _resourceType: 'websocket',
          connection: '\u001b]0;owned\u0007',
          startedDateTime: '2026-11-25T09:00:00Z',
          request: { url: 'wss://h.example/x' },
          response: { status: 101 },
          _webSocketMessages: [
            { type: 'receive', time: 1795597200, opcode: 1, data: '\u001b[2J<script>alert(1)</script>\u009b31m\u202e' },
          ],
        },
      ],
    },
  };
  const f = join(tmp, 'evil.har');
  writeFileSync(f, JSON.stringify(har));
  const r = run('--events', f);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  assert.match(r.stdout, /\\x1b/);
  const j = run('--json', '--events', f);
  assert.doesNotMatch(j.stdout, /[\u007f-\u009f\u202e]/);
  assert.equal(JSON.parse(j.stdout).files[0].events.length, 2);
});

test('escape helpers', () => {
  assert.equal(escapeControls('a\u0007b\nc\u202e'), 'a\\x07b\\nc\\u202e');
  assert.equal(JSON.parse(safeJson({ s: '\u009b' })).s, '\u009b');
});

test('usage errors exit 2', () => {
  assert.equal(run('--limit', 'x', fx('asa.log')).status, 2);
  assert.equal(run().status, 2);
});

test('`-` reads standard input (detected by content, reported as -)', () => {
  const r = spawnSync(process.execPath, [bin, 'evidence', 'inspect', '--json', '-'], {
    encoding: 'utf8',
    input: readFileSync(fx('fortigate.log')),
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout).files;
  assert.equal(out[0].file, '-');
  assert.equal(out[0].kind, 'device-log');
  assert.equal(out[0].counts['device-log'], 4);
  const bad = spawnSync(process.execPath, [bin, 'evidence', 'inspect', '-'], { encoding: 'utf8', input: 'nothing' });
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /EVIDENCE_UNKNOWN_FORMAT: -: not a format/);
});
