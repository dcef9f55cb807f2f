// Smoke test of the connection benchmark harness: a few desktops per server with fast timers, real processes and
// sockets. It checks the harness works (shape of the results, every desktop connected and measured, no false
// recovery, every silenced desktop dropped no earlier than the silence timeout), not how fast anything is:
// timing claims live in BENCHMARKS.md.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markdownTable } from '../../bench/connection/report.ts';
import { type BenchOptions, runConnectionBench } from '../../bench/connection/run.ts';
import type { TargetName } from '../../bench/connection/targets.ts';

const targets = (process.env.LIFELINE_BENCH_TARGETS ?? 'socketio,ws-baseline,lifeline').split(',') as TargetName[];

test('connection harness: N=20 per server, fast timers', { timeout: 60_000 }, async () => {
  const opts: BenchOptions = {
    targets,
    sizes: [20],
    timing: { keepaliveMs: 200, silenceMs: 800 },
    windowMs: 1500,
    settleMs: 300,
    rate: 200,
    silent: 4,
    workers: 2,
    sourceIps: 2,
    nice: 0,
    log: () => {},
  };
  const results = await runConnectionBench(opts);
  assert.equal(results.length, targets.length);
  for (const r of results) {
    const what = `${r.target}: ${JSON.stringify(r)}`;
    assert.equal(r.error, undefined, what);
    assert.equal(r.connected, 20, what);
    assert.equal(r.failedConnects, 0, what);
    assert.equal(r.falseRecoveries, 0, what);
    assert.ok(r.cpuPercent >= 0 && Number.isFinite(r.cpuPercent), what);
    assert.ok(r.idleRssKiB > 0 && r.rssKiB > 0, what);
    // 1.5 s window, a probe per desktop every 200 ms: most probes must have been answered and timed.
    assert.ok(r.rttMs.count >= 20 * 4, what);
    assert.ok(r.rttMs.p50 > 0 && r.rttMs.p50 <= r.rttMs.p99, what);
    // The server's heartbeat reached every desktop about every 200 ms.
    assert.ok(r.serverGapMs.count >= 20 * 4, what);
    assert.ok(r.serverGapMs.p50 > 100 && r.serverGapMs.p50 < 400, what);
    // Every silenced desktop was dropped, never before the silence timeout after its last message.
    assert.equal(r.silence.sampled, 4, what);
    assert.equal(r.silence.detected, 4, what);
    assert.ok(r.silence.errorMs.p50 >= 0, what);
  }
  const table = markdownTable(results, opts.timing);
  assert.equal(table.split('\n').length, 2 + results.length);
});
