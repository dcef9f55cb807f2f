// Golden tests: every evidence set in test/fixtures/diagnose gets the pinned {domain, cause, outcome} per incident,
// and one small case matches its whole diagnosis. Plus invariants that hold for every verdict.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { CAUSES, DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { renderJson } from '../../src/diagnose/report-json.ts';
import { renderText } from '../../src/diagnose/report-text.ts';
import { expectedOf, FIXTURE_DIR, FULL_GOLDEN, fixtureNames, loadExpected, loadFixture } from './fixtures.ts';

const expected = loadExpected();
const names = fixtureNames();

test('every fixture has a pinned expectation and every expectation a fixture', () => {
  assert.ok(names.length >= 50, `only ${names.length} fixtures`);
  assert.deepEqual(names, Object.keys(expected).sort());
});

for (const name of names) {
  test(`golden: ${name}`, () => {
    const { diagnosis } = diagnose({ results: loadFixture(name), options: DEFAULT_OPTIONS });
    assert.deepEqual(expectedOf(diagnosis), expected[name]);
    for (const inc of diagnosis.incidents) {
      assert.ok((CAUSES as readonly string[]).includes(inc.cause), inc.cause);
      assert.ok(inc.confidence > 0 && inc.confidence <= 0.95, `confidence ${inc.confidence}`);
      const sources = new Set(inc.evidence.map((e) => e.source));
      if (sources.size <= 1) assert.ok(inc.confidence <= 0.7, `${inc.cause} from one source at ${inc.confidence}`);
      assert.ok(inc.evidence.length > 0);
      for (const e of inc.evidence) assert.ok(Number.isFinite(e.ts) && e.fact.length > 0 && e.fact.length < 500);
      for (const m of inc.missing) assert.ok([1, 4, 5, 6, 7].includes(m.step));
      assert.ok(inc.nextSteps.length > 0);
      assert.ok(inc.end >= inc.start);
    }
  });
}

test('full golden: the whole diagnosis of one small case', () => {
  const { diagnosis } = diagnose({ results: loadFixture(FULL_GOLDEN), options: DEFAULT_OPTIONS });
  const golden = JSON.parse(readFileSync(new URL(`${FULL_GOLDEN}.diagnosis.json`, FIXTURE_DIR), 'utf8'));
  assert.deepEqual(JSON.parse(renderJson(diagnosis)), golden);
  assert.equal(golden.schema, 'lifeline.diagnosis');
  assert.equal(golden.version, 1);
});

test('more independent sources agreeing give more confidence; contradictions give less', () => {
  const conf = (n: string) =>
    diagnose({ results: loadFixture(n), options: DEFAULT_OPTIONS }).diagnosis.incidents[0].confidence;
  assert.ok(conf('desktop-throttled.all') > conf('desktop-throttled.report'));
  assert.ok(conf('desktop-throttled.report') <= 0.7);
  const contradicted = diagnose({
    results: loadFixture('desktop-throttled-contradicted.all'),
    options: DEFAULT_OPTIONS,
  }).diagnosis.incidents[0];
  assert.ok(contradicted.confidence < conf('desktop-throttled.all'));
  assert.ok(
    contradicted.contradictions.some((c) => /on the wire/.test(c)),
    contradicted.contradictions.join('; '),
  );
});

test('skewed clocks: HAR +1.5 s, report −2 min, device log +1 h are aligned to the capture', () => {
  const { diagnosis } = diagnose({ results: loadFixture('reset-by-middlebox-skewed.all'), options: DEFAULT_OPTIONS });
  const clock = (f: string) => diagnosis.sources.find((s) => s.file === f)!.clock;
  assert.equal(diagnosis.reference, 'pc.pcapng');
  assert.ok(Math.abs(clock('desktop.har').offsetMs + 1500) < 50, String(clock('desktop.har').offsetMs));
  assert.ok(Math.abs(clock('error-report.json').offsetMs - 120_000) < 50, String(clock('error-report.json').offsetMs));
  assert.equal(clock('asa.log').method, 'five-tuple');
  assert.ok(Math.abs(clock('asa.log').offsetMs + 3_600_000) < 1500, String(clock('asa.log').offsetMs));
  assert.equal(clock('asa.log').clockUncertain, false);
  // The device's teardown lands on the RST once aligned.
  const dev = diagnosis.incidents[0].evidence.find((e) => e.source === 'asa.log');
  assert.ok(dev && Math.abs(dev.ts - diagnosis.incidents[0].start) < 2000);
});

test('a device log without 5-tuples is aligned by timing only and flagged clockUncertain with the question', () => {
  const { diagnosis } = diagnose({
    results: loadFixture('reset-by-middlebox-device-notuple.all'),
    options: DEFAULT_OPTIONS,
  });
  const c = diagnosis.sources.find((s) => s.file === 'asa.log')!.clock;
  assert.equal(c.method, 'connections');
  assert.equal(c.clockUncertain, true);
  assert.ok(Math.abs(c.offsetMs + 120_000) < 1500);
  assert.match(c.question ?? '', /5-tuple/);
  assert.match(c.question ?? '', /offset -2 min( \d+(\.\d)? s)?\./, 'a human offset, not "-120 s"');
  assert.ok(diagnosis.notes.some((n) => n.includes('asa.log')));
});

test('hostile strings: secrets redacted, huge lines capped, no terminal escapes in text', () => {
  const { diagnosis } = diagnose({ results: loadFixture('hostile-strings.all'), options: DEFAULT_OPTIONS });
  const json = renderJson(diagnosis);
  assert.ok(!json.includes('SECRET123'));
  assert.ok(!json.includes('eyJhbGciOiJIUzI1NiJ9'));
  assert.ok(json.length < 200_000, `json is ${json.length} chars`);
  const text = renderText(diagnosis);
  assert.ok(!text.includes('\u001b'));
  assert.match(text, /1 incident: 1 closed-by-server \(backend\)/);
  const raw = diagnose({
    results: loadFixture('hostile-strings.all'),
    options: DEFAULT_OPTIONS,
    redact: false,
  }).diagnosis;
  assert.ok(renderJson(raw).includes('SECRET123'), '--no-redact keeps the text');
});

test('a summary line names each cause with its domain', () => {
  const { diagnosis } = diagnose({
    results: [...loadFixture('desktop-throttled.report')],
    options: DEFAULT_OPTIONS,
  });
  assert.equal(diagnosis.summary.text, '1 incident: 1 desktop-throttled (desktop)');
  assert.match(renderText(diagnosis).split('\n')[0], /^1 incident: 1 desktop-throttled \(desktop\)$/);
});
