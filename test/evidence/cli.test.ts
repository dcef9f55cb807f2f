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

test('inspect --json: one array, problems with line numbers; unknown file → error entry and exit 3', () => {
  const bad = join(tmp, 'x.txt');
  writeFileSync(bad, 'nothing to see');
  const r = run('--json', fx('asa.log'), bad);
  assert.equal(r.status, 3);
  const out = JSON.parse(r.stdout);
  assert.equal(out.length, 2);
  assert.equal(out[0].kind, 'device-log');
  assert.equal(out[0].counts['device-log'], 9);
  assert.deepEqual(
    out[0].problems.map((p: { line: number }) => p.line),
    [4],
  );
  assert.equal(out[1].error.code, 'EVIDENCE_UNKNOWN_FORMAT');
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
  assert.equal(JSON.parse(j.stdout)[0].events.length, 2);
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
  const out = JSON.parse(r.stdout);
  assert.equal(out[0].file, '-');
  assert.equal(out[0].kind, 'device-log');
  assert.equal(out[0].counts['device-log'], 4);
  const bad = spawnSync(process.execPath, [bin, 'evidence', 'inspect', '-'], { encoding: 'utf8', input: 'nothing' });
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /EVIDENCE_UNKNOWN_FORMAT: -: not a format/);
});
