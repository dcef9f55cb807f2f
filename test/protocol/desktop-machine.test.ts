import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import {
  encodeAck,
  encodeKeepalive,
  encodeMultiLogin,
  encodeNotification,
  encodeWelcome,
} from '../../src/protocol/codec.ts';
import { DesktopMachine, type DesktopOutput } from '../../src/protocol/desktop-machine.ts';

const E = 'ep1';
const welcome = (seq = 0, extra: Record<string, unknown> = {}) =>
  encodeWelcome({ agentId: 'a1', position: { epoch: E, seq }, ...extra });

/** Machine already connected at t=0 (Welcome received at 0). random=0.5 for predictable jitter. */
function connected(cfg = {}) {
  const m = new DesktopMachine(cfg, () => 0.5);
  const o1 = m.start(0);
  assert.equal(o1[1].type, 'connect');
  m.socketOpen(0, 1);
  const o2 = m.receive(0, 1, welcome());
  assert.ok(o2.some((o) => o.type === 'state' && o.to === 'connected'));
  return m;
}
const of = <T extends DesktopOutput['type']>(out: DesktopOutput[], t: T) =>
  out.filter((o): o is Extract<DesktopOutput, { type: T }> => o.type === t);
const states = (out: DesktopOutput[]) => of(out, 'state').map((s) => s.to);

describe('desktop machine: timers', () => {
  test('timer keepalive exactly every 4 s, silence exactly at 16 s', () => {
    const m = connected();
    assert.equal(m.nextDeadline(), 4000);
    assert.deepEqual(m.tick(3999), []);
    const k = m.tick(4000);
    assert.equal(of(k, 'send')[0].via, 'timer');
    assert.equal(of(k, 'send')[0].text, '{"keepalive":"true"}');
    assert.equal(m.nextDeadline(), 8000);
    assert.equal(of(m.tick(8000), 'send').length, 1);
    assert.equal(of(m.tick(12000), 'send').length, 1);
    assert.equal(m.nextDeadline(), 16000);
    assert.deepEqual(states(m.tick(15999)), []);
    const s = m.tick(16000);
    assert.deepEqual(states(s), ['recovering']);
    assert.equal(of(s, 'close-socket')[0].code, CLOSE.SILENCE_TIMEOUT);
    assert.equal(of(s, 'send').length, 0, 'no keepalive once silent');
  });

  test('any message from Notifs resets the silence timer', () => {
    const m = connected();
    m.receive(10000, 1, encodeNotification('X', {}, { epoch: E, seq: 1 }));
    assert.deepEqual(states(m.tick(16000)), []);
    assert.deepEqual(states(m.tick(25999)), []);
    assert.deepEqual(states(m.tick(26000)), ['recovering']);
  });

  test('a Notifs keepalive is answered from onmessage and pushes the timer out', () => {
    const m = connected();
    const r = m.receive(2500, 1, encodeKeepalive());
    assert.equal(of(r, 'send')[0].via, 'onmessage');
    assert.equal(m.nextDeadline(), 6500);
    assert.equal(of(m.tick(4000), 'send').length, 0);
    assert.equal(of(m.tick(6500), 'send')[0].via, 'timer');
  });

  test('paused keepalives: neither path sends, silence still detected', () => {
    const m = connected();
    m.pauseKeepalive(true);
    assert.equal(of(m.receive(1000, 1, encodeKeepalive()), 'send').length, 0);
    assert.equal(of(m.tick(5000), 'send').length, 0);
    m.pauseKeepalive(false);
    assert.equal(of(m.tick(9000), 'send').length, 1);
  });

  test('recovery: full-jitter reconnect, lost exactly at the recovery timeout', () => {
    const m = connected({ recoveryMs: 50000 });
    const s = m.tick(16000);
    const sched = of(s, 'reconnect-scheduled')[0];
    assert.deepEqual(
      sched,
      { type: 'reconnect-scheduled', attempt: 1, delayMs: 500 },
      'first reconnect is jittered too',
    );
    assert.equal(m.nextDeadline(), 16500);
    const c = m.tick(16500);
    assert.equal(of(c, 'connect')[0].conn, 2);
    assert.deepEqual(of(c, 'connect')[0].resumeFrom, { epoch: E, seq: 0 });
    // attempt fails: next window doubles (1000 → 2000 ms window, random 0.5 → 1000)
    const f = m.connectFailed(17000, 2, 'ECONNREFUSED');
    assert.deepEqual(of(f, 'reconnect-scheduled')[0], { type: 'reconnect-scheduled', attempt: 2, delayMs: 1000 });
    // stale events of the failed connection are ignored
    assert.deepEqual(m.receive(17001, 1, welcome()), []);
    let t = 18000;
    for (let i = 0; i < 100 && m.state === 'recovering'; i++) {
      const d = m.nextDeadline();
      assert.ok(d <= 66000, `deadline ${d} within recovery window`);
      t = d;
      const o = m.tick(t);
      const conn = of(o, 'connect')[0];
      if (conn) m.connectFailed(t, conn.conn, 'refused');
    }
    assert.equal(m.state, 'lost');
    assert.equal(t, 66000, 'lost exactly 50 s after recovery began');
    assert.equal(m.nextDeadline(), Number.POSITIVE_INFINITY);
  });

  test('backoff windows are capped', () => {
    const m = connected({ backoff: { baseMs: 1000, capMs: 5000 }, recoveryMs: 1e9 });
    m.tick(16000);
    const delays: number[] = [];
    let t = 16000;
    for (let i = 0; i < 8; i++) {
      t = m.nextDeadline();
      const o = m.tick(t);
      const c = of(o, 'connect')[0];
      const f = m.connectFailed(t, c.conn, 'x');
      delays.push(of(f, 'reconnect-scheduled')[0].delayMs);
    }
    assert.deepEqual(delays, [1000, 2000, 2500, 2500, 2500, 2500, 2500, 2500]);
  });

  test('connect timeout: no Welcome within connectTimeoutMs fails the attempt', () => {
    const m = new DesktopMachine({ connectTimeoutMs: 3000 }, () => 0);
    m.start(0);
    m.socketOpen(10, 1);
    assert.equal(m.nextDeadline(), 3000);
    const o = m.tick(3000);
    assert.equal(of(o, 'close-socket')[0].code, CLOSE.CONNECT_TIMEOUT);
    assert.deepEqual(states(o), ['recovering']);
    assert.equal(of(o, 'reconnect-scheduled')[0].delayMs, 0);
  });
});

describe('desktop machine: transitions', () => {
  test('idle → connecting → connected (welcome) → recovering (socket closed) → connected (recovered)', () => {
    const m = new DesktopMachine({}, () => 0);
    assert.equal(m.state, 'idle');
    assert.deepEqual(states(m.start(0)), ['connecting']);
    assert.deepEqual(m.start(1), [], 'start twice is a no-op');
    m.socketOpen(5, 1);
    assert.equal(m.state, 'connecting', 'socket open is not enough: the Welcome proves Notifs');
    const w = m.receive(6, 1, welcome(3));
    assert.equal(of(w, 'state')[0].reason, 'welcome');
    assert.deepEqual(m.position, { epoch: E, seq: 3 });
    const c = m.socketClosed(100, 1, 1006, '');
    assert.deepEqual(states(c), ['recovering']);
    assert.match(of(c, 'state')[0].reason, /abnormal \(1006\)/);
    const a = m.tick(100);
    assert.equal(of(a, 'connect')[0].conn, 2);
    const r = m.receive(
      150,
      2,
      welcome(3, { resume: { requested: { epoch: E, seq: 3 }, recovered: true, replayed: 0 } }),
    );
    assert.equal(of(r, 'state')[0].reason, 'recovered');
    assert.equal(of(r, 'resume')[0].result.recovered, true);
  });

  test('first connect failing enters recovering', () => {
    const m = new DesktopMachine({}, () => 0.25);
    m.start(0);
    const f = m.connectFailed(20, 1, 'ENOTFOUND');
    assert.deepEqual(states(f), ['recovering']);
    assert.equal(of(f, 'reconnect-scheduled')[0].delayMs, 250);
  });

  test('close codes that forbid reconnecting end in closed', () => {
    for (const code of [CLOSE.MULTI_LOGIN, CLOSE.UNAUTHORIZED, CLOSE.BAD_JSON, CLOSE.UNKNOWN_TYPE, 1009]) {
      const m = connected();
      const o = m.socketClosed(10, 1, code, 'x');
      assert.deepEqual(states(o), ['closed'], `code ${code}`);
      assert.equal(m.nextDeadline(), Number.POSITIVE_INFINITY);
    }
    for (const code of [1000, 1001, 1006, 1011, CLOSE.SILENCE_TIMEOUT, CLOSE.SERVER_SHUTDOWN, 4002, 4008]) {
      const m = connected();
      assert.deepEqual(states(m.socketClosed(10, 1, code, '')), ['recovering'], `code ${code}`);
    }
  });

  test('multi-login message closes without reconnecting', () => {
    const m = connected();
    const o = m.receive(50, 1, encodeMultiLogin('a1'));
    assert.deepEqual(states(o), ['closed']);
    assert.equal(of(o, 'close-socket').length, 1);
    assert.deepEqual(m.tick(100000), []);
    assert.deepEqual(m.socketClosed(60, 1, 4409, ''), [], 'the close that follows is not a new event');
  });

  test('the older multi-login form (top-level AgentMultiLoginCloseSession) stops the desktop too', () => {
    const m = connected();
    const o = m.receive(50, 1, '{"type":"AgentMultiLoginCloseSession","data":{"agentId":"a1"}}');
    assert.deepEqual(states(o), ['closed']);
    assert.deepEqual(m.tick(100000), []);
  });

  test('user close from any state', () => {
    const m = connected();
    const o = m.close(5);
    assert.deepEqual(states(o), ['closed']);
    assert.equal(of(o, 'close-socket')[0].code, 1000);
    assert.deepEqual(m.close(6), []);
  });

  test('socket closed before the Welcome: connecting → recovering, and a retry while recovering', () => {
    const m = new DesktopMachine({}, () => 0);
    m.start(0);
    m.socketOpen(1, 1);
    assert.deepEqual(states(m.socketClosed(2, 1, 1006, '')), ['recovering']);
    const c = m.tick(m.nextDeadline());
    m.socketOpen(3, of(c, 'connect')[0].conn);
    const f = m.socketClosed(4, 2, CLOSE.SUBSCRIPTION_EXPIRED, '');
    assert.deepEqual(states(f), [], 'still recovering');
    assert.equal(of(f, 'reconnect-scheduled')[0].attempt, 2);
  });

  test('user close from every state ends in closed with nothing pending', () => {
    const make: Record<string, () => DesktopMachine> = {
      idle: () => new DesktopMachine(),
      connecting: () => {
        const m = new DesktopMachine();
        m.start(0);
        return m;
      },
      connected: () => connected(),
      recovering: () => {
        const m = connected();
        m.tick(16000);
        return m;
      },
      lost: () => {
        const m = connected({ recoveryMs: 10 });
        m.tick(16000);
        m.tick(16010);
        return m;
      },
    };
    for (const [from, mk] of Object.entries(make)) {
      const m = mk();
      assert.equal(m.state, from);
      const o = m.close(20000);
      assert.deepEqual(states(o), ['closed'], from);
      assert.equal(m.nextDeadline(), Number.POSITIVE_INFINITY);
      assert.deepEqual(m.tick(1e9), []);
    }
  });

  test('wake (sleep detected) reconnects at once', () => {
    const m = connected();
    const o = m.wake(1000);
    assert.equal(of(o, 'close-socket')[0].code, CLOSE.SLEEP_DETECTED);
    assert.deepEqual(states(o), ['recovering']);
    assert.equal(of(o, 'connect')[0].conn, 2);
  });

  test('lost → reconnectNow → recovering', () => {
    const m = connected({ recoveryMs: 1000 });
    m.tick(16000);
    m.tick(16000 + 500);
    m.connectFailed(16600, 2, 'x');
    m.tick(17000);
    assert.equal(m.state, 'lost');
    const o = m.reconnectNow(20000);
    assert.deepEqual(states(o), ['recovering']);
    assert.equal(of(o, 'connect').length, 1);
  });
});

describe('desktop machine: stream positions', () => {
  test('dedupe and in-order delivery', () => {
    const m = connected();
    const seen: number[] = [];
    for (const s of [1, 2, 2, 1, 3]) {
      const o = m.receive(1, 1, encodeNotification('N', { s }, { epoch: E, seq: s }));
      for (const n of of(o, 'notification')) seen.push(n.position!.seq);
    }
    assert.deepEqual(seen, [1, 2, 3]);
  });

  test('a skipped seq or a new epoch is reported as a gap, never silent', () => {
    const m = connected();
    const g = m.receive(1, 1, encodeNotification('N', {}, { epoch: E, seq: 3 }));
    assert.deepEqual(of(g, 'gap')[0].missing, { reason: 'skipped', epoch: E, fromSeq: 1, toSeq: 2 });
    const e = m.receive(2, 1, encodeNotification('N', {}, { epoch: 'ep2', seq: 2 }));
    assert.deepEqual(
      of(e, 'gap').map((x) => x.missing.reason),
      ['epoch-changed', 'skipped'],
    );
    assert.equal(of(e, 'notification').length, 1);
  });

  test('resume unanswered by the server is reported as not recovered', () => {
    const m = connected();
    m.socketClosed(10, 1, 1006, '');
    const c = m.tick(m.nextDeadline());
    assert.deepEqual(of(c, 'connect')[0].resumeFrom, { epoch: E, seq: 0 });
    const r = m.receive(20, 2, encodeWelcome({ agentId: 'a1' }));
    const res = of(r, 'resume')[0].result;
    assert.equal(res.recovered, false);
    assert.equal(res.missing![0].reason, 'not-supported');
  });

  test('notifications without positions (WxCC) are delivered as they come', () => {
    const m = connected();
    const o = m.receive(1, 1, '{"type":"AgentStateChange","data":{"x":1}}');
    assert.equal(of(o, 'notification')[0].notifType, 'AgentStateChange');
  });

  test('a notification before the Welcome is not delivered (its position is unknown yet)', () => {
    const m = new DesktopMachine({}, () => 0);
    m.start(0);
    m.socketOpen(1, 1);
    const o = m.receive(2, 1, encodeNotification('N', {}, { epoch: E, seq: 1 }));
    assert.equal(of(o, 'notification').length, 0);
    assert.match(of(o, 'protocol-error')[0].error.message, /before the Welcome/);
  });

  test('an undecodable message is life and a protocol error, not a crash', () => {
    const m = connected();
    const o = m.receive(15000, 1, '{not json');
    assert.equal(of(o, 'protocol-error')[0].error.code, 'bad-json');
    assert.deepEqual(states(m.tick(16000)), []);
  });
});

describe('desktop machine: acknowledged desktop messages', () => {
  test('sent when connected, buffered while recovering, resent after Welcome minus acked', () => {
    const m = connected();
    const a = m.send(1, { n: 1 });
    assert.equal(a.cseq, 1);
    assert.equal(of(a.out, 'send')[0].text, '{"type":"DesktopMessage","cseq":1,"data":{"n":1}}');
    m.send(2, { n: 2 });
    m.receive(3, 1, encodeAck(1));
    assert.equal(m.pending, 1);
    m.socketClosed(4, 1, 1006, '');
    const b = m.send(5, { n: 3 });
    assert.equal(of(b.out, 'send').length, 0, 'buffered while recovering');
    assert.equal(of(m.tick(m.nextDeadline()), 'connect')[0].conn, 2);
    const w = m.receive(600, 2, welcome(0, { ackedCseq: 2 }));
    assert.deepEqual(
      of(w, 'send').map((s) => s.cseq),
      [3],
      'cseq 2 was received by Notifs (ackedCseq) so only 3 is resent',
    );
    assert.equal(m.pending, 1);
  });

  test('outbox is bounded', () => {
    const m = new DesktopMachine({ maxOutbox: 2 });
    m.send(0, 1);
    m.send(0, 2);
    assert.throws(() => m.send(0, 3), RangeError);
  });
});
