import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants, createDeflateRaw } from 'node:zlib';
import { type WsFrame, WsFrameParser } from '../../../src/capture/analysis/ws-frames.ts';
import { type WsControl, type WsMessage, WsMessageAssembler } from '../../../src/capture/analysis/ws-stream.ts';
import { cat, wsFrame } from './ws-build.ts';

interface Seen {
  frames: { op: number; fin: boolean; len: number; text: string; truncated: boolean }[];
  errors: string[];
}

function parseAll(bytes: Uint8Array, chunk: number, max = 1 << 20): Seen {
  const seen: Seen = { frames: [], errors: [] };
  const p = new WsFrameParser(
    {
      frame(f: WsFrame) {
        seen.frames.push({
          op: f.opcode,
          fin: f.fin,
          len: f.length,
          text: new TextDecoder().decode(f.payload),
          truncated: f.truncated,
        });
      },
      error(code: string) {
        seen.errors.push(code);
      },
    },
    max,
  );
  for (let i = 0; i < bytes.length; i += chunk) p.push(bytes.subarray(i, i + chunk), i);
  return seen;
}

const MASK = [0x11, 0x22, 0x33, 0x44];

test('frames of every length class, masked or not, give the same result for any chunking', () => {
  const big = 'x'.repeat(70000);
  const mid = 'y'.repeat(300);
  const stream = cat(
    wsFrame(1, '{"keepalive":"true"}', { mask: MASK }),
    wsFrame(1, mid),
    wsFrame(2, big, { mask: MASK }),
    wsFrame(9, 'ping'),
    wsFrame(1, ''),
  );
  const ref = parseAll(stream, stream.length);
  assert.deepEqual(
    ref.frames.map((f) => [f.op, f.len]),
    [
      [1, 20],
      [1, 300],
      [2, 70000],
      [9, 4],
      [1, 0],
    ],
  );
  assert.equal(ref.frames[0].text, '{"keepalive":"true"}');
  assert.equal(ref.frames[2].text, big);
  for (const chunk of [1, 2, 3, 7, 13, 1000]) assert.deepEqual(parseAll(stream, chunk), ref, `chunk ${chunk}`);
});

test('payloads above the cap are counted, cut and flagged', () => {
  const s = parseAll(cat(wsFrame(1, 'z'.repeat(5000)), wsFrame(1, 'ok')), 100, 1000);
  assert.equal(s.frames[0].len, 5000);
  assert.equal(s.frames[0].text.length, 1000);
  assert.equal(s.frames[0].truncated, true);
  assert.equal(s.frames[1].text, 'ok');
});

test('protocol errors have stable codes and stop the direction', () => {
  assert.deepEqual(parseAll(cat(wsFrame(3, 'a'), wsFrame(1, 'b')), 1).errors, ['WS_RESERVED_OPCODE']);
  assert.deepEqual(parseAll(wsFrame(9, 'a', { fin: false }), 4).errors, ['WS_CONTROL_FRAGMENTED']);
  const huge = new Uint8Array([0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(parseAll(huge, 3).errors, ['WS_LENGTH_TOO_BIG']);
});

test('an over-long control frame is reported and still delivered; the frames after it are parsed', () => {
  const reason = 'C'.repeat(256);
  const bytes = cat(
    wsFrame(8, cat(new Uint8Array([0x03, 0xe8]), new TextEncoder().encode(reason))),
    wsFrame(1, 'after'),
  );
  for (const chunk of [1, 7, bytes.length]) {
    const seen = parseAll(bytes, chunk);
    assert.deepEqual(seen.errors, ['WS_CONTROL_TOO_LONG'], `chunk ${chunk}`);
    assert.deepEqual(
      seen.frames.map((f) => [f.op, f.len]),
      [
        [8, 258],
        [1, 5],
      ],
    );
  }
  const a = assemble(bytes);
  assert.deepEqual(a.errors, ['WS_CONTROL_TOO_LONG']);
  assert.equal(a.ctl[0].op, 'close');
  assert.equal(a.ctl[0].code, 1000);
  assert.equal(a.ctl[0].reason, reason);
  assert.deepEqual(
    a.msgs.map((m) => m.text),
    ['after'],
  );
});

function assemble(
  bytes: Uint8Array,
  opts: { deflate?: boolean; noContextTakeover?: boolean } = {},
): {
  msgs: { op: number; len: number; text: string; frames: number; compressed: boolean }[];
  ctl: WsControl[];
  errors: string[];
} {
  const out = {
    msgs: [] as { op: number; len: number; text: string; frames: number; compressed: boolean }[],
    ctl: [] as WsControl[],
    errors: [] as string[],
  };
  const asm = new WsMessageAssembler(
    {
      message(m: WsMessage) {
        out.msgs.push({
          op: m.opcode,
          len: m.length,
          text: new TextDecoder().decode(m.data),
          frames: m.frames,
          compressed: m.compressed,
        });
      },
      control(c: WsControl) {
        out.ctl.push({ ...c, payload: c.payload.slice() });
      },
      error(code: string) {
        out.errors.push(code);
      },
    },
    opts,
  );
  const p = new WsFrameParser(asm);
  for (let i = 0; i < bytes.length; i += 5) p.push(bytes.subarray(i, i + 5), i);
  return out;
}

test('fragmented message with a ping between fragments, then a close with code and reason', () => {
  const close = cat(new Uint8Array([0x03, 0xe8]), new TextEncoder().encode('bye'));
  const r = assemble(
    cat(
      wsFrame(1, 'hel', { fin: false, mask: MASK }),
      wsFrame(9, 'p', { mask: MASK }),
      wsFrame(0, 'lo ', { fin: false, mask: MASK }),
      wsFrame(0, 'world', { mask: MASK }),
      wsFrame(8, close, { mask: MASK }),
    ),
  );
  assert.deepEqual(r.msgs, [{ op: 1, len: 11, text: 'hello world', frames: 3, compressed: false }]);
  assert.deepEqual(
    r.ctl.map((c) => [c.op, c.code, c.reason]),
    [
      ['ping', undefined, undefined],
      ['close', 1000, 'bye'],
    ],
  );
  assert.deepEqual(r.errors, []);
});

test('continuation without a message is reported, not thrown', () => {
  assert.deepEqual(assemble(wsFrame(0, 'x')).errors, ['WS_UNEXPECTED_CONTINUATION']);
});

/** Compress messages like a permessage-deflate sender with context takeover (one deflate stream, sync flush). */
async function deflateMessages(msgs: string[], takeover: boolean): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let d = createDeflateRaw();
  for (const m of msgs) {
    if (!takeover) d = createDeflateRaw();
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    d.on('data', onData);
    d.write(m);
    await new Promise<void>((r) => d.flush(constants.Z_SYNC_FLUSH, () => r()));
    d.off('data', onData);
    const all = Buffer.concat(chunks);
    out.push(new Uint8Array(all.subarray(0, all.length - 4))); // strip 00 00 ff ff (RFC 7692 §7.2.1)
  }
  return out;
}

test('permessage-deflate with context takeover: later messages back-reference earlier ones', async () => {
  const texts = ['{"keepalive":"true"}', '{"keepalive":"true"}', '{"type":"AgentStateChange","data":{"x":1}}'];
  const comp = await deflateMessages(texts, true);
  // The second identical message must be tiny (a back-reference), which only inflates with the carried window.
  assert.ok(comp[1].length < comp[0].length);
  const r = assemble(cat(...comp.map((c) => wsFrame(1, c, { rsv1: true }))), { deflate: true });
  assert.deepEqual(
    r.msgs.map((m) => m.text),
    texts,
  );
  assert.equal(r.msgs[2].len, texts[2].length);
  assert.equal(r.msgs[0].compressed, true);
  assert.deepEqual(r.errors, []);
});

test('permessage-deflate without context takeover, and a compressed message split over fragments', async () => {
  const texts = ['aaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaa'];
  const comp = await deflateMessages(texts, false);
  const half = comp[1].length >> 1;
  const r = assemble(
    cat(
      wsFrame(1, comp[0], { rsv1: true }),
      wsFrame(1, comp[1].subarray(0, half), { rsv1: true, fin: false }),
      wsFrame(0, comp[1].subarray(half)),
    ),
    { deflate: true, noContextTakeover: true },
  );
  assert.deepEqual(
    r.msgs.map((m) => m.text),
    texts,
  );
});

test('garbage compressed data is a WS_INFLATE_FAILED problem and later messages report lost context', () => {
  const r = assemble(
    cat(wsFrame(1, new Uint8Array([0xff, 0xff, 0xff]), { rsv1: true }), wsFrame(1, 'x', { rsv1: true })),
    {
      deflate: true,
    },
  );
  assert.equal(r.msgs.length, 2);
  assert.deepEqual(r.errors, ['WS_INFLATE_FAILED', 'WS_INFLATE_NO_CONTEXT']);
});

test('pushOneFrame stops after each frame and returns where the next one starts', () => {
  const a = wsFrame(1, 'ab');
  const b = wsFrame(2, 'cde', { mask: MASK });
  const bytes = cat(a, b, wsFrame(9, ''));
  const seen: number[] = [];
  const p = new WsFrameParser({ frame: (f) => seen.push(f.opcode), error: () => {} });
  const stops: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    i = p.pushOneFrame(bytes, i, 0);
    stops.push(i);
    assert.equal(p.atFrameStart, true);
  }
  assert.deepEqual(stops, [a.length, a.length + b.length, bytes.length]);
  assert.deepEqual(seen, [1, 2, 9]);
});
