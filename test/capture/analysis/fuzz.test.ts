// Stream decoders on random, mutated and truncated input: no exception escapes, and progress is bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpHeadCollector } from '../../../src/capture/analysis/http-upgrade.ts';
import { TcpReassembler } from '../../../src/capture/analysis/tcp-reassembly.ts';
import { clientHelloSni, TlsRecordParser } from '../../../src/capture/analysis/tls-records.ts';
import { WsFrameParser } from '../../../src/capture/analysis/ws-frames.ts';
import { WsMessageAssembler } from '../../../src/capture/analysis/ws-stream.ts';
import { seededRandom as rng } from '../../helpers/fuzz.ts';
import { cat, wsFrame } from './ws-build.ts';

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const b = src.slice();
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(r() * b.length);
    const op = r();
    if (op < 0.6) b[k] = Math.floor(r() * 256);
    else if (op < 0.8) b[k] ^= 1 << Math.floor(r() * 8);
    else b[k] = r() < 0.5 ? 0 : 0xff;
  }
  return b;
}

function randomBytes(r: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

type Feeder = (bytes: Uint8Array, r: () => number) => void;

function chunked(bytes: Uint8Array, r: () => number, push: (b: Uint8Array, ts: number) => void): void {
  let i = 0;
  let ts = 0;
  while (i < bytes.length) {
    const n = 1 + Math.floor(r() * 40);
    push(bytes.subarray(i, i + n), ts++);
    i += n;
  }
}

const feeders: Record<string, Feeder> = {
  ws(bytes, r) {
    const noop = () => {};
    const asm = new WsMessageAssembler({ message: noop, control: noop, error: noop }, { deflate: r() < 0.5 });
    const p = new WsFrameParser(asm, 4096);
    chunked(bytes, r, (b, ts) => p.push(b, ts));
  },
  http(bytes, r) {
    const c = new HttpHeadCollector(r() < 0.5 ? 'request' : 'response');
    chunked(bytes, r, (b) => {
      if (!c.done) c.push(b);
    });
  },
  tls(bytes, r) {
    const p = new TlsRecordParser({
      record: (rec) => {
        if (rec.contentType === 22) clientHelloSni(rec.body);
      },
      error: () => {},
    });
    chunked(bytes, r, (b, ts) => p.push(b, ts));
    clientHelloSni(bytes);
  },
  reassembly(bytes, r) {
    const re = new TcpReassembler({ data: () => {}, gap: () => {} }, { maxHeldBytes: 256, maxHoldMs: 5 });
    let ts = 0;
    for (let i = 0; i + 4 < bytes.length; i += 5) {
      const seq = ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
      re.push(r() < 0.7 ? seq & 0x3ff : seq, bytes.subarray(i, i + 1 + bytes[i + 4]), ts++);
    }
    re.flush(ts);
  },
};

const seedWs = cat(
  wsFrame(1, '{"keepalive":"true"}', { mask: [1, 2, 3, 4] }),
  wsFrame(1, 'ab', { fin: false }),
  wsFrame(9, 'p'),
  wsFrame(0, 'cd'),
  wsFrame(2, 'x'.repeat(200), { rsv1: true }),
  wsFrame(8, new Uint8Array([3, 232, 104, 105])),
);
const seedHttp = new TextEncoder().encode(
  'GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n',
);
const seedTls = new Uint8Array([22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0, 23, 3, 3, 0, 2, 9, 9, 21, 3, 3, 0, 2, 2, 40]);
const seeds: Record<string, Uint8Array> = { ws: seedWs, http: seedHttp, tls: seedTls, reassembly: seedWs };

for (const [name, feed] of Object.entries(feeders)) {
  test(`fuzz ${name}: truncation at every offset, 1500 mutations, 300 random inputs`, () => {
    const r = rng(0x5eed + name.length);
    const seed = seeds[name];
    const started = Date.now();
    for (let cut = 0; cut <= seed.length; cut++) feed(seed.subarray(0, cut), r);
    for (let i = 0; i < 1500; i++) feed(mutate(seed, r), r);
    for (let i = 0; i < 300; i++) feed(randomBytes(r, Math.floor(r() * 600)), r);
    assert.ok(Date.now() - started < 20_000, 'fuzz run took too long');
  });
}

test('fuzz the whole analyzer: 6000 random TCP packets (flags, seq jumps, payloads from seeds) never throw', async () => {
  const { CaptureAnalyzer } = await import('../../../src/capture/analysis/capture-analyzer.ts');
  const { decodedOf } = await import('./synth.ts');
  const r = rng(7);
  const a = new CaptureAnalyzer({ source: 'fuzz', allFlows: true, maxEvents: 10_000 });
  const payloads = [seedWs, seedHttp, seedTls, new Uint8Array(0), new TextEncoder().encode('HTTP/1.1 101 OK\r\n\r\n')];
  let ts = 1_700_000_000_000;
  const seqs = [1000, 5000, 9000, 0xfffffff0];
  for (let i = 1; i <= 6000; i++) {
    const fromA = r() < 0.5;
    const base = payloads[Math.floor(r() * payloads.length)];
    const payload =
      r() < 0.3
        ? mutate(base.length ? base : new Uint8Array(1), r)
        : base.subarray(0, Math.floor(r() * (base.length + 1)));
    ts += r() < 0.05 ? 20_000 : r() * 5;
    const pkt = decodedOf(
      {
        ts,
        src: fromA ? '10.0.0.1' : '10.0.0.2',
        dst: fromA ? '10.0.0.2' : '10.0.0.1',
        sport: fromA ? 50000 + Math.floor(r() * 3) : [80, 443, 9000][Math.floor(r() * 3)],
        dport: fromA ? [80, 443, 9000][Math.floor(r() * 3)] : 50000 + Math.floor(r() * 3),
        seq: (seqs[Math.floor(r() * seqs.length)] + Math.floor(r() * 3000)) >>> 0,
        ack: (seqs[Math.floor(r() * seqs.length)] + Math.floor(r() * 3000)) >>> 0,
        flags: Math.floor(r() * 64) | 0x10,
        window: r() < 0.1 ? 0 : Math.floor(r() * 65536),
        wscale: r() < 0.1 ? Math.floor(r() * 16) : -1,
        mss: -1,
        ttl: 64 - Math.floor(r() * 3),
        ipId: Math.floor(r() * 65536),
        payload,
      },
      i,
    );
    a.add(pkt);
  }
  a.finish();
  const m = a.meta() as { packets: number };
  assert.equal(m.packets, 6000);
});
