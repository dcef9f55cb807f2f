// Every lab scenario end to end, once, sequentially (real processes, sockets, tcpdump, namespaces as root, and
// Chromium for browser scenarios) — on Lifeline's own pair, then every scenario that runs there on the foreign pair
// (an independent WxCC-like Notifs and a home-grown page: evidence Lifeline did not make); the accuracy matrix is
// derived from the same runs.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { type MatrixCell, matrixForRun, matrixMarkdown } from '../../src/lab/accuracy.ts';
import { netnsUnavailableReason } from '../../src/lab/netns.ts';
import { type RunResult, runScenario, scenarioUnavailable } from '../../src/lab/run-scenario.ts';
import { type Pair, runLabel, type Scenario } from '../../src/lab/scenario.ts';
import { SCENARIOS } from '../../src/lab/scenarios/index.ts';

let root: string;
const results = new Map<string, RunResult>();
const cells: MatrixCell[] = [];

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'lifeline-lab-'));
});
after(async () => {
  if (process.env.LIFELINE_KEEP_LAB) process.stderr.write(`lab runs kept in ${root}\n`);
  else await rm(root, { recursive: true, force: true });
});

async function size(file: string): Promise<number> {
  return (await stat(file)).size;
}

test('kernel-level scenarios can run here (root, iproute2, iptables, conntrack)', () => {
  const why = netnsUnavailableReason();
  assert.equal(why, undefined, `netns scenarios need: ${why}`);
});

// Bench-only scenarios (minutes at production timers) run in bench/accuracy.ts, not here.
const TESTED = SCENARIOS.filter((s) => !s.benchOnly);
const runs: { s: Scenario; pair: Pair; label: string }[] = [
  ...TESTED.map((s) => ({ s, pair: 'lifeline' as Pair, label: s.name })),
  ...TESTED.filter((s) => scenarioUnavailable(s, 'foreign') === undefined).map((s) => ({
    s,
    pair: 'foreign' as Pair,
    label: runLabel(s.name, 'foreign'),
  })),
];

test('the foreign pair runs every network, server and browser fault (not only our own desktop and server)', () => {
  const foreign = runs.filter((r) => r.pair === 'foreign').map((r) => r.s.name);
  assert.ok(foreign.length >= 12, foreign.join(', '));
});

for (const { s, pair, label } of runs) {
  test(`scenario ${label} runs end to end and collects its evidence`, async () => {
    const r = await runScenario(s, { outDir: path.join(root, label), pair });
    results.set(label, r);
    assert.equal(r.skipped, undefined, `skipped: ${r.skipped}`);
    assert.equal(r.error, undefined, `error: ${r.error}`);
    const t = r.truth!;
    assert.equal(t.scenario, s.name);
    assert.equal(t.pair, pair);
    assert.ok(t.end >= t.start, 'fault window');
    assert.ok(t.evidence.capture, 'capture collected');
    assert.ok(t.evidence['device-log'], 'device log collected');
    // A pcap has a 24-byte header; more means packets were captured.
    assert.ok((await size(path.join(r.outDir, t.evidence.capture!))) > 24, 'capture has packets');
    if (pair === 'lifeline' && !s.unloadsPage) {
      assert.ok(t.evidence.report, 'error report collected');
      const report = JSON.parse(await readFile(path.join(r.outDir, t.evidence.report!), 'utf8'));
      assert.equal(report.schema, 'lifeline.error-report');
      assert.ok(report.entries.length > 0);
      if (s.hidesPage) assertReallyHidden(s.pageQuery?.includes('timer=main') ?? false, report.entries, t.timers);
    } else if (pair === 'foreign') {
      // The home-grown desktop writes no error report: the verdict rests on the browser's and the wire's evidence.
      assert.equal(t.evidence.report, undefined);
    }
    if (s.desktop === 'browser' || pair === 'foreign') {
      assert.ok(t.evidence.har, 'HAR collected');
      assert.ok(t.evidence.netlog, 'NetLog collected');
    }
    assert.ok(r.check, 'troubleshooter ran and its verdict was checked');
    for (const f of ['truth.json', 'report.json', 'report.html', 'check.json']) {
      assert.ok((await size(path.join(r.outDir, f))) > 0, f);
    }
    cells.push(...(await matrixForRun(r.outDir)));
  });
}

interface Entry {
  m: number;
  kind: string;
  what?: string;
  timer?: string;
  lateMs?: number;
  via?: string;
  to?: string;
}

/**
 * Hidden-tab scenarios only prove something if the page was really hidden and Chrome really throttled it: the
 * report must show the tab hidden then visible, and while hidden either a late main-thread timer (throttled) or
 * Worker-timer keepalives with the desktop never leaving 'connected'.
 */
function assertReallyHidden(mainTimer: boolean, entries: Entry[], timers: { keepaliveMs: number }): void {
  const hidden = entries.find((e) => e.kind === 'lifecycle' && e.what === 'hidden');
  assert.ok(hidden, 'the page reported visibilitychange → hidden');
  const visible = entries.find((e) => e.kind === 'lifecycle' && e.what === 'visible' && e.m > hidden.m);
  assert.ok(visible, 'the page became visible again');
  const during = entries.filter((e) => e.m > hidden.m && e.m < visible.m);
  if (mainTimer) {
    const late = during.filter((e) => e.kind === 'drift' && e.timer === 'main' && (e.lateMs ?? 0) > timers.keepaliveMs);
    assert.ok(late.length > 0, 'the main-thread timer fired late while hidden (throttled)');
  } else {
    assert.ok(
      during.some((e) => e.kind === 'sent' && e.via === 'worker'),
      'the Worker timer sent keepalives while hidden',
    );
    assert.ok(!during.some((e) => e.kind === 'state'), 'the desktop stayed connected while hidden');
  }
}

test('accuracy matrix: with all evidence, the domain is right for every scenario', (t) => {
  t.diagnostic(`\n${matrixMarkdown(cells)}`);
  const wrong: string[] = [];
  for (const { label } of runs) {
    const c = cells.find((x) => x.scenario === label && x.subset === 'all');
    if (!c) wrong.push(`${label}: did not run to the end (${results.get(label)?.error ?? 'not run'})`);
    else if (!c.domainOk) wrong.push(`${label}: expected ${c.expected.domain}, got ${c.got?.domain ?? 'no incident'}`);
  }
  assert.deepEqual(wrong, []);
});

test('accuracy matrix: no wrong verdict with confidence > 0.8 on any evidence subset', () => {
  assert.ok(cells.length > 0);
  const bad = cells
    .filter((c) => c.confidentWrong)
    .map((c) => `${c.scenario} [${c.subset}]: ${c.got?.domain}/${c.got?.cause} ${c.got?.confidence}`);
  assert.deepEqual(bad, []);
});
