// Both sans-IO machines wired together through a simulated network on a fake clock (the h11/quinn style harness):
// hours of protocol time run in milliseconds, and the 4 s / 16 s timings are checked exactly, end to end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeNotification } from '../../src/protocol/codec.ts';
import { DesktopMachine, type DesktopOutput } from '../../src/protocol/desktop-machine.ts';
import { NotifsConnectionMachine, type NotifsOutput } from '../../src/protocol/notifs-machine.ts';
import { planResume, type StreamPosition } from '../../src/protocol/stream-position.ts';

interface Ev {
  at: number;
  n: number;
  fn: () => void;
}

class World {
  now = 0;
  private q: Ev[] = [];
  private n = 0;
  latency = 50;
  up = true; // desktop → Notifs delivers
  down = true; // Notifs → desktop delivers
  readonly d: DesktopMachine;
  s: NotifsConnectionMachine | undefined;
  sConn = 0;
  readonly epoch = 'E1';
  readonly stream: { type: string; data: unknown }[] = [];
  readonly delivered: StreamPosition[] = [];
  readonly states: { at: number; to: string; reason: string }[] = [];
  readonly serverCloses: { at: number; code: number }[] = [];
  desktopKeepalives = 0;

  constructor() {
    this.d = new DesktopMachine({ connectTimeoutMs: 5000 }, () => 0.5);
  }

  at(t: number, fn: () => void) {
    this.q.push({ at: t, n: this.n++, fn });
  }

  /** Discrete-event loop: network events and both machines' deadlines, in time order. Bounded. */
  run(until: number) {
    for (let guard = 0; guard < 5_000_000; guard++) {
      this.q.sort((a, b) => a.at - b.at || a.n - b.n);
      const tq = this.q.length ? this.q[0].at : Number.POSITIVE_INFINITY;
      const td = this.d.nextDeadline();
      const ts = this.s ? this.s.nextDeadline() : Number.POSITIVE_INFINITY;
      const t = Math.min(tq, td, ts);
      if (t > until) {
        this.now = until;
        return;
      }
      this.now = t;
      if (tq === t) this.q.shift()!.fn();
      else if (td === t) this.desk(this.d.tick(t));
      else this.serv(this.sConn, this.s!.tick(t));
    }
    assert.fail('simulation did not settle');
  }

  desk(out: DesktopOutput[]) {
    for (const o of out) {
      if (o.type === 'state') this.states.push({ at: this.now, to: o.to, reason: o.reason });
      if (o.type === 'notification' && o.position) this.delivered.push(o.position);
      if (o.type === 'connect') this.connect(o.conn, o.resumeFrom);
      if (o.type === 'send') {
        if (o.cls === 'keepalive') this.desktopKeepalives++;
        const conn = this.d.conn;
        if (this.up) this.at(this.now + this.latency, () => this.toServer(conn, o.text));
      }
      if (o.type === 'close-socket') {
        const conn = this.d.conn;
        this.at(this.now + this.latency, () => {
          if (this.sConn === conn) this.s?.markClosed();
        });
      }
    }
  }

  serv(conn: number, out: NotifsOutput[]) {
    for (const o of out) {
      if (o.type === 'send') this.toDesktop(conn, o.text);
      if (o.type === 'close') {
        this.serverCloses.push({ at: this.now, code: o.code });
        if (this.down)
          this.at(this.now + this.latency, () => this.desk(this.d.socketClosed(this.now, conn, o.code, '')));
      }
    }
  }

  toDesktop(conn: number, text: string) {
    if (this.down) this.at(this.now + this.latency, () => this.desk(this.d.receive(this.now, conn, text)));
  }

  toServer(conn: number, text: string) {
    if (this.sConn === conn && this.s && !this.s.closed) this.serv(conn, this.s.receive(this.now, text));
  }

  connect(conn: number, resumeFrom: StreamPosition | undefined) {
    // subscribe + socket open take one round trip; then Notifs sends the Welcome and any replay.
    this.at(this.now + 2 * this.latency, () => {
      if (!this.up || !this.down) return; // the attempt times out on the desktop side
      this.s?.markClosed();
      this.sConn = conn;
      this.s = new NotifsConnectionMachine(this.now);
      this.desk(this.d.socketOpen(this.now, conn));
      const plan = planResume(resumeFrom, { epoch: this.epoch, headSeq: this.stream.length, oldestSeq: 1 });
      this.serv(
        conn,
        this.s.welcome(this.now, {
          agentId: 'a',
          position: plan.start,
          ...(plan.result ? { resume: plan.result } : {}),
        }),
      );
      for (let seq = plan.replayFrom; seq <= this.stream.length; seq++) this.push(seq);
    });
  }

  push(seq: number) {
    const e = this.stream[seq - 1];
    this.toDesktop(this.sConn, encodeNotification(e.type, e.data, { epoch: this.epoch, seq }));
  }

  publish(type: string, data: unknown) {
    this.stream.push({ type, data });
    if (this.s && !this.s.closed) this.push(this.stream.length);
  }
}

function started() {
  const w = new World();
  w.desk(w.d.start(0));
  w.run(1000);
  assert.equal(w.d.state, 'connected');
  return w;
}

describe('two-party simulation on a fake clock', () => {
  test('one hour of steady state: no recovery, no drop, one desktop keepalive per 4 s', () => {
    const w = started();
    const k0 = w.desktopKeepalives;
    w.run(3_601_000);
    assert.deepEqual(
      w.states.map((s) => s.to),
      ['connecting', 'connected'],
    );
    assert.deepEqual(w.serverCloses, []);
    assert.equal(w.desktopKeepalives - k0, 900, 'answered from onmessage, the timer never doubles it');
  });

  test('Notifs → desktop black hole: the desktop recovers exactly 16 s after the last message it got', () => {
    const w = started();
    w.run(10_000);
    w.down = false;
    // The last server keepalive before the cut left Notifs at 8 000 + (welcome phase); find when it arrived.
    w.run(60_000);
    const rec = w.states.find((s) => s.to === 'recovering')!;
    assert.match(rec.reason, /silence/);
    // Server keepalives leave at 100 + 4000k (Welcome at 100) and arrive 50 ms later: the last one before the cut
    // arrived at 8 150, so silence is declared at exactly 24 150.
    assert.equal(rec.at, 24_150);
  });

  test('desktop → Notifs black hole: Notifs drops the desktop exactly 16 s after its last message', () => {
    const w = started();
    w.run(10_000);
    w.up = false;
    w.run(60_000);
    // Desktop keepalives answer server keepalives (arrive 8 150) and reach Notifs at 8 200: drop at 24 200.
    assert.deepEqual(w.serverCloses[0], { at: 24_200, code: 4000 });
    const rec = w.states.find((s) => s.to === 'recovering')!;
    assert.equal(rec.at, 24_250, 'the desktop learns it one latency later');
  });

  test('publishes during an outage are replayed exactly once, in order, after recovery', () => {
    const w = started();
    w.publish('N', 1);
    w.run(5_000);
    w.up = w.down = false;
    for (let i = 2; i <= 20; i++) w.publish('N', i);
    w.run(30_000);
    assert.equal(w.d.state, 'recovering');
    w.up = w.down = true;
    w.run(90_000);
    assert.equal(w.d.state, 'connected');
    assert.deepEqual(
      w.delivered.map((p) => p.seq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  test('an outage longer than the recovery timeout ends in lost, exactly 50 s after recovery began', () => {
    const w = started();
    w.run(10_000);
    w.up = w.down = false;
    w.run(200_000);
    const rec = w.states.find((s) => s.to === 'recovering')!;
    const lost = w.states.find((s) => s.to === 'lost')!;
    assert.equal(lost.at - rec.at, 50_000);
  });
});
