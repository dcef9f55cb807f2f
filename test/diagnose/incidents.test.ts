import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { findIncidents } from '../../src/diagnose/incidents.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import { buildTimeline } from '../../src/diagnose/timeline.ts';
import { healthy, keepalives, T0, toCapture, toHar, type World } from './world.ts';

const run = (w: World, opts = DEFAULT_OPTIONS) => findIncidents(buildTimeline([toHar(w)], opts), opts);

test('a healthy connection has no incident', () => {
  assert.equal(run({ conns: [{ n: 1, open: 0, port: 1 }], msgs: healthy(1, 0, 120), end: 120 }).length, 0);
});

test('a silence and the close that ends it are one incident; recovery time runs to the next message', () => {
  const w: World = {
    conns: [
      { n: 1, open: -10, port: 1, close: { t: 56.5, how: 'ws-close', by: 'server', code: 4000 } },
      { n: 2, open: 70, port: 2 },
    ],
    msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 56), ...healthy(2, 70, 100)],
    end: 100,
  };
  const inc = run(w);
  assert.equal(inc.length, 1);
  assert.equal(inc[0].start, T0 + 40_000); // the last desktop message
  assert.deepEqual(new Set(inc[0].triggers.map((t) => t.kind)), new Set(['silence', 'close']));
  assert.equal(inc[0].outcome.status, 'recovered');
  assert.ok(Math.abs(inc[0].outcome.recoveredAfterMs! - 30_100) < 500, String(inc[0].outcome.recoveredAfterMs));
});

test('a gap just under the silence timeout is no incident; at the timeout it is (per direction)', () => {
  const mk = (gap: number): World => ({
    conns: [{ n: 1, open: 0, port: 1 }],
    msgs: [...keepalives('c2s', 1, 0, 100), ...keepalives('s2c', 1, 2, 30), ...keepalives('s2c', 1, 26 + gap, 100)],
    end: 100,
  });
  assert.equal(run(mk(15.9)).length, 0);
  const inc = run(mk(16));
  assert.equal(inc.length, 1);
  assert.equal(inc[0].triggers[0].dir, 's2c');
});

test('messages resuming only after the recovery timeout: lost; evidence ending first: ongoing', () => {
  const lost: World = {
    conns: [
      { n: 1, open: 0, port: 1, close: { t: 30, how: 'error', by: 'unknown' } },
      { n: 2, open: 100, port: 2 },
    ],
    msgs: [...healthy(1, 0, 30), ...healthy(2, 100, 130)],
    end: 130,
  };
  assert.equal(run(lost)[0].outcome.status, 'lost');
  assert.equal(run(lost, { ...DEFAULT_OPTIONS, recoveryMs: 120_000 })[0].outcome.status, 'recovered');
  const ongoing: World = {
    conns: [{ n: 1, open: 0, port: 1, close: { t: 30, how: 'error', by: 'unknown' } }],
    msgs: healthy(1, 0, 30),
    end: 35,
  };
  assert.equal(run(ongoing)[0].outcome.status, 'ongoing');
});

test('failed reconnects while the drop has not recovered belong to the same incident', () => {
  const w: World = {
    conns: [
      { n: 1, open: 0, port: 1, close: { t: 30, how: 'error', by: 'unknown' } },
      { n: 2, open: 60, port: 2 },
    ],
    msgs: [...healthy(1, 0, 30), ...healthy(2, 60, 100)],
    end: 100,
    fails: [35, 40, 45, 50, 55].map((t) => ({ t, stage: 'dns' as const, error: 'ENOTFOUND' })),
  };
  const inc = run(w);
  assert.equal(inc.length, 1);
  assert.equal(inc[0].triggers.filter((t) => t.kind === 'conn-fail').length, 5);
});

test('--silence changes what counts as an incident', () => {
  const w: World = {
    conns: [{ n: 1, open: 0, port: 1 }],
    msgs: [...keepalives('c2s', 1, 0, 100), ...keepalives('s2c', 1, 2, 30), ...keepalives('s2c', 1, 38, 100)],
    end: 100,
  };
  assert.equal(run(w).length, 0);
  assert.equal(run(w, { ...DEFAULT_OPTIONS, silenceMs: 8000 }).length, 1);
});

test('files days apart are separate timelines: no incident spans them, and a note says so', () => {
  const w: World = {
    conns: [{ n: 1, open: -10, port: 50991 }],
    msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41)],
    end: 70,
  };
  const monday = toCapture(w, { file: 'monday.pcap' });
  const DAYS = 3 * 86_400_000;
  const t = toHar(w, { file: 'thursday.har' });
  const thursday = {
    ...t,
    events: t.events.map((e) => ({ ...e, ts: e.ts + DAYS })),
    meta: { ...t.meta, firstTs: (t.meta.firstTs as number) + DAYS, lastTs: (t.meta.lastTs as number) + DAYS },
  };
  const { diagnosis } = diagnose({ results: [monday, thursday], options: DEFAULT_OPTIONS });
  assert.ok(diagnosis.incidents.length > 0);
  for (const i of diagnosis.incidents) assert.ok(i.durationMs < 3_600_000, `${i.cause}: ${i.durationMs} ms`);
  assert.ok(
    diagnosis.notes.some((n) => /2 time spans that do not overlap/.test(n)),
    diagnosis.notes.join('\n'),
  );
  // Files that do overlap stay one timeline.
  const one = diagnose({ results: [monday, toHar(w)], options: DEFAULT_OPTIONS }).diagnosis;
  assert.ok(!one.notes.some((n) => /do not overlap/.test(n)));
});
