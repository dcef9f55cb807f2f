// Closes family on fact fixtures: who started a close, the echo, close codes as hints, normal session ends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../../src/diagnose/diagnose.ts';
import { DEFAULT_OPTIONS } from '../../../src/diagnose/model.ts';
import { ruleClosedByDesktop, ruleClosedByServer, sessionEnd } from '../../../src/diagnose/rules/closes.ts';
import { closeBy, knownCode, saysSilence, starterCloses } from '../../../src/diagnose/rules/facts.ts';
import { healthy, keepalives, toCapture, toHar, toReport, type World } from '../world.ts';
import { connKey, factsOf, withEvents } from './facts-of.ts';

const signOut = (code: number | undefined, extra: Partial<World> = {}): World => ({
  conns: [{ n: 1, open: -10, port: 51001, close: { t: 40.5, how: 'ws-close', by: 'desktop', code, reason: 'bye' } }],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41)],
  end: 70,
  ...extra,
});

test('a desktop closing a healthy session with 1000 or 1001, no reconnect, is a session end on every evidence kind', () => {
  for (const code of [1000, 1001])
    for (const project of [toHar, toReport, toCapture]) {
      const results = [project(signOut(code))];
      const facts = factsOf(results);
      assert.equal(facts.length, 1);
      const end = sessionEnd(facts[0]);
      assert.ok(end, `${project.name} ${code}`);
      assert.equal(end.by, 'desktop');
      const { diagnosis } = diagnose({ results, options: DEFAULT_OPTIONS });
      assert.equal(diagnosis.incidents.length, 0, `${project.name} ${code}: ${diagnosis.summary.text}`);
      assert.equal(diagnosis.sessionEnds.length, 1);
      assert.ok(diagnosis.notes.some((n) => /ended the session normally/.test(n)));
    }
});

test('not a session end: an error code, a silence before the close, or a reconnect after it', () => {
  const [err] = factsOf([toCapture(signOut(1011))]);
  assert.equal(sessionEnd(err), null);
  assert.ok(ruleClosedByDesktop(err));
  // Notifs had been silent for 20 s: the desktop gave up on a dead connection.
  const deaf = signOut(1000, { msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 21)] });
  const deafFacts = factsOf([toHar(deaf)]);
  assert.ok(deafFacts.every((f) => sessionEnd(f) === null));
  // The desktop opens a new socket right after: a disruption, not the end of the session.
  const again = signOut(1000, {
    conns: [
      { n: 1, open: -10, port: 51001, close: { t: 40.5, how: 'ws-close', by: 'desktop', code: 1000 } },
      { n: 2, open: 42, port: 51002 },
    ],
    msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 42, 80)],
    end: 80,
  });
  const [againFacts] = factsOf([toCapture(again)]);
  assert.equal(sessionEnd(againFacts), null);
});

test('the echo close frame is not a second closer (RFC 6455 §5.5.1), whatever code it carries', () => {
  const w: World = {
    conns: [{ n: 1, open: -10, port: 51011 }],
    msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41)],
    end: 70,
  };
  const conn = connKey(51011);
  const cap = withEvents(toCapture(w), [
    { t: 40.5, kind: 'ws-control', dir: 's2c', op: 'close', code: 1001, reason: 'restart', conn },
    { t: 40.5004, kind: 'ws-control', dir: 'c2s', op: 'close', code: 1001, conn },
    { t: 40.5009, kind: 'conn-close', how: 'fin', by: 'server', conn },
  ] as never);
  const [f] = factsOf([cap]);
  const starters = starterCloses(f);
  assert.ok(starters.length >= 1);
  assert.ok(
    starters.every((c) => closeBy(f, c) === 'server'),
    JSON.stringify(starters.map((c) => closeBy(f, c))),
  );
  assert.equal(ruleClosedByDesktop(f), null);
  assert.ok(ruleClosedByServer(f));
  // And the other way round: the desktop's first close, the server's echo.
  const cap2 = withEvents(toCapture(w), [
    { t: 40.5, kind: 'ws-control', dir: 'c2s', op: 'close', code: 1000, conn },
    { t: 40.5003, kind: 'ws-control', dir: 's2c', op: 'close', code: 1000, conn },
    { t: 40.5006, kind: 'conn-close', how: 'fin', by: 'server', conn },
  ] as never);
  const [g] = factsOf([cap2]);
  assert.ok(starterCloses(g).every((c) => closeBy(g, c) === 'desktop'));
  assert.equal(ruleClosedByServer(g), null);
  assert.ok(sessionEnd(g), 'a desktop-started 1000 close after a healthy session is a session end');
});

test("private close codes (4000–4999) are Lifeline's table only where that side is known to be Lifeline", () => {
  const w: World = {
    conns: [
      { n: 1, open: -10, port: 51021, close: { t: 40.5, how: 'ws-close', by: 'server', code: 4000, reason: 'x' } },
      { n: 2, open: 43, port: 51022 },
    ],
    msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 43, 80)],
    end: 80,
  };
  const [foreign] = factsOf([toHar(w)]);
  const close = starterCloses(foreign)[0];
  assert.equal(knownCode(foreign, close), undefined, 'a foreign server: 4000 means nothing we know');
  assert.equal(saysSilence(foreign, close), false);
  const [lifeline] = factsOf([toHar(w)], { serverIsLifeline: true });
  assert.equal(knownCode(lifeline, starterCloses(lifeline)[0]), 4000);
  assert.equal(saysSilence(lifeline, starterCloses(lifeline)[0]), true);
  // RFC 6455's own codes mean the same everywhere.
  const std = { ...w, conns: [{ ...w.conns[0], close: { ...w.conns[0].close!, code: 1008 } }, w.conns[1]] };
  const [s] = factsOf([toHar(std)]);
  assert.equal(knownCode(s, starterCloses(s)[0]), 1008);
  // A foreign server's own words still count: "keepalive timeout" says it closed for silence.
  const worded = {
    ...w,
    conns: [{ ...w.conns[0], close: { ...w.conns[0].close!, reason: 'keepalive timeout' } }, w.conns[1]],
  };
  const [wf] = factsOf([toHar(worded)]);
  assert.equal(saysSilence(wf, starterCloses(wf)[0]), true);
});

test('diagnose knows a Lifeline server by its Welcome', () => {
  const w: World = {
    conns: [
      { n: 1, open: -10, port: 51031, close: { t: 40.5, how: 'ws-close', by: 'server', code: 4409 } },
      { n: 2, open: 43, port: 51032 },
    ],
    msgs: [
      {
        t: -9.9,
        dir: 's2c',
        cls: 'welcome',
        conn: 1,
        text: '{"type":"Welcome","data":{"agentId":"a","position":{"epoch":"e1","seq":0}}}',
      },
      ...keepalives('c2s', 1, 0, 41),
      ...keepalives('s2c', 1, 2, 41),
      ...healthy(2, 43, 80),
    ],
    end: 80,
  };
  const lifeline = diagnose({ results: [toHar(w)], options: DEFAULT_OPTIONS }).diagnosis.incidents[0];
  assert.equal(lifeline.detail, 'multi-login', 'Lifeline 4409 = multi-login');
  const foreign = { ...w, msgs: w.msgs.slice(1) };
  const other = diagnose({ results: [toHar(foreign)], options: DEFAULT_OPTIONS }).diagnosis.incidents[0];
  assert.notEqual(other.detail, 'multi-login', 'an unknown server’s 4409 is not our multi-login');
});
