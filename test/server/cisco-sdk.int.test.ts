// Cisco's own Contact Center SDK (@webex/contact-center 3.12.0: WebSocketManager, ConnectionService and their
// keepalive Worker, bundled unmodified) as a real client, in headless Chromium on a second origin, against a real
// lifeline serve (one node, memory store). The SDK keeps its own 4 s keepalive and 5 s re-subscribe timers.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { MemoryStore } from '../../src/server/memory-store.ts';
import { type NotifsServer, startNotifsServer } from '../../src/server/notifs-server.ts';
import { deskLog, notifications, type SdkHarness, startDesk, startSdkHarness, untilLog } from './cisco-sdk/harness.ts';
import type { DeskEvent } from './cisco-sdk/page.ts';
import { until } from './helpers.ts';

// As the SDK's cc.js builds it with the plugin's defaults (config.js: allowMultiLogin false).
const SUBSCRIBE = { force: true, isKeepAliveEnabled: false, clientType: 'WebexCCSDK', allowMultiLogin: false };

let h: SdkHarness;
before(async () => {
  h = await startSdkHarness(); // fails, naming the npm command, when the SDK cannot be fetched
});
after(async () => {
  await h?.close();
});

function serve(extra: Parameters<typeof startNotifsServer>[0] = {}): Promise<NotifsServer> {
  return startNotifsServer({ keepaliveMs: 1000, corsOrigins: [h.origin], ...extra });
}

async function publish(s: NotifsServer, agentId: string, n: number): Promise<void> {
  const res = await fetch(`${s.url}/v1/notification/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agentId, type: 'AgentContact', trackingId: `t-${n}`, data: { type: 'AgentOffer', n } }),
  });
  assert.equal(res.status, 200, `publish ${n}: ${await res.text()}`);
}

const subscribes = (log: DeskEvent[]) => log.filter((e) => e.kind === 'subscribe').length;
const keepalives = (log: DeskEvent[]) =>
  log.filter((e) => e.kind === 'message' && (e.data as { keepalive?: string }).keepalive === 'true').length;
const ns = (log: DeskEvent[]) => notifications(log).map((m) => m.data.n);

test('the SDK subscribes across origins, gets the Welcome, keepalives both ways, notifications in order', async () => {
  const s = await serve();
  const page = await h.newPage();
  try {
    assert.notEqual(new URL(h.origin).port, String(s.port), 'the page is on another origin than the server');
    const token = s.tokenFor('sdk-1')!;
    const welcome = (await startDesk(page, { name: 'a', base: s.url, token, subscribeBody: SUBSCRIBE })) as {
      agentId: string;
    };
    assert.equal(welcome.agentId, 'sdk-1', "initWebSocket resolves with the Welcome's data");
    // The SDK sends one keepalive on open and one every 4 s from its Worker; Lifeline's come every 1 s here.
    const t0 = Date.now();
    await until(() => s.metrics().keepalivesReceived >= 2, 7000, 'two SDK keepalives at the server');
    await untilLog(page, 'a', (l) => keepalives(l) >= 3, 5000, "three of Lifeline's keepalives");
    for (let n = 1; n <= 4; n++) await publish(s, 'sdk-1', n);
    const log = await untilLog(page, 'a', (l) => ns(l).length >= 4, 5000, 'four notifications');
    assert.deepEqual(ns(log), [1, 2, 3, 4], 'in order, once each');
    const first = notifications(log)[0] as { type: string; trackingId?: string; data: { type: string } };
    assert.equal(first.type, 'AgentContact');
    assert.equal(first.data.type, 'AgentOffer');
    assert.equal(first.trackingId, 't-1', 'trackingId passes through');
    assert.equal(subscribes(log), 1, 'no re-subscribe on a healthy connection');
    assert.ok(
      !log.some((e) => e.kind === 'connectionLost' && (e.data as { isConnectionLost: boolean }).isConnectionLost),
    );
    console.log(`# SDK keepalives at server: ${s.metrics().keepalivesReceived} in ${Date.now() - t0} ms`);
  } finally {
    await page.context().close();
    await s.close();
  }
});

test('control: without --cors-origin the same subscribe is refused by the browser', async () => {
  const s = await startNotifsServer({ keepaliveMs: 1000 });
  const page = await h.newPage();
  try {
    const token = s.tokenFor('sdk-0')!;
    await assert.rejects(startDesk(page, { name: 'a', base: s.url, token, subscribeBody: SUBSCRIBE }));
    const log = await deskLog(page, 'a');
    assert.ok(
      log.some((e) => e.kind === 'subscribe-failed'),
      'the fetch itself failed (CORS)',
    );
    assert.equal(s.metrics().subscribeOk, 0, 'the preflight stopped the POST');
  } finally {
    await page.context().close();
    await s.close();
  }
});

test('multi-login: a second SDK desktop of the agent stops the first for good, the second stays up', async () => {
  const s = await serve();
  const [p1, p2] = [await h.newPage(), await h.newPage()];
  try {
    const token = s.tokenFor('sdk-2')!;
    await startDesk(p1, { name: 'a', base: s.url, token, subscribeBody: SUBSCRIBE });
    await startDesk(p2, { name: 'b', base: s.url, token, subscribeBody: SUBSCRIBE });
    const a = await untilLog(
      p1,
      'a',
      (l) => l.some((e) => e.kind === 'message' && (e.data as { type?: string }).type === 'AGENT_MULTI_LOGIN'),
      5000,
      'the top-level AGENT_MULTI_LOGIN',
    );
    const kickedAt = Date.now();
    const kick = a.find((e) => (e.data as { type?: string } | undefined)?.type === 'AGENT_MULTI_LOGIN')!.data as {
      data: { type: string };
    };
    assert.equal(kick.data.type, 'AgentMultiLoginCloseSession', "the application's type stays inside data");
    // The SDK would re-subscribe 5 s after a close it treats as a loss; watch for longer than that.
    const bBefore = keepalives(await deskLog(p2, 'b'));
    while (Date.now() - kickedAt < 9000) {
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(subscribes(await deskLog(p1, 'a')), 1, 'the displaced desktop never re-subscribes');
      assert.equal(s.connections('sdk-2'), 1, 'one socket for the agent');
    }
    const aLog = await deskLog(p1, 'a');
    assert.ok(!aLog.some((e) => e.kind === 'socketClose'), 'the SDK saw a deliberate close, not a loss');
    const bLog = await deskLog(p2, 'b');
    assert.equal(subscribes(bLog), 1);
    assert.ok(keepalives(bLog) - bBefore >= 6, `the second kept getting keepalives (${keepalives(bLog) - bBefore})`);
    await publish(s, 'sdk-2', 7);
    await untilLog(p2, 'b', (l) => ns(l).includes(7), 5000, 'notification 7 on the second desktop');
    assert.deepEqual(ns(await deskLog(p1, 'a')), [], 'nothing reaches the displaced desktop');
  } finally {
    await p1.context().close();
    await p2.context().close();
    await s.close();
  }
});

test('server restart: the SDK re-subscribes and gets what was published in its gap exactly once', async () => {
  const store = new MemoryStore();
  let s = await serve({ store });
  const port = s.port;
  const page = await h.newPage();
  try {
    const token = s.tokenFor('sdk-3')!;
    await startDesk(page, { name: 'a', base: s.url, token, subscribeBody: SUBSCRIBE });
    await publish(s, 'sdk-3', 1);
    await untilLog(page, 'a', (l) => ns(l).includes(1), 5000, 'notification 1');
    await s.close();
    const closedAt = Date.now();
    s = await serve({ store, port });
    // Published while the SDK waits out its 5 s re-subscribe interval: only the server's replay can bring them.
    for (let n = 2; n <= 4; n++) await publish(s, 'sdk-3', n);
    assert.equal(s.connections('sdk-3'), 0, 'published inside the gap (the SDK had not reconnected yet)');
    await untilLog(page, 'a', (l) => subscribes(l) >= 2 && ns(l).length >= 4, 15000, 'the replay');
    console.log(`# SDK back ${Date.now() - closedAt} ms after the server closed`);
    await publish(s, 'sdk-3', 5);
    const log = await untilLog(page, 'a', (l) => ns(l).includes(5), 5000, 'notification 5 live');
    assert.deepEqual(ns(log), [1, 2, 3, 4, 5], 'every notification once, in order');
    assert.equal(s.metrics().replayed, 3, 'the three came by replay');
    assert.ok(
      log.some((e) => e.kind === 'socketClose'),
      'the SDK saw the restart as a loss and recovered',
    );
  } finally {
    await page.context().close();
    await s.close();
    await store.close();
  }
});

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;

/** `lifeline serve` as a process (dev auth, memory store); resolves once it prints its listening line. */
async function serveProcess(port: number): Promise<{ proc: ChildProcess; url: string }> {
  const args = ['serve', '--port', String(port), '--keepalive-ms', '1000', '--cors-origin', h.origin];
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('lifeline serve printed no listening line in 20 s')), 20000);
    proc.once('exit', (code) => reject(new Error(`lifeline serve exited ${code} before listening`)));
    createInterface({ input: proc.stdout! }).once('line', (l) => {
      clearTimeout(t);
      resolve(l);
    });
  });
  return { proc, url: (JSON.parse(line) as { url: string }).url };
}

async function publishTo(url: string, agentId: string, n: number): Promise<void> {
  const res = await fetch(`${url}/v1/notification/publish`, {
    method: 'POST',
    headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
    body: JSON.stringify({ agentId, type: 'AgentContact', data: { type: 'AgentOffer', n } }),
  });
  assert.equal(res.status, 200, `publish ${n}: ${await res.text()}`);
}

test('SIGKILL of the lifeline serve process: restarted on its port, the SDK comes back by itself', async () => {
  let srv = await serveProcess(0);
  const port = Number(new URL(srv.url).port);
  const page = await h.newPage();
  try {
    await startDesk(page, { name: 'a', base: srv.url, token: 'agent:sdk-4', subscribeBody: SUBSCRIBE });
    await publishTo(srv.url, 'sdk-4', 1);
    await untilLog(page, 'a', (l) => ns(l).includes(1), 5000, 'notification 1');
    const dead = new Promise((r) => srv.proc.once('exit', r));
    srv.proc.kill('SIGKILL'); // no close frame: the SDK sees the TCP connection end
    await dead;
    await untilLog(page, 'a', (l) => l.some((e) => e.kind === 'socketClose'), 5000, 'the SDK noticing the loss');
    srv = await serveProcess(port);
    const welcomes = (l: DeskEvent[]) =>
      l.filter((e) => e.kind === 'message' && (e.data as { type?: string }).type === 'Welcome').length;
    await untilLog(page, 'a', (l) => welcomes(l) >= 2, 15000, 'a re-subscribe and its Welcome');
    await publishTo(srv.url, 'sdk-4', 2);
    const log = await untilLog(page, 'a', (l) => ns(l).includes(2), 5000, 'notification 2 after the restart');
    // The memory store died with the process: nothing to replay, nothing duplicated.
    assert.deepEqual(ns(log), [1, 2]);
  } finally {
    await page.context().close();
    if (srv.proc.exitCode === null) {
      const gone = new Promise((r) => srv.proc.once('exit', r));
      srv.proc.kill('SIGTERM');
      await gone;
    }
  }
});
