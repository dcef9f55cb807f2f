// Desktop family on fact fixtures: a PC that stopped altogether vs a page that stopped vs a dead path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ruleDesktopStopped } from '../../../src/diagnose/rules/desktop.ts';
import { pcStopped } from '../../../src/diagnose/rules/facts.ts';
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
