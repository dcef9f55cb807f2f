import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkVerdicts, escapeHtml, type GotVerdict, verdictsFromJson } from '../../src/lab/check.ts';
import type { Truth } from '../../src/lab/scenario.ts';

function truth(cause: string, domain: string, start = 10_000, end = 12_000): Truth {
  return {
    scenario: 's',
    title: 't',
    fault: 'f',
    direction: 'downstream',
    network: 'proxy',
    desktop: 'node',
    start,
    end,
    expected: { domain, cause } as Truth['expected'],
    timers: { keepaliveMs: 250, silenceMs: 1000, recoveryMs: 4000 },
    evidence: {},
    notes: [],
  };
}
const v = (start: number, domain: string, cause: string, confidence = 0.7): GotVerdict => ({
  start,
  end: start + 500,
  domain,
  cause,
  confidence,
});

test('verdictsFromJson reads the diagnosis schema (incidents with flat verdict fields and outcome objects)', () => {
  const got = verdictsFromJson({
    incidents: [
      {
        id: 1,
        start: 5,
        end: 9,
        domain: 'network',
        cause: 'inbound-loss',
        confidence: 0.9,
        outcome: { status: 'recovered' },
      },
    ],
  });
  assert.deepEqual(got, [
    {
      id: 1,
      start: 5,
      end: 9,
      domain: 'network',
      cause: 'inbound-loss',
      confidence: 0.9,
      outcome: 'recovered',
      summary: undefined,
    },
  ]);
  assert.deepEqual(verdictsFromJson(null), []);
  assert.deepEqual(verdictsFromJson({ incidents: 'x' }), []);
});

test('the incident inside the fault window with the expected cause is the one compared', () => {
  const c = checkVerdicts(
    truth('inbound-loss', 'network'),
    [v(1000, 'backend', 'closed-by-server'), v(10_500, 'network', 'inbound-loss')],
    'all',
  );
  assert.equal(c.ok, true);
  assert.equal(c.got?.cause, 'inbound-loss');
  assert.equal(c.incidentsInWindow, 1);
  assert.equal(c.incidents, 2);
});

test('incidents outside the window do not count; a wrong one inside does', () => {
  const c = checkVerdicts(
    truth('inbound-loss', 'network'),
    [v(30_000, 'network', 'inbound-loss'), v(11_000, 'network', 'delayed', 0.85)],
    'all',
  );
  assert.equal(c.domainOk, true);
  assert.equal(c.causeOk, false);
  assert.equal(c.confidentWrong, true, 'wrong cause with confidence 0.85');
});

test('healthy baseline: correct only when there is no incident at all', () => {
  assert.equal(checkVerdicts(truth('none', 'none'), [], 'all').ok, true);
  const c = checkVerdicts(truth('none', 'none'), [v(50_000, 'unknown', 'unknown', 0.2)], 'all');
  assert.equal(c.ok, false);
  assert.equal(c.confidentWrong, false);
});

test('no incident when one was expected is wrong but never "confident"', () => {
  const c = checkVerdicts(truth('delayed', 'network'), [], 'capture');
  assert.equal(c.ok, false);
  assert.equal(c.got, undefined);
  assert.equal(c.confidentWrong, false);
});

test('escapeHtml escapes the five HTML metacharacters', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});
