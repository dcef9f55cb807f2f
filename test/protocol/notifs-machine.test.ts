import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import { encodeDesktopMessage, encodeKeepalive } from '../../src/protocol/codec.ts';
import { NotifsConnectionMachine, type NotifsOutput } from '../../src/protocol/notifs-machine.ts';

const sends = (o: NotifsOutput[]) => o.filter((x) => x.type === 'send');

test('Welcome first, with the acked cseq of this desktop', () => {
  const m = new NotifsConnectionMachine(0, {}, 7);
  assert.deepEqual(m.tick(100000), [], 'nothing before the Welcome');
  const w = m.welcome(0, { agentId: 'a', position: { epoch: 'e', seq: 4 } });
  assert.equal(
    (w[0] as { text: string }).text,
    '{"type":"Welcome","data":{"agentId":"a","position":{"epoch":"e","seq":4},"ackedCseq":7}}',
  );
  assert.deepEqual(m.welcome(1, { agentId: 'a' }), [], 'only one Welcome');
});

test('server keepalive exactly every 4 s regardless of traffic; silence drop exactly at 16 s', () => {
  const m = new NotifsConnectionMachine(0);
  m.welcome(0, { agentId: 'a' });
  assert.equal(m.nextDeadline(), 4000);
  assert.deepEqual(m.tick(3999), []);
  for (const t of [4000, 8000, 12000]) {
    const o = m.tick(t);
    assert.equal(sends(o).length, 1, `keepalive at ${t}`);
    assert.equal((o[0] as { text: string }).text, encodeKeepalive());
  }
  assert.equal(m.nextDeadline(), 16000);
  const c = m.tick(16000);
  assert.deepEqual(c, [{ type: 'close', code: CLOSE.SILENCE_TIMEOUT, reason: 'silence timeout' }]);
  assert.equal(m.nextDeadline(), Number.POSITIVE_INFINITY);
  assert.deepEqual(m.receive(16001, encodeKeepalive()), [], 'closed machines ignore input');
});

test('late ticks do not drift the keepalive cadence; a very late tick restarts it', () => {
  const m = new NotifsConnectionMachine(0, { silenceMs: 1e9 });
  m.welcome(0, { agentId: 'a' });
  assert.equal(sends(m.tick(4200)).length, 1);
  assert.equal(m.nextDeadline(), 8000);
  assert.equal(sends(m.tick(8100)).length, 1);
  assert.equal(m.nextDeadline(), 12000);
  assert.equal(sends(m.tick(30000)).length, 1, 'one keepalive, not a burst');
  assert.equal(m.nextDeadline(), 34000);
});

test('any desktop message resets the silence timer', () => {
  const m = new NotifsConnectionMachine(0);
  m.welcome(0, { agentId: 'a' });
  assert.deepEqual(m.receive(10000, encodeKeepalive()), [{ type: 'keepalive-received' }]);
  m.tick(12000);
  assert.equal(m.tick(16000).filter((o) => o.type === 'close').length, 0);
  assert.equal(m.nextDeadline(), 20000);
  m.receive(19000, encodeDesktopMessage(1, {}));
  assert.equal(m.tick(34999).filter((o) => o.type === 'close').length, 0);
  assert.equal(m.tick(35000)[0].type, 'close');
});

test('stalled: no keepalives, still drops a silent desktop', () => {
  const m = new NotifsConnectionMachine(0);
  m.welcome(0, { agentId: 'a' });
  m.stalled = true;
  assert.deepEqual(m.tick(4000), []);
  assert.equal(m.tick(16000)[0].type, 'close');
});

test('desktop messages: delivered once, acked every time', () => {
  const m = new NotifsConnectionMachine(0, {}, 1);
  m.welcome(0, { agentId: 'a' });
  assert.deepEqual(m.receive(1, encodeDesktopMessage(1, 'x')), [
    { type: 'duplicate-message', cseq: 1 },
    { type: 'send', text: '{"type":"Ack","data":{"cseq":1}}', cls: 'resume' },
  ]);
  const o = m.receive(2, encodeDesktopMessage(2, { y: 1 }));
  assert.deepEqual(o[0], { type: 'message', cseq: 2, data: { y: 1 } });
  assert.equal(m.lastCseq, 2);
});

test('bad input closes with a clear code', () => {
  const cases: [string, number][] = [
    ['nope', CLOSE.BAD_JSON],
    ['[1]', CLOSE.BAD_JSON],
    ['{"type":"Hack"}', CLOSE.UNKNOWN_TYPE],
    ['{"hello":1}', CLOSE.UNKNOWN_TYPE],
    ['{"type":"DesktopMessage","cseq":0}', CLOSE.UNKNOWN_TYPE],
    [`{"keepalive":"true","pad":"${'x'.repeat(70000)}"}`, CLOSE.MESSAGE_TOO_BIG],
  ];
  for (const [text, code] of cases) {
    const m = new NotifsConnectionMachine(0);
    m.welcome(0, { agentId: 'a' });
    const o = m.receive(1, text);
    const c = o.find((x) => x.type === 'close');
    assert.equal(c?.type === 'close' && c.code, code, text.slice(0, 40));
    assert.ok(m.closed);
  }
});
