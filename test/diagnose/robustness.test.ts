// Bad input never crashes the troubleshooter: mutated evidence (events dropped, shuffled, duplicated, fields
// removed, non-finite or absurd times, empty files) always yields a valid diagnosis. Seeded, bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { CAUSES, DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { renderHtml } from '../../src/diagnose/report-html.ts';
import { renderMarkdown } from '../../src/diagnose/report-md.ts';
import { renderText } from '../../src/diagnose/report-text.ts';
import type { EvidenceResult, TimelineEvent } from '../../src/events/types.ts';
import { seededRandom as prng } from '../helpers/fuzz.ts';
import { loadFixture } from './fixtures.ts';

const BASES = ['desktop-throttled.all', 'path-blackhole.all', 'reset-by-middlebox-skewed.all', 'delayed.capture'];

function mutate(results: EvidenceResult[], rnd: () => number): EvidenceResult[] {
  return results.map((r) => {
    let events: TimelineEvent[] = r.events.map((e) => ({ ...e }) as TimelineEvent);
    const ops = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < ops; k++) {
      const op = Math.floor(rnd() * 7);
      const i = Math.floor(rnd() * Math.max(1, events.length));
      const e = events[i] as unknown as Record<string, unknown> | undefined;
      if (op === 0) events = events.filter(() => rnd() > 0.3);
      else if (op === 1) events.sort(() => rnd() - 0.5);
      else if (op === 2 && e) e.ts = [Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 1e18][Math.floor(rnd() * 5)];
      else if (op === 3 && e) {
        for (const f of ['dir', 'conn', 'seq', 'len', 'ack', 'cls']) if (rnd() < 0.5) delete e[f];
      } else if (op === 4) events = [...events, ...events.slice(0, Math.floor(rnd() * events.length))];
      else if (op === 5 && e) e.ts = (e.ts as number) + (rnd() - 0.5) * 3_600_000;
      else if (op === 6) events = [];
    }
    return { ...r, events, meta: rnd() < 0.2 ? {} : r.meta };
  });
}

test('300 mutated evidence sets never crash and always give a valid diagnosis and reports', () => {
  const rnd = prng(20261125);
  const started = Date.now();
  for (let n = 0; n < 300 && Date.now() - started < 60_000; n++) {
    const results = mutate(loadFixture(BASES[n % BASES.length]), rnd);
    const { diagnosis, series } = diagnose({ results, options: DEFAULT_OPTIONS });
    for (const inc of diagnosis.incidents) {
      assert.ok((CAUSES as readonly string[]).includes(inc.cause));
      assert.ok(inc.confidence >= 0.05 && inc.confidence <= 0.95, `#${n}: ${inc.confidence}`);
      assert.ok(Number.isFinite(inc.start) && Number.isFinite(inc.end), `#${n}: non-finite incident time`);
    }
    JSON.parse(JSON.stringify(diagnosis));
    renderText(diagnosis);
    renderMarkdown(diagnosis);
    if (n % 25 === 0) renderHtml(diagnosis, series);
  }
});

test('no evidence events at all: "nothing to judge", never "no incidents"', () => {
  const { diagnosis } = diagnose({
    results: [{ file: 'empty.har', kind: 'har', format: 'har-chrome', events: [], problems: [], meta: {} }],
    options: DEFAULT_OPTIONS,
  });
  assert.equal(diagnosis.incidents.length, 0);
  assert.match(diagnosis.summary.text, /^Nothing to judge/);
  assert.equal(diagnosis.summary.nothingToJudge, true);
});
