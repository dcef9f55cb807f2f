// Loss family on fact fixtures: a delay the desktop's watchdog gave up on is still a delay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../../src/diagnose/model.ts';
import { resentAfterGiveUp } from '../../../src/diagnose/rules/facts.ts';
import { ruleDelayed, survivedFlap } from '../../../src/diagnose/rules/loss.ts';
import { healthy, keepalives, toCapture, toHar, type World } from '../world.ts';
import { factsOf } from './facts-of.ts';

/** A relay holds Notifs' frames 18 s; the desktop's watchdog closes at 26 s; the held frames then arrive at once. */
const held = (retrans: boolean): World => ({
  conns: [
    { n: 1, open: -10, port: 54001, close: { t: 26, how: 'ws-close', by: 'desktop', code: 1000, reason: 'silence' } },
    { n: 2, open: 30, port: 54002 },
  ],
  msgs: [
    ...keepalives('c2s', 1, 0, 26),
    ...keepalives('s2c', 1, 2, 11),
    ...[14, 18, 22].map((t, i) => ({
      t,
      dir: 's2c' as const,
      cls: 'keepalive' as const,
      conn: 1,
      appT: 28 + i * 0.02,
      wireT: 28 + i * 0.02,
    })),
    ...healthy(2, 30, 70),
  ],
  end: 70,
  ...(retrans ? { retrans: [15, 19, 23].map((t) => ({ t, dir: 'c2s' as const, conn: 1 })) } : {}),
});

test('held frames released after the desktop gave up, with no retransmission or RST on the wire: delayed', () => {
  const results = [toHar(held(false)), toCapture(held(false))];
  const f = factsOf(results).find((x) => x.bursts.length > 0);
  assert.ok(f);
  assert.ok(f.bursts.every((b) => !resentAfterGiveUp(f, b)));
  assert.ok(ruleDelayed(f));
  const inc = diagnose({ results, options: DEFAULT_OPTIONS }).diagnosis.incidents[0];
  assert.equal(inc.cause, 'delayed', `${inc.cause}: ${inc.summary}`);
});

test('the same burst after retransmissions is TCP resending what the path lost: not a held delivery', () => {
  const f = factsOf([toCapture(held(true))]).find((x) => x.bursts.length > 0);
  assert.ok(f);
  assert.ok(f.bursts.every((b) => resentAfterGiveUp(f, b)));
});

/** The path drops for 9 s (under the 16 s silence timeout): the desktop retransmits, then everything flows again. */
const flap = (retrans: boolean): World => ({
  conns: [{ n: 1, open: -10, port: 54011 }],
  msgs: [
    ...keepalives('c2s', 1, 0, 60),
    ...keepalives('s2c', 1, 2, 19),
    ...[22, 26].map((t, i) => ({
      t,
      dir: 's2c' as const,
      cls: 'keepalive' as const,
      conn: 1,
      appT: 28.5 + i * 0.02,
      wireT: 28.5 + i * 0.02,
    })),
    { t: 28.55, dir: 's2c' as const, cls: 'keepalive' as const, conn: 1 },
    ...keepalives('s2c', 1, 30, 60),
  ],
  end: 60,
  ...(retrans ? { retrans: [20, 23, 26].map((t) => ({ t, dir: 'c2s' as const, conn: 1 })) } : {}),
});

test('a flap the socket survives (retransmissions, a gap under the silence timeout, no close) is a note', () => {
  const [f] = factsOf([toCapture(flap(true))]);
  assert.ok(f, 'the late burst is a trigger');
  assert.ok(survivedFlap(f));
  const { diagnosis } = diagnose({ results: [toCapture(flap(true))], options: DEFAULT_OPTIONS });
  assert.equal(diagnosis.incidents.length, 0, diagnosis.summary.text);
  assert.equal(diagnosis.flaps.length, 1);
  assert.ok(diagnosis.notes.some((n) => /survived a short network flap/.test(n)));
  // Held without any retransmission: that is a delay, an incident.
  const [g] = factsOf([toCapture(flap(false))]);
  assert.equal(survivedFlap(g), null);
});
