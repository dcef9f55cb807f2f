// Cross-check with the writer: a report produced by the desktop's own FlightRecorder (src/desktop) reads without
// problems and every entry becomes the event the schema promises.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FlightRecorder } from '../../src/desktop/flight-recorder.ts';
import { readReport } from '../../src/evidence/report-reader.ts';

test('a FlightRecorder report (with ring overflow) is read fully', async () => {
  let wall = 1_795_597_200_000;
  let mono = 500;
  const rec = new FlightRecorder(
    16,
    { wall: () => wall, mono: () => mono },
    {
      agentId: 'agent-1',
      clientId: 'c-1',
      runtime: 'node',
      serverUrl: 'http://127.0.0.1:9/v1/notification/subscribe',
      config: { keepaliveMs: 4000, silenceMs: 16000, recoveryMs: 50000, keepaliveTimer: 'node' },
    },
  );
  rec.lastWebSocketUrl = 'ws://notifs.lab.test:9/v1/notification/subscription/abc?token=REDACTED';
  const step = (ms: number) => {
    wall += ms;
    mono += ms;
  };
  rec.record({ kind: 'state', from: 'idle', to: 'connecting', reason: 'start', conn: 1 });
  step(100);
  rec.record({ kind: 'state', from: 'connecting', to: 'connected', reason: 'welcome', conn: 1 });
  rec.record({ kind: 'received', type: 'welcome', size: 60, epoch: 'e1', seq: 0, conn: 1 });
  for (let i = 0; i < 20; i++) {
    step(4000);
    rec.record({ kind: 'sent', type: 'keepalive', size: 20, via: 'node', conn: 1 });
    rec.record({ kind: 'received', type: 'keepalive', size: 20, conn: 1 });
  }
  step(30_000);
  wall += 60_000; // the PC slept: wall jumps, monotonic does not
  rec.record({
    kind: 'drift',
    timer: 'node',
    expectedMs: 4000,
    actualMs: 94000,
    lateMs: 90000,
    wallJumpMs: 60000,
    conn: 1,
  });
  rec.record({ kind: 'close', code: 1006, reason: '', wasClean: false, by: 'unknown', conn: 1 });
  rec.record({ kind: 'reconnect', attempt: 1, delayMs: 800, error: 'connect ECONNREFUSED', stage: 'tcp', conn: 2 });
  const file = join(mkdtempSync(join(tmpdir(), 'lifeline-rec-')), 'report.json');
  writeFileSync(file, JSON.stringify(rec.report({ epoch: 'e1', seq: 0 })));

  const r = await readReport(file);
  assert.equal(r.format, 'lifeline-report-v1');
  assert.deepEqual(
    r.problems.map((p) => p.code),
    ['REPORT_RING_DROPPED'],
  );
  assert.equal(
    r.events.filter((e) => e.kind === 'ws-message').length,
    16 - 3,
    'ring of 16 minus drift/close/reconnect',
  );
  const fail = r.events.find((e) => e.kind === 'conn-fail');
  assert.ok(fail && fail.kind === 'conn-fail' && fail.stage === 'tcp' && fail.conn === 'conn-2');
  const drift = r.events.find((e) => e.kind === 'desktop-drift');
  assert.ok(drift && drift.kind === 'desktop-drift' && drift.wallJumpMs === 60000 && drift.timer === 'main');
  assert.equal(r.meta.host, 'notifs.lab.test');
  assert.equal((r.meta.totals as { keepalivesSent: number }).keepalivesSent, 20);
  assert.ok(r.events.every((e) => e.sourceKind === 'report' && Number.isFinite(e.ts)));
});
