// Clients that cannot resume (no clientId, no resumeFrom: Cisco's SDK) against real sockets, as a reusable suite:
// the memory store (one node) and the Redis store (the reconnect lands on another node) run the same tests.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { NotifsServer } from '../../src/server/notifs-server.ts';
import type { NotifStore } from '../../src/server/store.ts';
import { until } from './helpers.ts';

export interface DeliveredNodes {
  /** Where the first connection lands, and where the reconnect lands (the same node for a one-node store). */
  first: NotifsServer;
  second: NotifsServer;
  /** The store both use, to see the server-side mark land before reconnecting. */
  store: NotifStore;
  close(): Promise<void>;
}

type Msg = { type?: string; seq?: number; data?: Record<string, unknown> & { recovered?: boolean } };

/** What Cisco's SDK does on the wire: subscribe with a client type and nothing to resume from, open the socket. */
async function sdkConnect(s: NotifsServer, agentId: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${s.url}/v1/notification/subscribe`, {
    method: 'POST',
    headers: { authorization: `Bearer agent:${agentId}`, 'content-type': 'application/json' },
    body: JSON.stringify({ force: true, isKeepAliveEnabled: true, clientType: 'SdkLike', ...body }),
  });
  assert.equal(res.status, 200);
  const ws = new WebSocket(((await res.json()) as { webSocketUrl: string }).webSocketUrl);
  const got: Msg[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as Msg & { keepalive?: string };
    if (m.keepalive === undefined) got.push(m);
    else ws.send('{"keepalive":"true"}');
  });
  await until(() => got.some((m) => m.type === 'Welcome'), 5000, 'Welcome');
  const notes = () => got.filter((m) => m.type === 'N').map((m) => m.seq);
  return { ws, got, notes, welcome: got.find((m) => m.type === 'Welcome')!.data! };
}

/** The SDK's socket ends (it re-subscribes later); wait until the server recorded what it had delivered. */
async function away(s: NotifsServer, store: NotifStore, agentId: string, ws: WebSocket, seq: number) {
  ws.close();
  await until(() => s.connections(agentId) === 0, 5000, 'the socket gone at the server');
  const t0 = Date.now();
  while ((await store.getDelivered(agentId, 'SdkLike'))?.seq !== seq) {
    assert.ok(Date.now() - t0 < 5000, `delivered position ${seq} recorded within 5 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function deliveredContract(name: string, make: (o: { backlog: number }) => Promise<DeliveredNodes>) {
  describe(`clients that cannot resume: ${name}`, () => {
    test('a fresh subscribe replays what was published while away, once and in order, then live', async () => {
      const n = await make({ backlog: 100 });
      try {
        const a = await sdkConnect(n.first, 'sdk-1');
        await n.first.publish('sdk-1', { type: 'N', data: { n: 1 } });
        await until(() => a.notes().length === 1, 5000, 'the first notification');
        await away(n.first, n.store, 'sdk-1', a.ws, 1);
        await n.first.publish('sdk-1', { type: 'N', data: { n: 2 } });
        await n.second.publish('sdk-1', { type: 'N', data: { n: 3 } });
        const b = await sdkConnect(n.second, 'sdk-1');
        const epoch = (a.welcome.position as { epoch: string }).epoch;
        assert.deepEqual(b.welcome.resume, { requested: { epoch, seq: 1 }, recovered: true, replayed: 2 });
        await n.second.publish('sdk-1', { type: 'N', data: { n: 4 } });
        await until(() => b.notes().length === 3, 5000, 'replay and the live one');
        assert.deepEqual(b.notes(), [2, 3, 4]);
        assert.ok(!b.got.some((m) => m.type === 'LifelineStreamRecovery'), 'nothing to report');
        b.ws.close();
      } finally {
        await n.close();
      }
    });

    test('what is gone is said in a notification the SDK passes on (recovered:false), the rest replayed', async () => {
      const n = await make({ backlog: 3 });
      try {
        const a = await sdkConnect(n.first, 'sdk-2');
        await n.first.publish('sdk-2', { type: 'N', data: { n: 1 } });
        await until(() => a.notes().length === 1, 5000, 'the first notification');
        await away(n.first, n.store, 'sdk-2', a.ws, 1);
        for (let i = 2; i <= 8; i++) await n.first.publish('sdk-2', { type: 'N', data: { n: i } });
        const b = await sdkConnect(n.second, 'sdk-2');
        await until(() => b.notes().length === 3, 5000, 'the retained notifications');
        const notice = b.got.find((m) => m.type === 'LifelineStreamRecovery');
        assert.equal(notice?.data?.type, 'LifelineStreamRecovery');
        assert.equal(notice?.data?.recovered, false);
        assert.deepEqual(
          (notice?.data?.missing as { reason: string; fromSeq: number; toSeq: number }[] | undefined)?.[0],
          {
            reason: 'trimmed',
            epoch: (b.welcome.position as { epoch: string }).epoch,
            fromSeq: 2,
            toSeq: 5,
          },
        );
        assert.ok(
          b.got.indexOf(notice!) < b.got.findIndex((m) => m.type === 'N'),
          'the notice comes before the replay',
        );
        assert.deepEqual(b.notes(), [6, 7, 8]);
        b.ws.close();
      } finally {
        await n.close();
      }
    });

    test('another client type, or a desktop that names itself (it resumes on its own), starts at the head', async () => {
      const n = await make({ backlog: 100 });
      try {
        const a = await sdkConnect(n.first, 'sdk-3');
        await n.first.publish('sdk-3', { type: 'N', data: { n: 1 } });
        await until(() => a.notes().length === 1, 5000, 'the first notification');
        await away(n.first, n.store, 'sdk-3', a.ws, 1);
        await n.first.publish('sdk-3', { type: 'N', data: { n: 2 } });
        const other = await sdkConnect(n.second, 'sdk-3', { clientType: 'Other' });
        assert.equal(other.welcome.resume, undefined);
        assert.equal((other.welcome.position as { seq: number }).seq, 2);
        other.ws.close();
        const named = await sdkConnect(n.second, 'sdk-3', { clientId: 'desk-named' });
        assert.equal(named.welcome.resume, undefined);
        assert.equal((named.welcome.position as { seq: number }).seq, 2);
        named.ws.close();
      } finally {
        await n.close();
      }
    });
  });
}
