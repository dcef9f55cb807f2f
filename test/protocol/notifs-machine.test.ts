import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import { encodeDesktopMessage, encodeKeepalive } from '../../src/protocol/codec.ts';
import { NotifsConnectionMachine, type NotifsOutput, type SendOutput } from '../../src/protocol/notifs-machine.ts';

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

test('held keepalives (the stall switch): nothing else changes, a silent desktop is still dropped', () => {
  const m = new NotifsConnectionMachine(0);
  m.welcome(0, { agentId: 'a' });
  const k = m.tick(4000);
  assert.equal(sends(k).length, 1);
  assert.deepEqual(m.held(4000, k[0] as SendOutput), [], 'a held keepalive is just not sent');
  assert.equal(m.nextDeadline(), 8000);
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

// ---- the whole server role: accepted → welcoming → live → closed, store answers as inputs ----

const session = { agentId: 'a', subscriptionId: 's1' };
const info = (headSeq: number, oldestSeq = 1, epoch = 'e') => ({ epoch, headSeq, oldestSeq });
const entry = (seq: number) => ({ seq, type: 'N', data: seq });
const seqs = (o: NotifsOutput[]) => o.flatMap((x) => (x.type === 'send' && x.cls === 'notification' ? [x.seq] : []));

/** A machine that is live at `head` with nothing to replay and its first read answered empty. */
function live(head = 0, resumeFrom?: { epoch: string; seq: number }) {
  const m = new NotifsConnectionMachine(0, { replayBatch: 3 }, 0, {
    ...session,
    ...(resumeFrom ? { resumeFrom } : {}),
  });
  m.claimed(0, 0);
  m.streamInfo(0, info(head));
  m.entries(0, 'e', []);
  return m;
}

test('role: nothing happens before claimed; claimed asks for the stream info; the Welcome carries the timers', () => {
  const m = new NotifsConnectionMachine(0, { keepaliveMs: 4000, silenceMs: 16000 }, 0, session);
  assert.equal(m.state, 'accepted');
  assert.deepEqual(m.receive(1, encodeKeepalive()), [], 'input before the claim is ignored');
  assert.deepEqual(m.streamInfo(1, info(0)), [], 'no Welcome before the claim');
  assert.deepEqual(m.claimed(5, 3), [{ type: 'info' }]);
  assert.equal(m.state, 'welcoming');
  assert.equal(m.nextDeadline(), Number.POSITIVE_INFINITY, 'no timers until the Welcome');
  const out = m.streamInfo(10, info(7));
  assert.equal(m.state, 'live');
  assert.deepEqual(JSON.parse((out[0] as SendOutput).text), {
    type: 'Welcome',
    data: {
      agentId: 'a',
      subscriptionId: 's1',
      position: { epoch: 'e', seq: 7 },
      keepaliveMs: 4000,
      silenceMs: 16000,
      ackedCseq: 3,
    },
  });
  assert.deepEqual(out.slice(1), [{ type: 'read', fromSeq: 8, limit: 500 }], 'no resume asked: no resumed event');
  assert.equal(m.nextDeadline(), 10 + 4000);
});

test('role: a resume replays in batches, each read only after the previous batch is written', () => {
  const m = new NotifsConnectionMachine(0, { replayBatch: 3 }, 0, { ...session, resumeFrom: { epoch: 'e', seq: 2 } });
  m.claimed(0, 0);
  const w = m.streamInfo(0, info(7));
  const resumed = w.find((o) => o.type === 'resumed');
  assert.deepEqual(resumed, {
    type: 'resumed',
    result: { requested: { epoch: 'e', seq: 2 }, recovered: true, replayed: 5 },
    implicit: false,
  });
  assert.deepEqual(w.at(-1), { type: 'read', fromSeq: 3, limit: 3 });
  const b1 = m.entries(1, 'e', [entry(3), entry(4), entry(5)]);
  assert.deepEqual(seqs(b1), [3, 4, 5]);
  assert.deepEqual(
    b1.map((o) => (o as SendOutput).flush),
    [undefined, undefined, true],
    'only the last frame asks for written()',
  );
  assert.equal((b1[0] as SendOutput).text, '{"type":"N","data":3,"epoch":"e","seq":3}');
  assert.deepEqual(m.appended(1, 'e', entry(8)), [], 'a publish during the write waits for the pump');
  assert.deepEqual(m.written(2), [{ type: 'read', fromSeq: 6, limit: 3 }]);
  assert.deepEqual(seqs(m.entries(3, 'e', [entry(6), entry(7), entry(8)])), [6, 7, 8]);
  assert.deepEqual(m.written(4), [{ type: 'read', fromSeq: 9, limit: 3 }]);
  assert.deepEqual(m.entries(5, 'e', []), [], 'caught up: the pump stops');
  assert.equal(m.sentSeq, 8);
});

test('role: a caught-up socket gets a publish directly; one behind or mid-read goes through the pump', () => {
  const m = live(4);
  assert.deepEqual(seqs(m.appended(1, 'e', entry(5))), [5], 'fast path');
  assert.equal(m.sentSeq, 5);
  assert.deepEqual(m.appended(2, 'e', entry(7)), [{ type: 'read', fromSeq: 6, limit: 3 }], 'a hole: read it');
  assert.deepEqual(m.appended(3, 'e', entry(8)), [], 'read in flight: remembered, not repeated');
  assert.deepEqual(seqs(m.entries(4, 'e', [entry(5), entry(6), entry(7)])), [6, 7], 'no repeat of 5');
  assert.deepEqual(m.written(5), [{ type: 'read', fromSeq: 8, limit: 3 }]);
  assert.deepEqual(m.notice(6, 7), [], 'a store notice at or below sentSeq is nothing to do');
});

test('role: an empty read with a publish seen meanwhile reads again; a notice without seq always reads', () => {
  const m = live(0);
  assert.deepEqual(m.notice(1), [{ type: 'read', fromSeq: 1, limit: 3 }]);
  m.notice(2, 1);
  assert.deepEqual(m.entries(3, 'e', []), [{ type: 'read', fromSeq: 1, limit: 3 }]);
  assert.deepEqual(m.entries(4, 'e', []), []);
});

test('role: epoch change under a live socket closes 4001; falling behind the backlog closes 4008', () => {
  const m = live(2);
  m.notice(1, 5);
  assert.deepEqual(m.entries(2, 'other', [entry(1)]), [
    { type: 'close', code: CLOSE.SERVER_SHUTDOWN, reason: 'stream epoch changed' },
  ]);
  assert.equal(m.state, 'closed');
  const b = live(2);
  b.notice(1, 9);
  assert.deepEqual(b.entries(2, 'e', [entry(6)]), [
    { type: 'behind-backlog', sentSeq: 2, next: 6 },
    { type: 'close', code: CLOSE.OVERLOADED, reason: 'fell behind the retained backlog; resume' },
  ]);
  assert.deepEqual(b.notice(3, 10), [], 'closed: no more reads');
});

test('role: a held Welcome is prepared again from fresh info once writable', () => {
  const m = new NotifsConnectionMachine(0, {}, 0, { ...session, resumeFrom: { epoch: 'e', seq: 0 } });
  m.claimed(0, 0);
  const w = m.streamInfo(0, info(0));
  assert.deepEqual(m.held(1, w[0] as SendOutput), []);
  assert.equal(m.state, 'welcoming');
  assert.equal(m.nextDeadline(), Number.POSITIVE_INFINITY, 'no keepalives or silence drop while not welcomed');
  assert.deepEqual(m.appended(2, 'e', entry(1)), [], 'nothing flows before the Welcome');
  assert.deepEqual(m.writable(3), [{ type: 'info' }]);
  const again = m.streamInfo(20000, info(12, 8));
  const welcome = JSON.parse((again[0] as SendOutput).text);
  assert.deepEqual(welcome.data.resume, {
    requested: { epoch: 'e', seq: 0 },
    recovered: false,
    replayed: 5,
    missing: [{ reason: 'trimmed', epoch: 'e', fromSeq: 1, toSeq: 7 }],
  });
  assert.deepEqual(again.at(-1), { type: 'read', fromSeq: 8, limit: 500 });
  assert.equal(m.nextDeadline(), 24000);
});

test('role: held notifications rewind sentSeq and are read again from the store once writable', () => {
  const m = live(0);
  const n1 = m.appended(1, 'e', entry(1));
  assert.deepEqual(m.held(1, n1[0] as SendOutput), []);
  assert.equal(m.sentSeq, 0);
  assert.deepEqual(m.appended(2, 'e', entry(2)), [], 'holding: no fast path');
  assert.deepEqual(m.notice(3, 2), [], 'holding: no reads');
  assert.deepEqual(m.writable(4), [{ type: 'read', fromSeq: 1, limit: 3 }]);
  assert.deepEqual(seqs(m.entries(5, 'e', [entry(1), entry(2)])), [1, 2]);
});

test('role: the driver may close for its own reasons, once', () => {
  const m = live(0);
  assert.deepEqual(m.close(CLOSE.MULTI_LOGIN, 'multi-login'), [
    { type: 'close', code: CLOSE.MULTI_LOGIN, reason: 'multi-login' },
  ]);
  assert.deepEqual(m.close(CLOSE.SERVER_SHUTDOWN, 'again'), []);
  assert.deepEqual(m.tick(1e9), []);
  assert.deepEqual(m.written(1), []);
});

// ---- clients that cannot resume (no clientId, no resumeFrom): the delivered position is tracked ----

const tracked = { agentId: 'a', subscriptionId: 's9', trackDelivered: true };
const marks = (o: NotifsOutput[]) => o.flatMap((x) => (x.type === 'mark' ? [x.position] : []));

test('tracked: the Welcome position is marked; keepalive ticks mark when it moved or the refresh is due', () => {
  const m = new NotifsConnectionMachine(0, { markRefreshMs: 20000 }, 0, tracked);
  m.claimed(0, 0);
  assert.deepEqual(marks(m.streamInfo(0, info(3))), [{ epoch: 'e', seq: 3 }]);
  m.entries(0, 'e', []);
  assert.deepEqual(marks(m.tick(4000)), [], 'nothing moved, refresh not due');
  m.appended(5000, 'e', entry(4));
  assert.deepEqual(marks(m.tick(8000)), [{ epoch: 'e', seq: 4 }], 'moved: marked at the next keepalive');
  m.receive(10000, encodeKeepalive());
  m.tick(12000);
  m.receive(14000, encodeKeepalive());
  m.tick(16000);
  m.receive(18000, encodeKeepalive());
  m.tick(20000);
  m.receive(22000, encodeKeepalive());
  assert.deepEqual(marks(m.tick(28000)), [{ epoch: 'e', seq: 4 }], 'refreshed 20 s after the last mark');
  m.markClosed();
  assert.deepEqual(m.lastMark(30000), [{ type: 'mark', position: { epoch: 'e', seq: 4 } }], 'a final mark');
  assert.deepEqual(m.lastMark(30001), [], 'once');
});

test('tracked: a fresh subscribe resumes from the delivered position; complete → replay, no notice', () => {
  const m = new NotifsConnectionMachine(0, {}, 0, tracked);
  m.claimed(0, 0, { epoch: 'e', seq: 2 });
  const out = m.streamInfo(0, info(5));
  const welcome = JSON.parse((out[0] as SendOutput).text);
  assert.deepEqual(welcome.data.resume, { requested: { epoch: 'e', seq: 2 }, recovered: true, replayed: 3 });
  assert.deepEqual(
    out.find((o) => o.type === 'resumed'),
    {
      type: 'resumed',
      result: { requested: { epoch: 'e', seq: 2 }, recovered: true, replayed: 3 },
      implicit: true,
    },
  );
  assert.equal(sends(out).length, 1, 'only the Welcome: nothing to report');
  assert.deepEqual(out.at(-1), { type: 'read', fromSeq: 3, limit: 500 });
});

test('tracked: what cannot be replayed is said in a notification the SDK passes to the app (recovered:false)', () => {
  const m = new NotifsConnectionMachine(0, {}, 0, tracked);
  m.claimed(0, 0, { epoch: 'old', seq: 7 });
  const out = m.streamInfo(0, info(2));
  const notice = JSON.parse((sends(out)[1] as SendOutput).text);
  assert.deepEqual(notice, {
    type: 'LifelineStreamRecovery',
    data: {
      type: 'LifelineStreamRecovery',
      requested: { epoch: 'old', seq: 7 },
      recovered: false,
      replayed: 2,
      missing: [{ reason: 'epoch-changed', epoch: 'old', fromSeq: 8 }],
    },
  });
});

test('not tracked, or an explicit resumeFrom: the delivered position is ignored and never marked', () => {
  const plainM = new NotifsConnectionMachine(0, {}, 0, session);
  plainM.claimed(0, 0, { epoch: 'e', seq: 2 });
  const o1 = plainM.streamInfo(0, info(5));
  assert.equal(JSON.parse((o1[0] as SendOutput).text).data.resume, undefined);
  assert.deepEqual(marks(o1), []);
  assert.deepEqual(plainM.lastMark(1), []);
  const explicit = new NotifsConnectionMachine(0, {}, 0, { ...tracked, resumeFrom: { epoch: 'e', seq: 4 } });
  explicit.claimed(0, 0, { epoch: 'e', seq: 2 });
  const o2 = explicit.streamInfo(0, info(5));
  assert.deepEqual(JSON.parse((o2[0] as SendOutput).text).data.resume.requested, { epoch: 'e', seq: 4 });
});
