// The desktop client driver with fake socket, fetch, timer and clocks: what it records and how it reacts to a
// wall-clock jump, failed subscribes and refused tokens. No real time passes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DesktopClientCore } from '../../src/desktop/client-core.ts';
import { FlightRecorder, redactUrl } from '../../src/desktop/flight-recorder.ts';
import type { SocketLike, TickSource } from '../../src/desktop/socket-adapter.ts';
import { encodeKeepalive, encodeWelcome } from '../../src/protocol/codec.ts';
import { assertValidReport } from './report-schema.ts';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closed?: { code?: number; reason?: string };
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  constructor(readonly url: string) {}
  send(text: string) {
    this.sent.push(text);
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(text: string) {
    this.onmessage?.({ data: text });
  }
}

class ManualTimer implements TickSource {
  readonly kind = 'node' as const;
  onfire: (() => void) | null = null;
  armed: number | undefined;
  arm(d: number) {
    this.armed = d;
  }
  cancel() {
    this.armed = undefined;
  }
  dispose() {}
  fire() {
    this.armed = undefined;
    this.onfire?.();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(fetchImpl?: typeof fetch) {
  const clock = { mono: 1000, wall: 1_700_000_000_000 };
  const sockets: FakeSocket[] = [];
  const bodies: Record<string, unknown>[] = [];
  const timer = new ManualTimer();
  const c = new DesktopClientCore(
    { serverUrl: 'http://notifs.test/', agentId: 'a1', token: 'secret-token', random: () => 0, clientId: 'desk1' },
    {
      runtime: 'node',
      timer,
      socketFactory: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      fetch:
        fetchImpl ??
        (async (_url, init) => {
          bodies.push(JSON.parse(String(init?.body)));
          return new Response(
            JSON.stringify({
              webSocketUrl: `ws://notifs.test/v1/notification/subscription/s${bodies.length}`,
              subscriptionId: 'x',
            }),
          );
        }),
      mono: () => clock.mono,
      wall: () => clock.wall,
    },
  );
  return { c, clock, sockets, bodies, timer };
}

async function connect(env: ReturnType<typeof setup>) {
  env.c.start();
  await flush();
  const s = env.sockets.at(-1)!;
  s.open();
  s.receive(encodeWelcome({ agentId: 'a1', position: { epoch: 'E', seq: 0 } }));
  assert.equal(env.c.state, 'connected');
  return s;
}

test('connects with the WxCC subscribe body and records timer keepalives with drift', async () => {
  const env = setup();
  const s = await connect(env);
  assert.deepEqual(env.bodies[0], {
    force: true,
    isKeepAliveEnabled: true,
    clientType: 'LifelineDesktop',
    allowMultiLogin: false,
    clientId: 'desk1',
  });
  assert.equal(env.timer.armed, 4000);
  env.clock.mono += 4000;
  env.clock.wall += 4000;
  env.timer.fire();
  assert.deepEqual(s.sent, [encodeKeepalive()]);
  s.receive(encodeKeepalive());
  assert.equal(s.sent.length, 2, 'reply from onmessage');
  const r = env.c.errorReport();
  assertValidReport(r);
  const vias = r.entries.filter((e) => e.kind === 'sent').map((e) => (e as { via?: string }).via);
  assert.deepEqual(vias, ['node', 'onmessage']);
  const drift = r.entries.find((e) => e.kind === 'drift');
  assert.deepEqual(drift && { ...drift, t: 0, m: 0 }, {
    t: 0,
    m: 0,
    conn: 1,
    kind: 'drift',
    timer: 'node',
    expectedMs: 4000,
    actualMs: 4000,
    lateMs: 0,
    wallJumpMs: 0,
  });
  assert.equal(r.serverUrl, 'http://notifs.test/v1/notification/subscribe');
  assert.ok(!JSON.stringify(r).includes('secret-token'), 'the token never reaches the report');
});

test('a wall-clock jump (sleep) is detected and the desktop reconnects at once, resuming', async () => {
  const env = setup();
  const s = await connect(env);
  env.clock.mono += 4000;
  env.clock.wall += 4000 + 600_000; // ten minutes asleep: monotonic stood still
  env.timer.fire();
  assert.equal(s.closed?.code, 4010);
  const r = env.c.errorReport();
  assert.ok(r.entries.some((e) => e.kind === 'lifecycle' && e.what === 'sleep-detected'));
  const d = r.entries.find((e) => e.kind === 'drift');
  assert.equal(d?.kind === 'drift' && d.wallJumpMs, 600_000);
  assert.equal(env.c.state, 'recovering');
  await flush();
  assert.equal(env.bodies.length, 2, 'resubscribed without waiting');
  assert.deepEqual(env.bodies[1].resumeFrom, { epoch: 'E', seq: 0 });
});

test('failed subscribes are recorded with their stage; a refused token closes for good', async () => {
  let n = 0;
  const env = setup(async () => {
    n++;
    if (n === 1) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    return new Response('{"code":"unauthorized"}', { status: 401 });
  });
  env.c.start();
  await flush();
  assert.equal(env.c.state, 'recovering');
  const e1 = env.c.errorReport().entries.find((e) => e.kind === 'reconnect' && e.error);
  assert.equal(e1?.kind === 'reconnect' && e1.stage, 'tcp');
  // random() = 0 → the jittered delay is 0: the next attempt is due now.
  assert.equal(env.timer.armed, 0);
  env.timer.fire();
  await flush();
  assert.equal(env.c.state, 'closed');
  assert.equal(n, 2);
});

test('a socket closed by Notifs before the Welcome is a failed attempt (stage ws)', async () => {
  const env = setup();
  env.c.start();
  await flush();
  env.sockets[0].onclose?.({ code: 1006, reason: '', wasClean: false });
  const e = env.c.errorReport().entries.find((x) => x.kind === 'reconnect' && x.error);
  assert.equal(e?.kind === 'reconnect' && e.stage, 'ws');
  assert.equal(env.c.state, 'recovering');
});

test('flight recorder ring is bounded; totals survive truncation', () => {
  let t = 0;
  const r = new FlightRecorder(
    16,
    { wall: () => ++t, mono: () => t },
    {
      agentId: 'a',
      clientId: 'c',
      runtime: 'node',
      serverUrl: 'x',
      config: { keepaliveMs: 1, silenceMs: 2, recoveryMs: 3, keepaliveTimer: 'node' },
    },
  );
  for (let i = 0; i < 40; i++) r.record({ kind: 'sent', type: 'keepalive', size: 20 });
  const rep = r.report();
  assert.equal(rep.entries.length, 16);
  assert.equal(rep.dropped, 24);
  assert.equal(rep.totals.keepalivesSent, 40);
  assert.ok(rep.entries[0].t < rep.entries[15].t, 'oldest first');
});

test('redactUrl removes credentials', () => {
  assert.equal(redactUrl('wss://u:p@h/x?token=abc&a=1'), 'wss://[REDACTED]@h/x?token=[REDACTED]&a=1');
  assert.equal(redactUrl('not a url?access_token=zz'), 'not a url?access_token=[REDACTED]');
});
