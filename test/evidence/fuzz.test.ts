// Bounded fuzzing of the evidence readers: truncation at every offset of small inputs, seeded random mutations,
// random chunking, hostile strings. The property: no exception escapes, every event is well-formed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { EvidenceResult } from '../../src/events/types.ts';
import { detectBytes } from '../../src/evidence/detect-format.ts';
import { HarStream } from '../../src/evidence/har-reader.ts';
import { NetlogStream } from '../../src/evidence/netlog-reader.ts';
import { ReportStream } from '../../src/evidence/report-reader.ts';
import { WsFrameDecoder } from '../../src/evidence/ws-frame-decoder.ts';
import { seededRandom as rng } from '../helpers/fuzz.ts';

const fx = (name: string) => readFileSync(new URL(`../fixtures/evidence/${name}`, import.meta.url));
type Reader = new (file: string) => { push(c: Uint8Array): void; end(): EvidenceResult };

function read(R: Reader, bytes: Uint8Array, chunks?: number[]): EvidenceResult {
  const s = new R('fuzz');
  if (!chunks) s.push(bytes);
  else {
    let at = 0;
    for (const c of chunks) {
      s.push(bytes.subarray(at, at + c));
      at += c;
    }
    s.push(bytes.subarray(at));
  }
  return s.end();
}

function wellFormed(r: EvidenceResult, label: string): void {
  for (const e of r.events) {
    assert.ok(Number.isFinite(e.ts), `${label}: event ts finite`);
    if (e.kind === 'ws-message') {
      assert.ok(e.dir === 'c2s' || e.dir === 's2c', label);
      assert.ok(Number.isFinite(e.length) && e.length >= 0, label);
      assert.ok(e.text === undefined || e.text.length <= 512, label);
    }
  }
  for (const p of r.problems) {
    assert.equal(typeof p.code, 'string');
    assert.ok(p.offset === undefined || (Number.isInteger(p.offset) && p.offset >= 0), `${label}: offset`);
  }
}

/** A small real NetLog: the fixture's constants cut down to the types used, and its first WebSocket events. */
function smallNetlog(): Uint8Array {
  const full = JSON.parse(fx('netlog-ws.json').toString('utf8'));
  const types = full.constants.logEventTypes as Record<string, number>;
  const events = (full.events as { type: number }[]).filter((_, i) => i >= 100 && i < 130);
  const used = new Set(events.map((e) => e.type));
  const constants = {
    logEventTypes: Object.fromEntries(Object.entries(types).filter(([, v]) => used.has(v))),
    logSourceType: full.constants.logSourceType,
    netError: { WS_UPGRADE: -173, CONNECTION_RESET: -101 },
    timeTickOffset: full.constants.timeTickOffset,
  };
  return new TextEncoder().encode(
    `{"constants":${JSON.stringify(constants)},\n"events": [\n${events.map((e) => JSON.stringify(e)).join(',\n')}\n]}\n`,
  );
}

test('truncation at every offset: HAR, report and a small NetLog never throw and keep what completed', () => {
  const cases: [string, Reader, Uint8Array, string][] = [
    ['har', HarStream, fx('chrome-wxcc.har'), 'HAR_JSON_TRUNCATED'],
    ['report', ReportStream, fx('report-v1.json'), 'REPORT_JSON_TRUNCATED'],
    ['netlog', NetlogStream, smallNetlog(), 'NETLOG_TRUNCATED'],
  ];
  for (const [label, R, bytes, code] of cases) {
    const full = read(R, bytes);
    const fullMsgs = full.events.filter((e) => e.kind === 'ws-message' || e.kind === 'ws-control').length;
    assert.ok(fullMsgs > 0 || label === 'report', label);
    let prev = 0;
    for (let cut = 0; cut < bytes.length - 1; cut++) {
      const r = read(R, bytes.subarray(0, cut));
      wellFormed(r, `${label} cut ${cut}`);
      const n = r.events.filter((e) => e.kind === 'ws-message' || e.kind === 'ws-control').length;
      assert.ok(n <= fullMsgs, `${label} cut ${cut}: no invented messages`);
      if (label !== 'netlog') {
        // HAR entries and report entries are emitted as they complete: longer prefixes never lose any.
        assert.ok(n >= prev, `${label} cut ${cut}: ${n} < ${prev}`);
        prev = n;
      }
      if (cut > 0)
        assert.ok(
          r.problems.some((p) => p.code === code || p.code.endsWith('JSON_EMPTY')),
          `${label} cut ${cut}`,
        );
    }
  }
});

test('seeded random mutations (flips, inserts, deletes) never throw', () => {
  const next = rng(20261125);
  const inputs: [Reader, Uint8Array][] = [
    [HarStream, fx('chrome-wxcc.har')],
    [ReportStream, fx('report-v1.json')],
    [NetlogStream, smallNetlog()],
    [NetlogStream, fx('netlog-wss.json')],
  ];
  const alphabet = [0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x2c, 0x30, 0x75, 0x00, 0xff, 0xc3, 0x0a];
  const deadline = Date.now() + 30_000;
  let runs = 0;
  for (const [R, base] of inputs) {
    for (let i = 0; i < 150 && Date.now() < deadline; i++) {
      let b = Array.from(base);
      const edits = 1 + Math.floor(next() * 8);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(next() * b.length);
        const what = next();
        const byte = next() < 0.5 ? alphabet[Math.floor(next() * alphabet.length)] : Math.floor(next() * 256);
        if (what < 0.4) b[at] = byte;
        else if (what < 0.7) b.splice(at, 0, byte);
        else b.splice(at, 1 + Math.floor(next() * 20));
      }
      const bytes = Uint8Array.from(b);
      b = [];
      const r = read(R, bytes);
      wellFormed(r, `mutation ${i}`);
      runs++;
    }
  }
  assert.ok(runs >= 100, `ran ${runs} mutations`);
});

test('any chunking gives the same events', () => {
  const next = rng(7);
  for (const [R, bytes] of [
    [HarStream, fx('chrome-wxcc.har')],
    [NetlogStream, fx('netlog-ws.json')],
    [ReportStream, fx('report-v1.json')],
  ] as [Reader, Uint8Array][]) {
    const whole = JSON.stringify(read(R, bytes).events);
    for (let i = 0; i < 10; i++) {
      const chunks: number[] = [];
      let total = 0;
      while (total < bytes.length) {
        const c = 1 + Math.floor(next() * (next() < 0.3 ? 3 : 400));
        chunks.push(c);
        total += c;
      }
      assert.equal(JSON.stringify(read(R, bytes, chunks).events), whole);
    }
  }
});

test('hostile strings: 1 MB messages, script tags, control characters, deep nesting', () => {
  const hostile = '<script>alert(1)</script>\u0000\u001b[2J\u202e'.repeat(3) + 'x'.repeat(1024 * 1024);
  const har = {
    log: {
      creator: { name: 'WebInspector' },
      entries: [
        {
          _resourceType: 'websocket',
          connection: hostile.slice(0, 100),
          startedDateTime: '2026-11-25T09:00:00Z',
          request: { url: `wss://h.example/${'<'.repeat(5000)}` },
          response: { status: 101 },
          _webSocketMessages: [{ type: 'receive', time: 1795597200, opcode: 1, data: hostile }],
          deep: JSON.parse('['.repeat(200) + ']'.repeat(200)),
        },
      ],
    },
  };
  const r = read(HarStream, new TextEncoder().encode(JSON.stringify(har)));
  wellFormed(r, 'hostile');
  const m = r.events.find((e) => e.kind === 'ws-message');
  assert.ok(m && m.kind === 'ws-message');
  assert.equal(m.text?.length, 512);
  assert.equal(m.length, Buffer.byteLength(hostile));
  // Nesting past the limit is an error with an offset, not a crash.
  const deep = read(HarStream, new TextEncoder().encode(`{"log":{"entries":[${'['.repeat(2000)}`));
  assert.ok(deep.problems.some((p) => p.code === 'HAR_JSON_TOO_DEEP' && typeof p.offset === 'number'));
});

test('detection and the WebSocket frame decoder never throw on random bytes', () => {
  const next = rng(99);
  for (let i = 0; i < 500; i++) {
    const n = Math.floor(next() * 300);
    const b = new Uint8Array(n);
    for (let k = 0; k < n; k++) b[k] = Math.floor(next() * 256);
    if (next() < 0.2 && n > 0) b[0] = 0x7b;
    const d = detectBytes(b);
    assert.ok(typeof d.kind === 'string');
    const dec = new WsFrameDecoder(64, next() < 0.5);
    for (let at = 0; at < n; at += 1 + Math.floor(next() * 50)) {
      for (const f of dec.push(b.subarray(at, at + 50))) {
        assert.ok(f.length >= 0 && f.payload.length <= 64 && f.payload.length <= f.length);
      }
    }
  }
});
