import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { printable, renderText } from '../../src/diagnose/report-text.ts';
import { loadFixture } from './fixtures.ts';

test('printable shows control characters and bidi overrides as escapes', () => {
  assert.equal(printable('a\u001b[31mb'), 'a\\x1b[31mb');
  assert.equal(printable('x\u202ey\u2066z'), 'x\\u202ey\\u2066z');
  assert.equal(printable('tab\tnewline\n'), 'tab\tnewline\n');
});

test('the text report puts the summary first, then each incident with outcome, evidence, missing steps, next steps', () => {
  const { diagnosis } = diagnose({ results: loadFixture('inbound-loss.har'), options: DEFAULT_OPTIONS });
  const lines = renderText(diagnosis).split('\n');
  assert.equal(lines[0], '1 incident: 1 inbound-loss (network)');
  const body = lines.join('\n');
  assert.match(body, /#1 .*inbound-loss — network must act; confidence 0\.\d\d/);
  assert.match(body, /outcome: recovered after \d/);
  assert.match(body, /evidence:\n {5}2026-/);
  assert.match(body, /would settle it:\n\s+- step 1 \(desktop error report\)/);
  assert.match(body, /step 6 \(Wireshark\/tcpdump capture on the PC\)/);
  assert.match(body, /next steps:/);
  assert.match(body, /Evidence read:\n {2}desktop\.har: har\/har-chrome/);
});

test('JSON output escapes C1 controls and bidi overrides and stays valid JSON', async () => {
  const { renderJson } = await import('../../src/diagnose/report-json.ts');
  const { diagnosis } = diagnose({ results: loadFixture('inbound-loss.har'), options: DEFAULT_OPTIONS });
  diagnosis.notes.push('evil \u202e reversed \u009b csi');
  const json = renderJson(diagnosis);
  assert.ok(!/[\u202e\u009b]/.test(json));
  assert.deepEqual(JSON.parse(json).notes.at(-1), 'evil \u202e reversed \u009b csi');
});

test('clock offsets and spreads are human durations', () => {
  const { diagnosis } = diagnose({ results: loadFixture('inbound-loss.har'), options: DEFAULT_OPTIONS });
  const c = diagnosis.sources[0].clock;
  Object.assign(c, { offsetMs: 7_260_000, spreadMs: 90_000, method: 'five-tuple', matches: 3, clockUncertain: false });
  assert.match(renderText(diagnosis), /clock \+2 h 1 min \(five-tuple, 3 match\(es\), ±1 min 30 s\)/);
});
