import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HarBuilder } from '../../src/lab/har-builder.ts';

test('HAR from CDP events: websocket entry, wall-clock message times from the handshake wallTime', () => {
  const h = new HarBuilder();
  h.created('1', 'ws://127.0.0.1:9/v1/notification/subscription/abc');
  h.handshakeRequest({ requestId: '1', timestamp: 100, wallTime: 1_700_000_000, request: { headers: { Host: 'x' } } });
  h.handshakeResponse({ requestId: '1', response: { status: 101, statusText: 'Switching Protocols', headers: {} } });
  h.frame('1', 'receive', 100.5, 1, '{"type":"Welcome"}');
  h.frame('1', 'send', 101.25, 1, '{"keepalive":"true"}');
  h.closed('1', 102);
  h.frame('unknown', 'send', 1, 1, 'ignored');
  const har = h.toHar() as { log: { entries: Record<string, unknown>[] } };
  assert.equal(har.log.entries.length, 1);
  const e = har.log.entries[0] as {
    _resourceType: string;
    startedDateTime: string;
    time: number;
    response: { status: number };
    _webSocketMessages: { type: string; time: number; opcode: number; data: string }[];
  };
  assert.equal(e._resourceType, 'websocket');
  assert.equal(e.response.status, 101);
  assert.equal(e.startedDateTime, new Date(1_700_000_000_000).toISOString());
  assert.equal(e.time, 2000);
  assert.deepEqual(
    e._webSocketMessages.map((m) => [m.type, m.time, m.data]),
    [
      ['receive', 1_700_000_000.5, '{"type":"Welcome"}'],
      ['send', 1_700_000_001.25, '{"keepalive":"true"}'],
    ],
  );
});
