import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readReport } from '../../src/evidence/report-reader.ts';

const fx = (name: string) => new URL(`../fixtures/evidence/${name}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lifeline-report-'));

test('version-1 report: every entry kind maps to its timeline event', async () => {
  const r = await readReport(fx('report-v1.json'));
  assert.equal(r.kind, 'report');
  assert.equal(r.format, 'lifeline-report-v1');
  const by = (k: string) => r.events.filter((e) => e.kind === k);
  assert.equal(by('ws-message').length, 4);
  const sent = by('ws-message').find((e) => e.kind === 'ws-message' && e.dir === 'c2s');
  assert.ok(sent && sent.kind === 'ws-message');
  assert.equal(sent.cls, 'keepalive');
  assert.equal(sent.conn, 'conn-1');
  assert.equal(sent.text, 'via worker');
  const note = by('ws-message').find((e) => e.kind === 'ws-message' && e.cls === 'notification');
  assert.ok(note && note.kind === 'ws-message' && note.seq === 1 && note.epoch === 'e1');
  assert.deepEqual(
    by('desktop-state').map((e) => (e.kind === 'desktop-state' ? e.state : '')),
    ['connecting', 'connected', 'recovering', 'connected', 'closed'],
  );
  assert.equal(by('conn-open').length, 2, 'one per connected state');
  const drift = by('desktop-drift')[0];
  assert.ok(drift && drift.kind === 'desktop-drift');
  assert.equal(drift.timer, 'main');
  assert.equal(drift.wallJumpMs, 59000);
  assert.deepEqual(
    by('desktop-lifecycle').map((e) => (e.kind === 'desktop-lifecycle' ? e.what : '')),
    ['hidden', 'sleep-detected'],
  );
  const fail = by('conn-fail')[0];
  assert.ok(fail && fail.kind === 'conn-fail');
  assert.equal(fail.stage, 'dns');
  assert.equal(fail.conn, 'conn-2');
  assert.match(fail.error, /ENOTFOUND/);
  const closes = by('conn-close');
  assert.deepEqual(
    closes.map((e) => (e.kind === 'conn-close' ? [e.how, e.by, e.wsCode] : [])),
    [
      ['error', 'unknown', 1006],
      ['ws-close', 'desktop', 1000],
    ],
  );
  assert.equal(r.meta.reconnectAttempts, 2);
  assert.equal((r.meta.resumes as unknown[]).length, 1);
  assert.equal(r.meta.agentId, 'agent-7');
  // Kept as written; outputs redact (src/redact.ts).
  assert.equal(r.meta.serverUrl, 'https://notifs.example.test/v1/notification/subscription/77?token=SECRET');
  assert.ok(r.problems.some((p) => p.code === 'REPORT_RING_DROPPED' && p.severity === 'warning'));
  // Events carry the byte offset of their entry.
  const text = readFileSync(fx('report-v1.json'), 'utf8');
  assert.ok(text.slice(drift.offset).startsWith('{ "t": 1795597270000'));
});

test('an unknown future version is an error Problem, but recognisable entries are still read', async () => {
  const v = JSON.parse(readFileSync(fx('report-v1.json'), 'utf8'));
  v.version = 7;
  v.entries.push({ t: 1795597300000, m: 1, kind: 'teleport' });
  const f = join(tmp, 'v7.json');
  writeFileSync(f, JSON.stringify(v));
  const r = await readReport(f);
  const p = r.problems.find((x) => x.code === 'REPORT_UNKNOWN_VERSION');
  assert.ok(p);
  assert.equal(p.severity, 'error');
  assert.equal(r.events.filter((e) => e.kind === 'ws-message').length, 4);
  assert.ok(r.problems.some((x) => x.code === 'REPORT_UNKNOWN_ENTRY'));
});

test('a cut-off report keeps the entries before the cut; entries without t use the monotonic clock', async () => {
  const text = readFileSync(fx('report-v1.json'), 'utf8');
  const at = text.indexOf('"kind": "reconnect", "attempt": 2');
  const f = join(tmp, 'cut.json');
  writeFileSync(f, text.slice(0, at));
  const r = await readReport(f);
  assert.ok(r.problems.some((p) => p.code === 'REPORT_JSON_TRUNCATED'));
  assert.equal(r.events.filter((e) => e.kind === 'conn-fail').length, 1);
  assert.equal(r.meta.agentId, 'agent-7', 'header fields before the cut are kept');

  const noT = JSON.parse(text);
  noT.entries = [{ m: 5000, conn: 1, kind: 'lifecycle', what: 'freeze' }];
  const g = join(tmp, 'mono.json');
  writeFileSync(g, JSON.stringify(noT));
  const r2 = await readReport(g);
  assert.equal(r2.events[0].ts, 1795597200000 + 4000);
});
