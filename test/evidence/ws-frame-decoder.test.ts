import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WsFrameDecoder } from '../../src/evidence/ws-frame-decoder.ts';

function frame(opcode: number, payload: Uint8Array, opts: { fin?: boolean; mask?: number[] } = {}): Uint8Array {
  const len = payload.length;
  const head: number[] = [(opts.fin === false ? 0 : 0x80) | opcode];
  const m = opts.mask ? 0x80 : 0;
  if (len < 126) head.push(m | len);
  else if (len < 65536) head.push(m | 126, len >> 8, len & 255);
  else head.push(m | 127, 0, 0, 0, 0, (len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255);
  const body = Uint8Array.from(payload, (b, i) => (opts.mask ? b ^ opts.mask[i & 3] : b));
  return Uint8Array.from([...head, ...(opts.mask ?? []), ...body]);
}

test('skips the HTTP upgrade, unmasks, handles 16- and 64-bit lengths and fragments, keeps a bounded prefix', () => {
  const http = new TextEncoder().encode('GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n');
  const ka = new TextEncoder().encode('{"keepalive":"true"}');
  const mid = new Uint8Array(300).fill(0x61);
  const big = new Uint8Array(70000).fill(0x62);
  const stream = Uint8Array.from([
    ...http,
    ...frame(1, ka, { mask: [1, 2, 3, 4] }),
    ...frame(1, mid, { fin: false }),
    ...frame(0, ka),
    ...frame(9, new Uint8Array(0)),
    ...frame(2, big),
    ...frame(8, Uint8Array.from([0x03, 0xe8, 0x62, 0x79, 0x65])),
  ]);
  for (const step of [1, 7, 1000, stream.length]) {
    const d = new WsFrameDecoder(64);
    const out = [];
    for (let i = 0; i < stream.length; i += step) out.push(...d.push(stream.subarray(i, i + step)));
    assert.equal(d.broken, undefined);
    assert.deepEqual(
      out.map((f) => [f.opcode, f.fin, f.length, f.payload.length]),
      [
        [1, true, 20, 20],
        [1, false, 300, 64],
        [0, true, 20, 20],
        [9, true, 0, 0],
        [2, true, 70000, 64],
        [8, true, 5, 5],
      ],
      `step ${step}`,
    );
    assert.equal(new TextDecoder().decode(out[0].payload), '{"keepalive":"true"}');
  }
});

test('a bad opcode marks the stream broken instead of throwing', () => {
  const d = new WsFrameDecoder(64, false);
  assert.deepEqual(d.push(Uint8Array.of(0x83, 0x00, 0x81, 0x00)), []);
  assert.match(d.broken ?? '', /bad frame header/);
});

test('a proxy CONNECT head before the upgrade head is skipped too, at any chunking', () => {
  const t = new TextEncoder();
  const bytes = Uint8Array.from([
    ...t.encode('HTTP/1.1 200 Connection Established\r\n\r\n'),
    ...t.encode('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'),
    0x81,
    0x02,
    0x68,
    0x69,
  ]);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const d = new WsFrameDecoder(64);
    const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
    assert.equal(d.broken, undefined, `cut ${cut}`);
    assert.equal(out.length, 1, `cut ${cut}`);
    assert.equal(new TextDecoder().decode(out[0].payload), 'hi');
  }
});

test('one RFC 6455 parser with the capture analyzer: a fragmented control frame breaks the stream, an over-long one is read', () => {
  // Fragmented ping: boundaries of control frames can no longer be trusted (RFC 6455 §5.5), same rule as captures.
  const frag = new WsFrameDecoder(64, false);
  assert.deepEqual(frag.push(frame(9, new Uint8Array(1), { fin: false })), []);
  assert.match(frag.broken ?? '', /bad frame header: .*WS_CONTROL_FRAGMENTED/);
  // A 258-byte close declares its length: it is returned, and so is the frame after it.
  const close = Uint8Array.from([0x03, 0xe8, ...new Uint8Array(256).fill(0x43)]);
  const d = new WsFrameDecoder(1024, false);
  const out = d.push(Uint8Array.from([...frame(8, close), ...frame(1, new TextEncoder().encode('x'))]));
  assert.equal(d.broken, undefined);
  assert.deepEqual(
    out.map((f) => [f.opcode, f.length, f.payload.length]),
    [
      [8, 258, 258],
      [1, 1, 1],
    ],
  );
});
