// The one redactor (src/redact.ts): what it removes and what it must leave alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactDeep, redactString } from '../src/redact.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC03In0.c2lnbmF0dXJl';

test('redacts Authorization, Cookie, Bearer, JWTs, token query params, JSON token fields, passwords', () => {
  const cases: [string, string][] = [
    ['Authorization: Bearer abc.def', 'Authorization: [REDACTED]'],
    ['cookie: a=b; c=d', 'cookie: [REDACTED]'],
    ['Set-Cookie: sid=42; HttpOnly', 'Set-Cookie: [REDACTED]'],
    ['sent Bearer abcdef123', 'sent Bearer [REDACTED]'],
    [
      'wss://h/v1/notification/subscription/x?token=xyz&a=1',
      'wss://h/v1/notification/subscription/x?token=[REDACTED]&a=1',
    ],
    [`wss://h/x?token=abc&access_token=${JWT}&a=1`, 'wss://h/x?token=[REDACTED]&access_token=[REDACTED]&a=1'],
    ['https://h/cb?access_token=abc#x', 'https://h/cb?access_token=[REDACTED]#x'],
    ['https://h/cb#id_token=abc', 'https://h/cb#id_token=[REDACTED]'],
    ['wss://agent:hunter2@h/x', 'wss://[REDACTED]@h/x'],
    ['{"token":"secret","x":1}', '{"token":"[REDACTED]","x":1}'],
    ['{"accessToken": "secret"}', '{"accessToken": "[REDACTED]"}'],
    ['{\\"password\\":\\"hunter2\\"}', '{\\"password\\":\\"[REDACTED]\\"}'],
    ['login failed for alice password=hunter2 retry', 'login failed for alice password=[REDACTED] retry'],
    ['user alice, password: hunter2', 'user alice, password: [REDACTED]'],
    [`id ${JWT} end`, 'id [REDACTED] end'],
  ];
  for (const [input, want] of cases) assert.equal(redactString(input), want, input);
});

test('leaves ordinary text alone and is idempotent', () => {
  for (const s of [
    '{"keepalive":"true"}',
    'no message from Notifs for 16 s',
    'api.wxcc-us1.cisco.com',
    '10.0.0.1:50000-10.0.0.2:443',
    'KEYLOG_BAD_LENGTH: CLIENT_TRAFFIC_SECRET_0: secret is 31 bytes, expected 32 or 48',
    'wss://h/v1/notification/subscription/x?a=1',
  ])
    assert.equal(redactString(s), s);
  const once = redactString(`Authorization: Bearer ${JWT} ?token=a password=b`);
  assert.equal(redactString(once), once);
});

test('redactDeep: strings everywhere, whole values of credential keys and header pairs; keys and numbers kept', () => {
  const out = redactDeep({
    a: ['token=abc'],
    n: 5,
    token: 'Bearer x1',
    nested: { password: 'hunter2', cookie: 'sid=1', key: '10.0.0.1:1-10.0.0.2:443' },
    headers: [
      { name: 'Cookie', value: 'sid=1' },
      { name: 'Accept', value: 'text/html' },
    ],
  });
  assert.deepEqual(out, {
    a: ['token=[REDACTED]'],
    n: 5,
    token: REDACTED,
    nested: { password: REDACTED, cookie: REDACTED, key: '10.0.0.1:1-10.0.0.2:443' },
    headers: [
      { name: 'Cookie', value: REDACTED },
      { name: 'Accept', value: 'text/html' },
    ],
  });
});
