import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeDesktopMessage,
  decodeServerMessage,
  encodeAck,
  encodeDesktopMessage,
  encodeKeepalive,
  encodeMultiLogin,
  encodeNotification,
  encodeWelcome,
} from '../../src/protocol/codec.ts';
import { seededRandom as rng } from '../helpers/fuzz.ts';

test('WxCC wire shapes', () => {
  assert.equal(encodeKeepalive(), '{"keepalive":"true"}');
  assert.deepEqual(decodeServerMessage('{"keepalive":"true"}'), { ok: true, msg: { kind: 'keepalive' } });
  assert.deepEqual(decodeDesktopMessage('{"keepalive":true}'), { ok: true, msg: { kind: 'keepalive' } });
  const w = decodeServerMessage('{"type":"Welcome","data":{"agentId":"agent-7"}}');
  assert.deepEqual(w, { ok: true, msg: { kind: 'welcome', data: { agentId: 'agent-7' } } });
  const ml = decodeServerMessage('{"type":"AGENT_MULTI_LOGIN","data":{}}');
  assert.equal(ml.ok && ml.msg.kind, 'multilogin');
});

test('round trips', () => {
  const n = decodeServerMessage(encodeNotification('AgentStateChange', { s: 'Idle' }, { epoch: 'e1', seq: 42 }));
  assert.deepEqual(n, {
    ok: true,
    msg: { kind: 'notification', type: 'AgentStateChange', data: { s: 'Idle' }, position: { epoch: 'e1', seq: 42 } },
  });
  const w = decodeServerMessage(
    encodeWelcome({
      agentId: 'a',
      position: { epoch: 'e', seq: 1 },
      resume: { requested: { epoch: 'e', seq: 0 }, recovered: true, replayed: 1 },
      ackedCseq: 3,
    }),
  );
  assert.ok(w.ok && w.msg.kind === 'welcome' && w.msg.data.resume?.replayed === 1 && w.msg.data.ackedCseq === 3);
  assert.deepEqual(decodeServerMessage(encodeAck(5)), { ok: true, msg: { kind: 'ack', cseq: 5 } });
  assert.deepEqual(decodeDesktopMessage(encodeDesktopMessage(9, [1])), {
    ok: true,
    msg: { kind: 'message', cseq: 9, data: [1] },
  });
  const m = decodeServerMessage(encodeMultiLogin('a'));
  assert.ok(m.ok && m.msg.kind === 'multilogin');
});

test('multi-login: sent in the SDK form (top-level AGENT_MULTI_LOGIN, app type in data); both forms decode', () => {
  assert.deepEqual(JSON.parse(encodeMultiLogin('a', 'r')), {
    type: 'AGENT_MULTI_LOGIN',
    data: { type: 'AgentMultiLoginCloseSession', agentId: 'a', reason: 'r' },
  });
  const sdkForm = decodeServerMessage(encodeMultiLogin('a'));
  assert.ok(sdkForm.ok && sdkForm.msg.kind === 'multilogin' && sdkForm.msg.type === 'AGENT_MULTI_LOGIN');
  assert.equal(
    sdkForm.ok && sdkForm.msg.kind === 'multilogin' && (sdkForm.msg.data as { type: string }).type,
    'AgentMultiLoginCloseSession',
  );
  const appForm = decodeServerMessage('{"type":"AgentMultiLoginCloseSession","data":{"agentId":"a"}}');
  assert.ok(appForm.ok && appForm.msg.kind === 'multilogin' && appForm.msg.type === 'AgentMultiLoginCloseSession');
});

test('clear errors', () => {
  const e = (r: ReturnType<typeof decodeServerMessage>) => (r.ok ? 'ok' : r.error.code);
  assert.equal(e(decodeServerMessage('')), 'bad-json');
  assert.equal(e(decodeServerMessage('null')), 'not-object');
  assert.equal(e(decodeServerMessage('{"type":"Welcome"}')), 'bad-field');
  assert.equal(e(decodeServerMessage('{"type":"X","seq":-1,"epoch":"e"}')), 'bad-field');
  assert.equal(e(decodeServerMessage('{"type":"X","seq":1}')), 'bad-field');
  assert.equal(e(decodeServerMessage('{"type":""}')), 'unknown-type');
  assert.equal(e(decodeServerMessage('x'.repeat(10), 5)), 'too-big');
});

const samples = [
  encodeKeepalive(),
  encodeWelcome({
    agentId: 'a',
    position: { epoch: 'e', seq: 1 },
    resume: { requested: { epoch: 'e', seq: 0 }, recovered: false, replayed: 0, missing: [] },
  }),
  encodeNotification('T', { a: [1, 2, { b: null }] }, { epoch: 'e', seq: 3 }),
  encodeAck(2),
  encodeMultiLogin('a'),
  encodeDesktopMessage(1, { z: 'ü' }),
];

function checkNoThrow(text: string) {
  for (const dec of [decodeServerMessage, decodeDesktopMessage]) {
    const r = dec(text);
    assert.equal(typeof r.ok, 'boolean');
    if (!r.ok) {
      assert.match(r.error.code, /^(too-big|bad-json|not-object|unknown-type|bad-field)$/);
      assert.ok(r.error.message.length > 0);
      assert.ok(r.error.closeCode >= 4400 && r.error.closeCode < 4500);
    }
  }
}

test('fuzz: truncation at every offset never throws', () => {
  for (const s of samples) for (let i = 0; i <= s.length; i++) checkNoThrow(s.slice(0, i));
});

test('fuzz: mutated and random input never throws (bounded)', () => {
  const r = rng(12345);
  const alphabet = '{}[]":,0123456789-.eE truefalsnulxyz\\u\u00e9\u{1f600}';
  const t0 = Date.now();
  for (let i = 0; i < 20000 && Date.now() - t0 < 5000; i++) {
    const base = samples[Math.floor(r() * samples.length)];
    const chars = [...base];
    const n = 1 + Math.floor(r() * 4);
    for (let k = 0; k < n; k++) {
      const at = Math.floor(r() * (chars.length + 1));
      const op = r();
      const c = alphabet[Math.floor(r() * alphabet.length)];
      if (op < 0.33) chars.splice(at, 1);
      else if (op < 0.66) chars.splice(at, 0, c);
      else chars[at] = c;
    }
    checkNoThrow(chars.join(''));
    let rand = '';
    const len = Math.floor(r() * 40);
    for (let k = 0; k < len; k++) rand += alphabet[Math.floor(r() * alphabet.length)];
    checkNoThrow(rand);
  }
});
