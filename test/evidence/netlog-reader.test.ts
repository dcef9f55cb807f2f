// Fixtures are real Chromium 156 NetLogs (--log-net-log, Everything mode) of a page keeping a ws:// and a wss://
// socket alive against a local `ws` server that also pings; trimmed to the WebSocket's sources.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TimelineEvent } from '../../src/events/types.ts';
import { NetlogMapper, readNetlog } from '../../src/evidence/netlog-reader.ts';

const fx = (name: string) => new URL(`../fixtures/evidence/${name}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lifeline-netlog-'));
/** One NetLog event of a URL_REQUEST source (source type 1 in the tests' constants). */
const ev = (type: number, id: number, time: string, phase: number, params?: object) => ({
  type,
  source: { id, type: 1 },
  time,
  phase,
  params,
});

function count(evs: TimelineEvent[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const e of evs) {
    let k: string = e.kind;
    if (e.kind === 'ws-message') k += `:${e.dir}:${e.cls}`;
    if (e.kind === 'ws-control') k += `:${e.dir}:${e.op}`;
    c[k] = (c[k] ?? 0) + 1;
  }
  return c;
}

test('ws:// NetLog: frames incl. pings/pongs, payloads decoded, wall time = timeTickOffset + time', async () => {
  const r = await readNetlog(fx('netlog-ws.json'));
  assert.equal(r.format, 'netlog');
  assert.deepEqual(r.problems, []);
  const c = count(r.events);
  assert.equal(c['ws-message:s2c:welcome'], 1);
  assert.equal(c['ws-message:s2c:keepalive'], 10);
  assert.equal(c['ws-message:c2s:keepalive'], 10);
  assert.equal(c['ws-control:s2c:ping'], 10);
  assert.equal(c['ws-control:c2s:pong'], 10);
  assert.equal(c['conn-open'], 1);
  assert.ok((c['tcp-data'] ?? 0) > 20);
  const open = r.events.find((e) => e.kind === 'conn-open');
  assert.ok(open && open.kind === 'conn-open');
  assert.equal(open.ip, '127.0.0.1');
  assert.equal(open.port, 36713);
  assert.equal(open.conn, '71');
  // The 101 arrived at tick 768159 (HTTP_TRANSACTION_READ_RESPONSE_HEADERS).
  assert.equal(open.ts, 1795597181199 + 768159);
  const welcome = r.events.find((e) => e.kind === 'ws-message' && e.cls === 'welcome');
  assert.ok(welcome && welcome.kind === 'ws-message');
  assert.equal(welcome.type, 'Welcome');
  assert.equal(welcome.length, 42);
  assert.match(welcome.text ?? '', /agentId/);
  const close = r.events.find((e) => e.kind === 'conn-close');
  assert.ok(close && close.kind === 'conn-close');
  assert.equal(close.how, 'ws-close');
  assert.equal(close.by, 'desktop');
  assert.equal(close.wsCode, 1001, 'page unload: going away');
  // tcp-data sequence numbers are the running byte count per direction.
  const sent = r.events.filter((e) => e.kind === 'tcp-data' && e.dir === 'c2s');
  for (let i = 1; i < sent.length; i++) {
    const a = sent[i - 1];
    const b = sent[i];
    assert.ok(a.kind === 'tcp-data' && b.kind === 'tcp-data');
    assert.equal(b.seq, a.seq + a.len);
  }
  assert.deepEqual(r.meta.blindTo, ['tcp-segments']);
  assert.equal((r.meta.connections as { protocol?: string }[])[0].protocol, 'wxcc');
});

test('wss:// NetLog: payloads from SSL_SOCKET_BYTES, close frames both ways with code and reason', async () => {
  const r = await readNetlog(fx('netlog-wss.json'));
  const c = count(r.events);
  assert.equal(c['ws-message:c2s:keepalive'], 4);
  assert.equal(c['ws-message:s2c:keepalive'], 4);
  assert.equal(c['ws-control:c2s:close'], 1);
  assert.equal(c['ws-control:s2c:close'], 1);
  const close = r.events.find((e) => e.kind === 'conn-close');
  assert.ok(close && close.kind === 'conn-close');
  assert.equal(close.wsCode, 1000);
  assert.equal(close.reason, 'bye');
  assert.equal(close.by, 'desktop');
});

test('a NetLog cut off (Chrome killed) reads every complete event, with a truncation warning and offset', async () => {
  const text = readFileSync(fx('netlog-ws.json'), 'utf8');
  // Cut in the middle of the 30th frame header line, as a killed Chrome leaves it.
  let at = 0;
  for (let i = 0; i < 30; i++) at = text.indexOf('"payload_length"', at + 1);
  const f = join(tmp, 'cut.json');
  writeFileSync(f, text.slice(0, at));
  const r = await readNetlog(f);
  assert.equal(r.format, 'netlog-truncated');
  const p = r.problems.find((x) => x.code === 'NETLOG_TRUNCATED');
  assert.ok(p);
  assert.equal(p.severity, 'warning');
  assert.equal(p.offset, at);
  const frames = r.events.filter((e) => e.kind === 'ws-message' || e.kind === 'ws-control');
  assert.equal(frames.length, 29);
  // And one ending right after an event's comma (the usual shape of --log-net-log when killed).
  const comma = text.lastIndexOf('},\n', at) + 2;
  writeFileSync(f, text.slice(0, comma));
  const r2 = await readNetlog(f);
  assert.equal(r2.events.filter((e) => e.kind === 'ws-message' || e.kind === 'ws-control').length, 29);
});

test('without payload bytes (default capture mode) a 20-byte text frame is a keepalive; failures are staged', () => {
  const m = new NetlogMapper('n.json');
  m.constants(
    {
      logEventTypes: {
        REQUEST_ALIVE: 1,
        WEBSOCKET_SENT_FRAME_HEADER: 2,
        HTTP_TRANSACTION_READ_RESPONSE_HEADERS: 3,
        NETWORK_CHANGED: 4,
      },
      logSourceType: { URL_REQUEST: 1, NETWORK_CHANGE_NOTIFIER: 2 },
      netError: { NAME_NOT_RESOLVED: -105 },
      timeTickOffset: 1000,
    },
    0,
  );
  m.event(ev(1, 5, '10', 1, { url: 'wss://api.wxcc-us1.cisco.com/v1/notification/subscription/1' }), 100);
  m.event(ev(3, 5, '20', 0, { headers: ['HTTP/1.1 101 Switching Protocols'] }), 200);
  m.event(ev(2, 5, '30', 0, { opcode: 1, payload_length: 20, final: true }), 300);
  m.event(ev(2, 5, '31', 0, { opcode: 1, payload_length: 200, final: false }), 310);
  m.event(ev(2, 5, '32', 0, { opcode: 0, payload_length: 50, final: true }), 320);
  m.event(ev(1, 6, '40', 1, { url: 'wss://api.wxcc-us1.cisco.com/v1/notification/subscription/2' }), 400);
  m.event(ev(1, 6, '45', 2, { net_error: -105 }), 450);
  m.event(ev(4, 7, '50', 0, { new_connection_type: 'CONNECTION_NONE' }), 500);
  m.event({ nonsense: true }, 600);
  const r = m.finish([], undefined);
  const msgs = r.events.filter((e) => e.kind === 'ws-message');
  assert.equal(msgs.length, 2);
  assert.ok(msgs[0].kind === 'ws-message' && msgs[0].cls === 'keepalive' && msgs[0].ts === 1030);
  assert.ok(msgs[1].kind === 'ws-message' && msgs[1].length === 250 && msgs[1].cls === 'other', 'fragments joined');
  const fail = r.events.find((e) => e.kind === 'conn-fail');
  assert.ok(fail && fail.kind === 'conn-fail' && fail.stage === 'dns' && fail.error === 'net::ERR_NAME_NOT_RESOLVED');
  const net = r.events.find((e) => e.kind === 'network-change');
  assert.ok(net && net.kind === 'network-change' && net.online === false);
  assert.ok(r.problems.some((p) => p.code === 'NETLOG_BAD_EVENT' && p.offset === 600));
  assert.ok(r.meta.blindTo?.includes('ws-payloads'));
  assert.equal(r.meta.wxcc, true);
});

test('DNS answers from resolver requests, cache hits and job results (old and new param shapes)', () => {
  const m = new NetlogMapper('dns.json');
  m.constants(
    {
      logEventTypes: {
        HOST_RESOLVER_MANAGER_REQUEST: 1,
        HOST_RESOLVER_MANAGER_CACHE_HIT: 2,
        HOST_RESOLVER_MANAGER_JOB: 3,
      },
      logSourceType: { URL_REQUEST: 1 },
      timeTickOffset: 0,
    },
    0,
  );
  m.event(ev(1, 1, '10', 1, { host: 'https://api.wxcc-us1.cisco.com:443' }), 10);
  m.event(ev(1, 1, '12', 2, { address_list: ['203.0.113.10:0', '[2001:db8::1]:0'] }), 20);
  m.event(ev(1, 2, '20', 1, { host: 'api.wxcc-eu1.cisco.com' }), 30);
  m.event(ev(2, 2, '20', 0, { address_list: ['198.51.100.7:443'] }), 40);
  m.event(ev(1, 2, '20', 2, {}), 50);
  m.event(ev(3, 3, '30', 1, { host: 'https://desktop.wxcc-us1.cisco.com' }), 60);
  m.event(
    ev(3, 3, '31', 2, { results: { endpoints: [{ endpoint_address: '203.0.113.99:0' }], aliases: ['edge.example'] } }),
    70,
  );
  const r = m.finish([], undefined);
  const dns = r.events.filter((e) => e.kind === 'dns-answer');
  assert.deepEqual(
    dns.map((e) => (e.kind === 'dns-answer' ? [e.name, e.addresses, e.ts] : [])),
    [
      ['api.wxcc-us1.cisco.com', ['203.0.113.10', '2001:db8::1'], 12],
      ['api.wxcc-eu1.cisco.com', ['198.51.100.7'], 20],
      ['desktop.wxcc-us1.cisco.com', ['203.0.113.99'], 31],
    ],
  );
});

test('a log started mid-connection still yields the frames it saw (no open, no url)', () => {
  const m = new NetlogMapper('late.json');
  m.constants(
    {
      logEventTypes: { WEBSOCKET_RECV_FRAME_HEADER: 1, WEBSOCKET_SENT_FRAME_HEADER: 2 },
      logSourceType: { URL_REQUEST: 1 },
      timeTickOffset: 5,
    },
    0,
  );
  m.event(ev(1, 9, '100', 0, { opcode: 1, payload_length: 20, final: true }), 10);
  m.event(ev(2, 9, '101', 0, { opcode: 10, payload_length: 0, final: true }), 20);
  const r = m.finish([], undefined);
  assert.deepEqual(
    r.events.map((e) => [e.kind, e.ts, e.conn]),
    [
      ['ws-message', 105, '9'],
      ['ws-control', 106, '9'],
    ],
  );
  assert.equal(
    r.events.some((e) => e.kind === 'conn-open'),
    false,
  );
});

test('WebSocket-level failures on the request: upgrade failure → conn-fail ws, invalid frame → conn-close error', () => {
  const m = new NetlogMapper('wserr.json');
  m.constants(
    {
      logEventTypes: {
        REQUEST_ALIVE: 1,
        HTTP_TRANSACTION_READ_RESPONSE_HEADERS: 2,
        WEBSOCKET_UPGRADE_FAILURE: 3,
        WEBSOCKET_INVALID_FRAME: 4,
      },
      logSourceType: { URL_REQUEST: 1 },
      timeTickOffset: 0,
    },
    0,
  );
  m.event(ev(1, 1, '1', 1, { url: 'wss://h.example/a' }), 1);
  m.event(ev(3, 1, '2', 0, { message: 'Error during WebSocket handshake: Incorrect Sec-WebSocket-Accept' }), 2);
  m.event(ev(1, 2, '3', 1, { url: 'wss://h.example/b' }), 3);
  m.event(ev(2, 2, '4', 0, { headers: ['HTTP/1.1 101 Switching Protocols'] }), 4);
  m.event(ev(4, 2, '9', 0, { message: 'One or more reserved bits are on' }), 5);
  const r = m.finish([], undefined);
  const fail = r.events.find((e) => e.kind === 'conn-fail');
  assert.ok(fail && fail.kind === 'conn-fail' && fail.stage === 'ws' && /Sec-WebSocket-Accept/.test(fail.error));
  const close = r.events.find((e) => e.kind === 'conn-close');
  assert.ok(close && close.kind === 'conn-close' && close.how === 'error' && close.conn === '2' && close.ts === 9);
  assert.match(close.reason ?? '', /WEBSOCKET_INVALID_FRAME: One or more reserved bits/);
});

test('real default-mode NetLog (no bytes): frame headers incl. pings are there, payloads are not', async () => {
  const r = await readNetlog(fx('netlog-ws-default-mode.json'));
  assert.equal(r.meta.captureMode, 'Default');
  assert.deepEqual(r.meta.blindTo, ['tcp-segments', 'ws-payloads']);
  const c = count(r.events);
  assert.equal(c['ws-control:s2c:ping'], 10);
  assert.equal(c['ws-control:c2s:pong'], 10);
  assert.equal(c['ws-message:c2s:keepalive'], 11, '20-byte text frames');
  assert.equal(c['ws-message:s2c:other'], 1, 'the 42-byte Welcome cannot be named without its payload');
  assert.ok(r.events.every((e) => e.kind !== 'ws-message' || e.text === undefined));
});
