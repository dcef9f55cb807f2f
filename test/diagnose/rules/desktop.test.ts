// Desktop family on fact fixtures: a PC that stopped altogether vs a page that stopped vs a dead path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ruleDesktopStopped } from '../../../src/diagnose/rules/desktop.ts';
import { pcStopped, withoutSendsIntoClosed } from '../../../src/diagnose/rules/facts.ts';
import { ruleOutboundLoss } from '../../../src/diagnose/rules/loss.ts';
import { healthy, keepalives, toCapture, toHar, toReport, type World } from '../world.ts';
import { factsOf } from './facts-of.ts';

/** Nothing either way for 90 s, then the desktop closes and reconnects (no sleep report: physics only). */
const stoppedPc: World = {
  conns: [
    { n: 1, open: -10, port: 53001, close: { t: 130, how: 'ws-close', by: 'desktop', code: 1006 } },
    { n: 2, open: 131, port: 53002 },
  ],
  msgs: [...keepalives('c2s', 1, 0, 41), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 131, 170)],
  end: 170,
};
/** The page kept sending for 90 s; nothing came back: the path, not the PC. */
const deadPath: World = {
  ...stoppedPc,
  msgs: [...keepalives('c2s', 1, 0, 129, 4, { wireT: null }), ...keepalives('s2c', 1, 2, 41), ...healthy(2, 131, 170)],
  retrans: [44, 48, 52].map((t) => ({ t, dir: 'c2s' as const, conn: 1 })),
};

test('nothing sent or received on the PC (capture, HAR), then the desktop came back: the PC slept or hung', () => {
  for (const project of [toCapture, toHar]) {
    const facts = factsOf([project(stoppedPc)]);
    const f = facts.find((x) => pcStopped(x).length > 0);
    assert.ok(f, project.name);
    const c = ruleDesktopStopped(f);
    assert.equal(c?.cause, 'desktop-asleep', project.name);
    assert.equal(c?.domain, 'desktop');
  }
});

test('the page’s own report going quiet both ways is not enough: a frozen page stops writing it too', () => {
  const facts = factsOf([toReport(stoppedPc)]);
  assert.ok(facts.every((f) => pcStopped(f).length === 0));
});

test('a desktop that kept sending into a dead path is not a stopped PC', () => {
  for (const project of [toHar, toCapture]) {
    const facts = factsOf([project(deadPath)]);
    assert.ok(
      facts.every((f) => pcStopped(f).length === 0),
      project.name,
    );
  }
});

test('a page that sent into a socket already closed did not lose that send on the path', () => {
  // The page is frozen; Notifs closes the socket for silence at 30 s; the page's queued timer fires at 33 s.
  const w: World = {
    conns: [
      { n: 1, open: -10, port: 53011, close: { t: 30, how: 'ws-close', by: 'server', code: 1000, reason: 'idle' } },
      { n: 2, open: 35, port: 53012 },
    ],
    msgs: [
      ...keepalives('c2s', 1, 0, 13),
      { t: 33, dir: 'c2s', cls: 'keepalive', conn: 1, wireT: null },
      ...keepalives('s2c', 1, 2, 30),
      ...healthy(2, 35, 70),
    ],
    end: 70,
  };
  const facts = factsOf([toHar(w), toCapture(w)]);
  const f = facts.find((x) => x.appDuringWireSilence.c2s.length > 0);
  assert.ok(f, 'the late send is one the wire did not show');
  const g = withoutSendsIntoClosed(f);
  assert.equal(g.appDuringWireSilence.c2s.length, 0);
  assert.equal(g.sentIntoClosed?.length, 1);
  assert.equal(ruleOutboundLoss(g), null, 'not an outbound loss');
  assert.equal(ruleDesktopStopped(g)?.domain, 'desktop');
});

test('a NetLog silent while the capture shows Notifs arriving: the whole browser stopped (desktop-stalled)', () => {
  const w: World = {
    conns: [{ n: 1, open: -10, port: 53021 }],
    msgs: [
      ...keepalives('c2s', 1, 0, 13),
      // The browser read nothing for 20 s; the PC received every keepalive on time; then the browser came back.
      ...keepalives('s2c', 1, 2, 34).map((m) => (m.t > 12 ? { ...m, appT: 34.01 } : m)),
      ...keepalives('c2s', 1, 34.5, 60),
      ...keepalives('s2c', 1, 36, 60),
    ],
    end: 60,
  };
  const asNetlog = (r: ReturnType<typeof toHar>) => ({
    ...r,
    file: 'netlog.json',
    kind: 'netlog' as const,
    events: r.events.map((e) => ({ ...e, source: 'netlog.json', sourceKind: 'netlog' as const })),
  });
  const facts = factsOf([asNetlog(toHar(w)), toCapture(w)]);
  const verdicts = facts.map((f) => ruleDesktopStopped(f)).filter((c) => c !== null);
  assert.ok(
    verdicts.some((c) => c.cause === 'desktop-stalled' && /whole browser stopped/.test(c.summary)),
    JSON.stringify(verdicts.map((c) => c.cause)),
  );
});
