// Resets family on fact fixtures: only a different TTL makes another hop; the server's TTL names both origins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../../src/diagnose/model.ts';
import { ruleResetByMiddlebox, ruleResetByServer } from '../../../src/diagnose/rules/resets.ts';
import { healthy, keepalives, toCapture, type World } from '../world.ts';
import { connKey, factsOf, withEvents } from './facts-of.ts';

const base: World = {
  conns: [
    { n: 1, open: -10, port: 52001 },
    { n: 2, open: 43, port: 52002 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 43, 80)],
  end: 80,
};
const rst = (ttl: number, ipIdJump: boolean, by: 'server' | 'middlebox') =>
  withEvents(toCapture(base), [
    {
      t: 40.5,
      kind: 'conn-close',
      how: 'rst',
      by,
      dir: 's2c',
      ttl,
      expectedTtl: 52,
      ...(ipIdJump ? { ipIdJump } : {}),
      conn: connKey(52001),
    },
  ] as never);

test('an IP-ID jump alone does not make a middlebox; the RST is from the server side, origin not settled', () => {
  const [f] = factsOf([rst(52, true, 'middlebox')]);
  assert.equal(ruleResetByMiddlebox(f), null);
  const c = ruleResetByServer(f);
  assert.ok(c);
  assert.ok(c.evidence.some((e) => /IP ID.*not proof/.test(e.fact)));
  assert.match(c.summary, /same hop distance/);
});

test('a TTL different from the server’s packets is another hop: reset-by-middlebox', () => {
  for (const ttl of [60, 53]) {
    // One hop nearer is another hop too (a router's RST: 64 where the server's packets arrive with 63).
    const [f] = factsOf([rst(ttl, false, 'middlebox')]);
    assert.ok(ruleResetByMiddlebox(f), String(ttl));
    assert.equal(ruleResetByServer(f), null);
  }
});

test('a same-TTL RST is never "backend" with high confidence, and the next step tells the origins apart', () => {
  const { diagnosis } = diagnose({ results: [rst(52, false, 'server')], options: DEFAULT_OPTIONS });
  const inc = diagnosis.incidents[0];
  assert.equal(inc.cause, 'reset-by-server');
  assert.ok(inc.confidence <= 0.6, String(inc.confidence));
  assert.ok(inc.nextSteps.some((s) => /capture at the server side/.test(s)));
});
