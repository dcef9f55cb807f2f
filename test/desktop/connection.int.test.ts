// Desktop client ↔ Notifs server on real sockets, with short timers. Every wait is for an event, bounded.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DesktopClient, type DesktopClientOptions } from '../../src/desktop/desktop-client.ts';
import { ERROR_REPORT_SCHEMA } from '../../src/protocol/error-report-schema.ts';
import type { StreamPosition } from '../../src/protocol/stream-position.ts';
import { type NotifsServer, type NotifsServerOptions, startNotifsServer } from '../../src/server/notifs-server.ts';
import { until, waitForEvent, waitForState } from '../server/helpers.ts';

const T = { keepaliveMs: 100, silenceMs: 800 };
const serverOpts = (o: NotifsServerOptions = {}): NotifsServerOptions => ({ ...T, sweepMs: 20, ...o });
const clients: DesktopClient[] = [];
const servers: NotifsServer[] = [];

async function server(o: NotifsServerOptions = {}) {
  const s = await startNotifsServer(serverOpts(o));
  servers.push(s);
  return s;
}

function client(
  s: { url: string; tokenFor(a: string): string | undefined },
  agentId: string,
  o: Partial<DesktopClientOptions> = {},
) {
  const c = new DesktopClient({
    serverUrl: s.url,
    agentId,
    token: s.tokenFor(agentId)!,
    ...T,
    recoveryMs: 8000,
    connectTimeoutMs: 1500,
    backoff: { baseMs: 50, capMs: 200 },
    ...o,
  });
  clients.push(c);
  return c;
}

/** Collects what the application saw. */
function collect(c: DesktopClient) {
  const seen: StreamPosition[] = [];
  const data: unknown[] = [];
  c.on('notification', (n) => {
    if (n.position) seen.push(n.position);
    data.push(n.data);
  });
  return { seen, data };
}

after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.close();
});

describe('desktop ↔ Notifs on real sockets', () => {
  test('connect, receive a notification, keepalives flow both ways on both paths', async () => {
    const s = await server();
    const c = client(s, 'agent-1');
    const { data } = collect(c);
    c.start();
    await waitForState(c, 'connected');
    const got = waitForEvent(c, 'notification');
    await s.publish('agent-1', { type: 'AgentStateChange', data: { state: 'Idle' } });
    assert.deepEqual((await got).data, { state: 'Idle' });
    assert.deepEqual(data, [{ state: 'Idle' }]);
    await until(() => c.recorder.totals.keepalivesReceived >= 3, 5000, 'server keepalives');
    const r = c.errorReport();
    assert.equal(r.schema, ERROR_REPORT_SCHEMA);
    const sentVia = new Set(
      r.entries.filter((e) => e.kind === 'sent' && e.type === 'keepalive').map((e) => (e as { via?: string }).via),
    );
    assert.ok(sentVia.has('onmessage'), 'replies from onmessage are recorded');
    assert.ok(
      r.entries.some((e) => e.kind === 'drift' && e.timer === 'node'),
      'timer drift samples recorded',
    );
    await until(() => s.metrics().keepalivesReceived >= 3, 5000, 'desktop keepalives at the server');
    assert.equal(s.metrics().connections, 1);
  });

  test('kill the socket: the desktop resumes and gets what it missed, exactly once', async () => {
    const s = await server();
    const c = client(s, 'agent-kill');
    const { seen } = collect(c);
    c.start();
    await waitForState(c, 'connected');
    await s.publish('agent-kill', { type: 'N', data: 1 });
    await until(() => seen.length === 1, 5000, 'first notification');
    const recovering = waitForState(c, 'recovering');
    s.disconnect('agent-kill', { terminate: true });
    await recovering;
    await s.publish('agent-kill', { type: 'N', data: 2 });
    await s.publish('agent-kill', { type: 'N', data: 3 });
    const resume = await waitForEvent(c, 'resume');
    assert.equal(resume.recovered, true);
    assert.equal(resume.replayed, 2);
    await until(() => seen.length === 3, 5000, 'replayed notifications');
    assert.deepEqual(
      seen.map((p) => p.seq),
      [1, 2, 3],
    );
    assert.equal(c.state, 'connected');
    const r = c.errorReport();
    assert.ok(r.entries.some((e) => e.kind === 'close' && e.code === 1006));
    assert.ok(r.entries.some((e) => e.kind === 'reconnect'));
    assert.ok(r.entries.some((e) => e.kind === 'resume' && e.recovered));
  });

  test('zero-event recovery: the Welcome position lets a desktop resume before its first notification', async () => {
    const s = await server();
    const c = client(s, 'agent-zero');
    const { seen } = collect(c);
    c.start();
    await waitForState(c, 'connected');
    assert.equal(c.position?.seq, 0);
    const recovering = waitForState(c, 'recovering');
    s.disconnect('agent-zero', { code: 1011 });
    await recovering;
    await s.publish('agent-zero', { type: 'N', data: 'while away' });
    const resume = await waitForEvent(c, 'resume');
    assert.equal(resume.recovered, true);
    await until(() => seen.length === 1, 5000, 'the notification published while away');
  });

  test('stall the server: silence detected, recovery after the stall, nothing lost', async () => {
    const s = await server();
    const c = client(s, 'agent-stall');
    const { seen } = collect(c);
    c.start();
    await waitForState(c, 'connected');
    const recovering = waitForState(c, 'recovering');
    s.stall('agent-stall');
    const st = await recovering;
    assert.match(st.reason, /silence/);
    await s.publish('agent-stall', { type: 'N', data: 'during stall' });
    const back = waitForState(c, 'connected');
    s.stall('agent-stall', false);
    await back;
    await until(() => seen.length === 1, 5000, 'notification held during the stall');
    assert.equal(seen[0].seq, 1);
  });

  test('stall the client: Notifs drops the silent desktop, which recovers once unstalled', async () => {
    const s = await server();
    const c = client(s, 'agent-frozen');
    c.start();
    await waitForState(c, 'connected');
    const recovering = waitForState(c, 'recovering');
    c.pauseKeepalive(true);
    const st = await recovering;
    assert.match(st.reason, /silence-timeout \(4000\)/);
    assert.ok(s.metrics().silenceDrops >= 1);
    c.pauseKeepalive(false);
    await waitForState(c, 'connected');
  });

  test('restart the server (memory store): the loss is reported, not hidden', async () => {
    const s1 = await startNotifsServer(serverOpts());
    const c = client(s1, 'agent-restart');
    const { seen } = collect(c);
    const gaps: unknown[] = [];
    c.on('gap', (g) => gaps.push(g));
    c.start();
    await waitForState(c, 'connected');
    await s1.publish('agent-restart', { type: 'N', data: 1 });
    await until(() => seen.length === 1, 5000, 'first notification');
    const port = s1.port;
    const recovering = waitForState(c, 'recovering');
    await s1.close();
    await recovering;
    const s2 = await server({ port });
    await s2.publish('agent-restart', { type: 'N', data: 'new epoch 1' });
    const resume = await waitForEvent(c, 'resume', () => true, 8000);
    assert.equal(resume.recovered, false);
    assert.equal(resume.missing?.[0].reason, 'epoch-changed');
    assert.equal(resume.missing?.[0].fromSeq, 2);
    await until(() => seen.length === 2, 5000, 'the new epoch backlog');
    assert.notEqual(seen[1].epoch, seen[0].epoch);
    const r = c.errorReport();
    assert.ok(r.entries.some((e) => e.kind === 'resume' && !e.recovered && /epoch-changed/.test(e.missing ?? '')));
  });

  test('history trimmed while away: told exactly which seqs are gone, the retained ones replayed', async () => {
    const s = await server({ backlogPerAgent: 5 });
    const c = client(s, 'agent-trim');
    const { seen } = collect(c);
    c.start();
    await waitForState(c, 'connected');
    const recovering = waitForState(c, 'recovering');
    s.stall('agent-trim'); // nothing reaches the desktop; it recovers after the silence timeout
    await recovering;
    for (let i = 1; i <= 12; i++) await s.publish('agent-trim', { type: 'N', data: i });
    const resumed = waitForEvent(c, 'resume');
    s.stall('agent-trim', false);
    const r = await resumed;
    assert.equal(r.recovered, false);
    assert.deepEqual(r.missing, [
      { reason: 'trimmed', epoch: seen[0]?.epoch ?? r.requested.epoch, fromSeq: 1, toSeq: 7 },
    ]);
    assert.equal(r.replayed, 5);
    await until(() => seen.length === 5, 5000, 'retained notifications');
    assert.deepEqual(
      seen.map((p) => p.seq),
      [8, 9, 10, 11, 12],
    );
  });

  test('10 000 notifications during repeated disconnects: each seen exactly once, in order', async () => {
    const s = await server();
    const c = client(s, 'agent-10k');
    const { seen } = collect(c);
    const resumes: boolean[] = [];
    c.on('resume', (r) => resumes.push(r.recovered));
    c.start();
    await waitForState(c, 'connected');
    const N = 10000;
    let kills = 0;
    for (let i = 1; i <= N; i++) {
      await s.publish('agent-10k', { type: 'N', data: i });
      if (i % 1000 === 500) {
        await waitForState(c, 'connected');
        const noticed = waitForState(c, 'recovering');
        assert.equal(s.disconnect('agent-10k', { terminate: kills % 2 === 0, code: 1011 }), 1);
        await noticed;
        kills++;
      }
      if (i % 250 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => c.position?.seq === N && c.state === 'connected', 30000, 'all 10 000 delivered');
    assert.equal(seen.length, N, 'no duplicates delivered to the application');
    for (let i = 0; i < N; i++) if (seen[i].seq !== i + 1) assert.fail(`position ${i} has seq ${seen[i].seq}`);
    assert.ok(resumes.length >= 10, `at least one resume per disconnect (${resumes.length})`);
    assert.ok(
      resumes.every((r) => r),
      'every resume was complete',
    );
  });

  test('multi-login: the older desktop closes and does not reconnect', async () => {
    const s = await server();
    const a = client(s, 'agent-ml');
    a.start();
    await waitForState(a, 'connected');
    const closed = waitForState(a, 'closed');
    const b = client(s, 'agent-ml');
    b.start();
    await waitForState(b, 'connected');
    const st = await closed;
    assert.match(st.reason, /multi-login/);
    assert.equal(a.state, 'closed');
    await until(() => s.connections('agent-ml') === 1, 5000, 'old socket gone at the server');
  });

  test('desktop messages are acknowledged and delivered once across a reconnect', async () => {
    const got: unknown[] = [];
    const s = await server({ onDesktopMessage: (_a, _c, _n, d) => got.push(d) });
    const c = client(s, 'agent-up');
    c.start();
    await waitForState(c, 'connected');
    const acked = waitForEvent(c, 'ack', (a) => a.cseq === 1);
    c.send({ hello: 1 });
    await acked;
    const recovering = waitForState(c, 'recovering');
    s.disconnect('agent-up', { terminate: true });
    await recovering;
    c.send({ hello: 2 }); // buffered while recovering
    await waitForEvent(c, 'ack', (a) => a.cseq === 2);
    assert.deepEqual(got, [{ hello: 1 }, { hello: 2 }]);
    assert.equal(c.machine.pending, 0);
  });

  test('recovery timeout: lost when Notifs never comes back', async () => {
    const s = await startNotifsServer(serverOpts());
    const c = client(s, 'agent-lost', { recoveryMs: 800 });
    c.start();
    await waitForState(c, 'connected');
    const lost = waitForState(c, 'lost', 5000);
    await s.close();
    const st = await lost;
    assert.match(st.reason, /recovery timeout/);
    const r = c.errorReport();
    assert.ok(
      r.entries.some((e) => e.kind === 'reconnect' && e.error && e.stage === 'tcp'),
      'failed attempts with their stage',
    );
  });
});
