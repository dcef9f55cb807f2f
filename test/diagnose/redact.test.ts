import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactDeep, redactString } from '../../src/diagnose/redact.ts';

test('redacts Authorization, Cookie, Bearer, JWTs, token query params and JSON token fields', () => {
  const cases: [string, string][] = [
    ['Authorization: Bearer abc.def', 'Authorization: [REDACTED]'],
    ['cookie: a=b; c=d', 'cookie: [REDACTED]'],
    ['sent Bearer abcdef123', 'sent Bearer [REDACTED]'],
    [
      'wss://h/v1/notification/subscription/x?token=xyz&a=1',
      'wss://h/v1/notification/subscription/x?token=[REDACTED]&a=1',
    ],
    ['https://h/cb?access_token=abc#x', 'https://h/cb?access_token=[REDACTED]#x'],
    ['{"token":"secret","x":1}', '{"token":"[REDACTED]","x":1}'],
    ['{"accessToken": "secret"}', '{"accessToken": "[REDACTED]"}'],
    ['id eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln end', 'id [REDACTED] end'],
  ];
  for (const [input, want] of cases) assert.equal(redactString(input), want, input);
});

test('leaves ordinary text alone', () => {
  for (const s of ['{"keepalive":"true"}', 'no message from Notifs for 16 s', 'api.wxcc-us1.cisco.com'])
    assert.equal(redactString(s), s);
});

test('redactDeep walks objects and arrays without touching keys or numbers', () => {
  const out = redactDeep({ a: ['token=abc'], n: 5, token: 'Bearer x1' });
  assert.deepEqual(out, { a: ['token=[REDACTED]'], n: 5, token: 'Bearer [REDACTED]' });
});
