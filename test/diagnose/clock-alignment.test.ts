import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alignSources, bestOffset, chooseReference, type Keyed } from '../../src/diagnose/clock-alignment.ts';
import type { TimelineEvent } from '../../src/events/types.ts';

const ka = (ts: number, dir: 'c2s' | 's2c' = 'c2s'): Keyed => ({ key: `${dir}|keepalive|20`, ts, weight: 1 });

test('keepalives only, 4 s apart: the true small offset wins over the 4 s aliases', () => {
  // Jittered keepalives (not exactly periodic) seen by two sources 37 ms apart.
  const ref = Array.from({ length: 40 }, (_, i) => ka(1_000_000 + i * 4000 + ((i * 37) % 90)));
  const mine = ref.map((k) => ({ ...k, ts: k.ts - 37 }));
  const m = bestOffset(mine, ref, 750, 600_000)!;
  assert.ok(Math.abs(m.offset - 37) < 2, String(m.offset));
  assert.equal(m.matches, 40);
  assert.ok(m.spread < 2);
});

test('a stream position pins the offset even when keepalives would alias', () => {
  const ref: Keyed[] = [
    ...Array.from({ length: 10 }, (_, i) => ka(i * 4000)),
    { key: 's2c|pos|e1|7', ts: 21_000, weight: 10 },
  ];
  const mine: Keyed[] = [
    ...Array.from({ length: 10 }, (_, i) => ka(i * 4000 - 8000)),
    { key: 's2c|pos|e1|7', ts: 13_000, weight: 10 },
  ];
  assert.ok(Math.abs(bestOffset(mine, ref, 750, 600_000)!.offset - 8000) < 1);
});

test('no common key: no offset', () => {
  assert.equal(bestOffset([ka(1)], [{ key: 'other', ts: 1, weight: 1 }], 750, 1000), undefined);
});

test('reference preference: capture, then report, then HAR', () => {
  const mk = (file: string, kind: 'capture' | 'report' | 'har') => ({ file, kind, events: [{} as TimelineEvent] });
  assert.equal(chooseReference([mk('a.har', 'har'), mk('r.json', 'report'), mk('c.pcap', 'capture')])!.file, 'c.pcap');
  assert.equal(chooseReference([mk('a.har', 'har'), mk('r.json', 'report')])!.file, 'r.json');
  assert.equal(chooseReference([mk('a.har', 'har')])!.file, 'a.har');
});

test('a source sharing nothing is assumed on the reference clock and flagged with the question', () => {
  const ev = (source: string, ts: number): TimelineEvent => ({
    kind: 'desktop-lifecycle',
    what: 'hidden',
    ts,
    source,
    sourceKind: 'har',
  });
  const { alignments } = alignSources([
    { file: 'c.pcap', kind: 'capture', events: [ev('c.pcap', 1)] },
    { file: 'a.har', kind: 'har', events: [ev('a.har', 2)] },
  ]);
  const a = alignments.get('a.har')!;
  assert.equal(a.method, 'assumed');
  assert.equal(a.clockUncertain, true);
  assert.match(a.question!, /same PC/);
});
