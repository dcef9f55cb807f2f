import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CdpSessionLike, HarRecorder } from '../../src/evidence/har-from-cdp.ts';
import { HarMapper } from '../../src/evidence/har-reader.ts';

/** A fake CDP session: records listeners, lets the test fire protocol events in order. */
class FakeCdp implements CdpSessionLike {
  readonly listeners = new Map<string, (p: unknown) => void>();
  enabled = false;
  async send(method: 'Network.enable'): Promise<unknown> {
    this.enabled = method === 'Network.enable';
    return {};
  }
  on(event: string, listener: (p: unknown) => void): this {
    this.listeners.set(event, listener);
    return this;
  }
  fire(event: string, p: unknown): void {
    this.listeners.get(event)?.(p);
  }
}

test('CDP WebSocket events → a Chrome-style HAR whose times are wall clock from the handshake wallTime', async () => {
  const cdp = new FakeCdp();
  const rec = new HarRecorder();
  await rec.attach({ context: () => ({ newCDPSession: async () => cdp }) });
  assert.equal(cdp.enabled, true);
  const wall0 = 1_795_597_200; // epoch seconds at monotonic 1000
  cdp.fire('Network.webSocketCreated', {
    requestId: 'r1',
    url: 'wss://api.wxcc-us1.cisco.com/v1/notification/subscription/x',
  });
  cdp.fire('Network.webSocketWillSendHandshakeRequest', {
    requestId: 'r1',
    timestamp: 1000,
    wallTime: wall0,
    request: { headers: { Upgrade: 'websocket' } },
  });
  cdp.fire('Network.webSocketHandshakeResponseReceived', {
    requestId: 'r1',
    timestamp: 1000.05,
    response: { status: 101, statusText: 'Switching Protocols', headers: {} },
  });
  cdp.fire('Network.webSocketFrameReceived', {
    requestId: 'r1',
    timestamp: 1000.1,
    response: { opcode: 1, mask: false, payloadData: '{"type":"Welcome","data":{"agentId":"a"}}' },
  });
  cdp.fire('Network.webSocketFrameSent', {
    requestId: 'r1',
    timestamp: 1004.1,
    response: { opcode: 1, mask: true, payloadData: '{"keepalive":"true"}' },
  });
  cdp.fire('Network.webSocketFrameError', {
    requestId: 'r1',
    timestamp: 1010,
    errorMessage: 'net::ERR_CONNECTION_RESET',
  });
  cdp.fire('Network.webSocketClosed', { requestId: 'r1', timestamp: 1010.1 });
  // A socket whose handshake never got a response.
  cdp.fire('Network.webSocketCreated', {
    requestId: 'r2',
    url: 'wss://api.wxcc-us1.cisco.com/v1/notification/subscription/y',
  });
  cdp.fire('Network.webSocketWillSendHandshakeRequest', {
    requestId: 'r2',
    timestamp: 1020,
    wallTime: wall0 + 20,
    request: { headers: {} },
  });
  cdp.fire('Network.webSocketFrameError', {
    requestId: 'r2',
    timestamp: 1041,
    errorMessage: 'net::ERR_CONNECTION_TIMED_OUT',
  });

  const har = rec.toHar() as { log: { entries: Record<string, unknown>[] } };
  assert.equal(har.log.entries.length, 2);
  const e = har.log.entries[0] as {
    startedDateTime: string;
    _webSocketMessages: { type: string; time: number }[];
    time: number;
  };
  assert.equal(e.startedDateTime, new Date(wall0 * 1000).toISOString());
  assert.deepEqual(
    e._webSocketMessages.map((m) => [m.type, Math.round(m.time * 1000)]),
    [
      ['receive', wall0 * 1000 + 100],
      ['send', wall0 * 1000 + 4100],
      ['error', wall0 * 1000 + 10000],
    ],
  );
  assert.ok(Math.abs(e.time - 50) < 1e-6);

  // Our own reader reads it as Chrome's.
  const m = new HarMapper('cdp.har');
  for (const [i, x] of har.log.entries.entries()) m.entry(x, i);
  const r = m.finish(har, []);
  assert.equal(r.events.filter((x) => x.kind === 'ws-message').length, 2);
  const open = r.events.find((x) => x.kind === 'conn-open');
  assert.ok(open && Math.abs(open.ts - (wall0 * 1000 + 50)) < 1e-3);
  const fail = r.events.find((x) => x.kind === 'conn-fail');
  assert.ok(
    fail && fail.kind === 'conn-fail' && fail.stage === 'tcp' && fail.error === 'net::ERR_CONNECTION_TIMED_OUT',
  );
  const close = r.events.find((x) => x.kind === 'conn-close');
  assert.ok(close && close.kind === 'conn-close' && close.reason === 'net::ERR_CONNECTION_RESET');
});
