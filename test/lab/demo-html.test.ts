import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderDemoIndex } from '../../src/lab/demo-html.ts';
import type { RunResult } from '../../src/lab/run-scenario.ts';

const evil = '<script>alert(1)</script>';

function result(ok: boolean): RunResult {
  return {
    scenario: 'inbound-loss',
    outDir: '/x',
    durationMs: 1000,
    truth: {
      scenario: 'inbound-loss',
      title: `title ${evil}`,
      fault: `fault ${evil}`,
      direction: 'downstream',
      network: 'proxy',
      desktop: 'node',
      start: 1,
      end: 2,
      expected: { domain: 'network', cause: 'inbound-loss' },
      timers: { keepaliveMs: 250, silenceMs: 1000, recoveryMs: 4000 },
      evidence: { report: 'error-report.json', capture: 'capture.pcap' },
      notes: [],
    },
    check: {
      scenario: 'inbound-loss',
      subset: 'all',
      expected: { domain: 'network', cause: 'inbound-loss' },
      got: ok
        ? { domain: 'network', cause: 'inbound-loss', confidence: 0.9, outcome: 'recovered' }
        : { domain: 'backend', cause: 'server-stalled', confidence: 0.5 },
      incidentsInWindow: 1,
      incidents: 1,
      domainOk: ok,
      causeOk: ok,
      ok,
      confidentWrong: false,
    },
  };
}

test('index.html escapes every value and has no script', () => {
  const html = renderDemoIndex({ createdAt: 0, durationMs: 5000, results: [result(true)], notes: [`note ${evil}`] });
  assert.ok(!html.includes('<script'), 'no script element');
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.match(html, /href="inbound-loss\/report.html"/);
  assert.match(html, /href="inbound-loss\/capture.pcap"/);
});

test('index.html marks correct and wrong verdicts and gives the share', () => {
  const html = renderDemoIndex({
    createdAt: 0,
    durationMs: 5000,
    results: [
      result(true),
      { ...result(false), scenario: 'other' },
      { scenario: 'netns-x', outDir: '/y', durationMs: 0, skipped: 'needs root' },
    ],
    notes: [],
  });
  assert.match(html, /<b>50%<\/b> fully correct \(1\/2\)/);
  assert.ok(html.includes('✓'));
  assert.ok(html.includes('✗'));
  assert.ok(html.includes('skipped: needs root'));
});
