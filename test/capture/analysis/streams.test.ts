// Reassembly, HTTP Upgrade heads, TLS records, keepalive rhythm.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HttpHeadCollector,
  isWebSocketUpgrade,
  negotiatedDeflate,
} from '../../../src/capture/analysis/http-upgrade.ts';
import { RhythmTracker } from '../../../src/capture/analysis/keepalive-rhythm.ts';
import { TcpReassembler } from '../../../src/capture/analysis/tcp-reassembly.ts';
import { clientHelloSni, type TlsRecord, TlsRecordParser } from '../../../src/capture/analysis/tls-records.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function reasm(limits: { maxHeldBytes?: number; maxHoldMs?: number } = {}) {
  const got: string[] = [];
  const gaps: [number, number][] = [];
  const r = new TcpReassembler(
    {
      data: (b) => got.push(dec(b)),
      gap: (rel, n) => gaps.push([rel, n]),
    },
    limits,
  );
  return { r, got, gaps };
}

test('reassembly: in order, out of order, overlapping retransmission, sequence wrap', () => {
  const { r, got, gaps } = reasm();
  const isn1 = 0xfffffffe; // wraps after 2 bytes
  r.start(isn1);
  r.push(isn1, enc('ab'), 0);
  r.push((isn1 + 5) >>> 0, enc('fg'), 1); // held
  r.push((isn1 + 2) >>> 0, enc('cde'), 2); // fills the hole → cde, fg
  r.push((isn1 + 1) >>> 0, enc('bcdefgh'), 3); // overlap: only "h" is new
  assert.deepEqual(got, ['ab', 'cde', 'fg', 'h']);
  assert.deepEqual(gaps, []);
});

test('reassembly: a hole older than maxHoldMs becomes a gap; flush gives up on the rest', () => {
  const { r, got, gaps } = reasm({ maxHoldMs: 100 });
  r.start(1000);
  r.push(1000, enc('aa'), 0);
  r.push(1005, enc('xx'), 10); // 3 bytes missing
  assert.deepEqual(got, ['aa']);
  r.push(1100, enc('yy'), 500); // time passes: the first hole is given up; "yy" is fresh and stays held
  assert.deepEqual(gaps, [[2, 3]]);
  assert.deepEqual(got, ['aa', 'xx']);
  r.push(1200, enc('zz'), 501);
  r.flush(502);
  assert.deepEqual(gaps, [
    [2, 3],
    [7, 93],
    [102, 98],
  ]);
  assert.deepEqual(got, ['aa', 'xx', 'yy', 'zz']);
  assert.equal(r.gaps, 3);
});

test('reassembly: held bytes are capped', () => {
  const { r, got, gaps } = reasm({ maxHeldBytes: 4 });
  r.start(0);
  r.push(10, enc('abc'), 0);
  r.push(20, enc('def'), 1); // would exceed 4 held bytes → gap to 10, deliver abc, then hold def
  assert.deepEqual(gaps, [[0, 10]]);
  assert.deepEqual(got, ['abc']);
});

test('HTTP Upgrade request and 101 response across chunk boundaries', () => {
  const reqHead = enc(
    'GET /v1/notification/subscription/abc HTTP/1.1\r\nHost: api.wxcc-us1.cisco.com\r\nUpgrade: websocket\r\n' +
      'Connection: Upgrade\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n',
  );
  const req = new Uint8Array([...reqHead, 0x81, 0x00]);
  const c = new HttpHeadCollector('request');
  let res = c.push(req.subarray(0, 30));
  assert.equal(res.kind, 'need-more');
  res = c.push(req.subarray(30));
  assert.equal(res.kind, 'head');
  if (res.kind !== 'head') return;
  assert.equal(res.head.method, 'GET');
  assert.equal(res.head.target, '/v1/notification/subscription/abc');
  assert.equal(res.head.headers.get('host'), 'api.wxcc-us1.cisco.com');
  assert.ok(isWebSocketUpgrade(res.head));
  assert.deepEqual([...res.rest], [0x81, 0x00]);
  const s = new HttpHeadCollector('response');
  const r2 = s.push(
    enc(
      'HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n',
    ),
  );
  assert.equal(r2.kind, 'head');
  if (r2.kind !== 'head') return;
  assert.equal(r2.head.status, 101);
  assert.deepEqual(negotiatedDeflate(r2.head.headers.get('sec-websocket-extensions')), {
    enabled: true,
    serverNoContextTakeover: true,
    clientNoContextTakeover: false,
  });
  assert.equal(negotiatedDeflate(undefined).enabled, false);
});

test('non-HTTP streams and endless heads are reported with codes', () => {
  const r = new HttpHeadCollector('request').push(new Uint8Array([0x16, 3, 1, 0, 5]));
  assert.equal(r.kind === 'error' && r.code, 'HTTP_NOT_HTTP');
  const c = new HttpHeadCollector('request');
  let last = c.push(enc('GET / HTTP/1.1\r\n'));
  for (let i = 0; i < 2000 && last.kind === 'need-more'; i++) last = c.push(enc('X-A: bbbbbbbb\r\n'));
  assert.equal(last.kind === 'error' && last.code, 'HTTP_HEAD_TOO_LONG');
});

function clientHello(sni: string): Uint8Array {
  const name = enc(sni);
  const sniExt = [0, 0, 0, name.length + 5, 0, name.length + 3, 0, 0, name.length, ...name];
  const exts = [...sniExt];
  const body = [
    3,
    3,
    ...new Array(32).fill(7),
    0,
    0,
    2,
    0x13,
    0x01,
    1,
    0,
    exts.length >> 8,
    exts.length & 0xff,
    ...exts,
  ];
  const hs = [1, 0, body.length >> 8, body.length & 0xff, ...body];
  return new Uint8Array([22, 3, 1, hs.length >> 8, hs.length & 0xff, ...hs]);
}

test('TLS records across chunks, SNI from the ClientHello, bad header reported once', () => {
  const recs: { type: number; len: number; sni?: string }[] = [];
  const errors: string[] = [];
  const p = new TlsRecordParser({
    record(r: TlsRecord) {
      recs.push({ type: r.contentType, len: r.length, sni: r.contentType === 22 ? clientHelloSni(r.body) : undefined });
    },
    error(code) {
      errors.push(code);
    },
  });
  const stream = new Uint8Array([
    ...clientHello('api.wxcc-eu1.cisco.com'),
    23,
    3,
    3,
    0,
    3,
    1,
    2,
    3,
    21,
    3,
    3,
    0,
    2,
    1,
    0,
  ]);
  for (let i = 0; i < stream.length; i += 3) p.push(stream.subarray(i, i + 3), i);
  assert.deepEqual(
    recs.map((r) => [r.type, r.sni ?? r.len]),
    [
      [22, 'api.wxcc-eu1.cisco.com'],
      [23, 3],
      [21, 2],
    ],
  );
  p.push(new Uint8Array([99, 1, 2, 3, 4, 5, 6]), 99);
  p.push(new Uint8Array([23, 3, 3, 0, 1, 1]), 100);
  assert.deepEqual(errors, ['TLS_BAD_RECORD']);
  assert.equal(recs.length, 3);
});

test('keepalive rhythm: 4 s both ways is recognised, irregular bulk is not', () => {
  const t = new RhythmTracker();
  for (let i = 0; i < 20; i++) {
    t.add(0, i * 4000 + (i % 3) * 30, 51);
    t.add(1, i * 4000 + 120 + (i % 2) * 50, 51);
  }
  const r = t.result();
  assert.equal(r.looksLikeKeepalive, true);
  assert.ok(Math.abs(r.c2s.periodMs - 4000) <= 60, `period ${r.c2s.periodMs}`);
  assert.ok(r.c2s.jitterMs <= 60);
  assert.equal(r.s2c.sizeMedian, 51);
  const b = new RhythmTracker();
  for (let i = 0; i < 50; i++) b.add(i & 1 ? 1 : 0, i * i * 37, 100);
  assert.equal(b.result().periodicBothWays, false);
  // Large records are not keepalives.
  const l = new RhythmTracker();
  l.add(0, 0, 5000);
  assert.equal(l.samples, 0);
});
