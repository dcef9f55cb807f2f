// Fuzz the readers: truncation at every offset and ~2000 random mutations of real and synthetic captures. Nothing
// may throw; each problem names the file and a byte offset inside it; every record that lies wholly before the
// damage is still produced, byte for byte; no buffer grows to a length a header merely claims.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodePacket } from '../../../src/capture/decode/decode-packet.ts';
import { openCaptureInput } from '../../../src/capture/open-capture.ts';
import { newDecodedPacket } from '../../../src/capture/packet.ts';
import { BytesInput } from '../../../src/capture/sources/byte-inputs.ts';
import { block, bytes, concat, customBlock, dsb, epb, idb, nrb, pb, pcapFile, shb, spb } from './synth-capture.ts';

const FIX = new URL('../../fixtures/capture/', import.meta.url).pathname;

interface Rec {
  offset: number;
  /** Offset just past the record's block in the input. */
  end: number;
  key: string;
}

const decoded = newDecodedPacket();

async function read(
  b: Uint8Array,
  chunkSize: number,
): Promise<{ recs: Rec[]; problems: { code: string; offset?: number; file: string }[] }> {
  const src = await openCaptureInput(new BytesInput(b), 'fuzz.cap', { chunkSize });
  const recs: Rec[] = [];
  await src.forEachRecord((r) => {
    assert.equal(r.data.length, r.caplen);
    decodePacket(r, decoded); // must not throw either
    recs.push({
      offset: r.offset,
      end: 0,
      key: `${r.frame}/${r.tsNs}/${r.linkType}/${Buffer.from(r.data).toString('base64')}`,
    });
  });
  return { recs, problems: src.problems };
}

/** Record ends in the intact file: pcap = header + caplen; pcapng = the block length at offset + 4. */
function withEnds(b: Uint8Array, recs: Rec[], pcapng: boolean): Rec[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return recs.map((r) => {
    if (!pcapng)
      return { ...r, end: r.offset + 16 + dv.getUint32(r.offset + 8, dv.getUint32(0, true) >>> 24 === 0xa1) };
    const le = dv.getUint32(r.offset + 4, true);
    const be = dv.getUint32(r.offset + 4, false);
    const ok = (n: number) =>
      n >= 12 && n % 4 === 0 && r.offset + n <= b.length && dv.getUint32(r.offset + n - 4, n === le) === n;
    return { ...r, end: r.offset + (ok(le) ? le : be) };
  });
}

/** Offsets where the intact file can end cleanly: after the pcap header / after any pcapng block. */
function boundaries(b: Uint8Array, pcapng: boolean): Set<number> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Set<number>([0]);
  if (!pcapng) {
    const le = dv.getUint32(0, true) >>> 24 === 0xa1;
    let at = 24;
    out.add(at);
    while (at + 16 <= b.length) {
      at += 16 + dv.getUint32(at + 8, le);
      out.add(at);
    }
    return out;
  }
  let le = true;
  for (let at = 0; at + 12 <= b.length; ) {
    if (dv.getUint32(at, true) === 0x0a0d0d0a) le = dv.getUint32(at + 8, true) === 0x1a2b3c4d;
    at += dv.getUint32(at + 4, le);
    out.add(at);
  }
  return out;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const synthPcapng = concat([
  shb(true),
  idb(true, { linkType: 1, tsresol: 9 }),
  nrb(true, [{ addr: [10, 0, 0, 1], names: ['a.example'] }]),
  epb(true, { units: 1_700_000_000_000_000_000n, data: bytes(64, 1) }),
  customBlock(true),
  spb(true, { data: bytes(40, 2) }),
  dsb(true, 'CLIENT_RANDOM 00 11\n'),
  shb(false),
  idb(false, { linkType: 101, tsresol: 0x80 | 20 }),
  pb(false, { units: 5n << 40n, data: bytes(30, 3) }),
  epb(false, { units: 6n << 40n, data: bytes(70, 4) }),
  block(false, 0x777, (w) => w.u32(1)),
]);
const synthPcap = pcapFile({
  ns: true,
  le: false,
  records: Array.from({ length: 8 }, (_, i) => ({ sec: 1700000000 + i, frac: i * 1000, data: bytes(30 + i * 7, i) })),
});

const SEEDS: { name: string; bytes: Uint8Array; pcapng: boolean }[] = [
  { name: 'lo-echo.pcap', bytes: new Uint8Array(readFileSync(`${FIX}lo-echo.pcap`)), pcapng: false },
  { name: 'lo-echo.pcapng', bytes: new Uint8Array(readFileSync(`${FIX}lo-echo.pcapng`)), pcapng: true },
  { name: 'any-echo-ns.pcap', bytes: new Uint8Array(readFileSync(`${FIX}any-echo-ns.pcap`)), pcapng: false },
  { name: 'synthetic.pcapng', bytes: synthPcapng, pcapng: true },
  { name: 'synthetic.pcap', bytes: synthPcap, pcapng: false },
];

function checkProblems(problems: { code: string; offset?: number; file: string }[], len: number, what: string): void {
  for (const p of problems) {
    assert.equal(p.file, 'fuzz.cap', what);
    assert.equal(typeof p.offset, 'number', `${what}: ${p.code} has an offset`);
    assert.ok((p.offset as number) >= 0 && (p.offset as number) <= len + 4096, `${what}: ${p.code} offset ${p.offset}`);
  }
}

function assertPrefix(got: Rec[], intact: Rec[], damageAt: number, what: string): void {
  const before = intact.filter((r) => r.end <= damageAt);
  assert.ok(got.length >= before.length, `${what}: ${got.length} records, ${before.length} lie before the damage`);
  assert.deepEqual(
    got.slice(0, before.length).map((r) => r.key),
    before.map((r) => r.key),
    what,
  );
}

describe('capture reader fuzz', () => {
  for (const seed of SEEDS) {
    it(`${seed.name}: truncation at every offset`, async () => {
      const full = await read(seed.bytes, 4096);
      assert.deepEqual(full.problems, []);
      assert.ok(full.recs.length >= 4);
      const intact = withEnds(seed.bytes, full.recs, seed.pcapng);
      const ends = boundaries(seed.bytes, seed.pcapng);
      for (let cut = 0; cut < seed.bytes.length; cut++) {
        const got = await read(seed.bytes.subarray(0, cut), 64 + (cut % 200));
        checkProblems(got.problems, cut, `cut ${cut}`);
        assertPrefix(got.recs, intact, cut, `cut ${cut}`);
        assert.ok(got.recs.length <= intact.length);
        // Cutting mid-record must be reported; cutting pcap at a record boundary is a clean end.
        if (!ends.has(cut) && cut > 0 && got.recs.length < intact.length)
          assert.ok(got.problems.length > 0, `cut ${cut} reported`);
        if (ends.has(cut) && cut > 0) assert.deepEqual(got.problems, [], `cut ${cut} is a block boundary`);
      }
      // Also through gzip, at a few cuts of the compressed stream.
      const gz = gzipSync(seed.bytes);
      for (let cut = 10; cut < gz.length; cut += 7) {
        const got = await read(gz.subarray(0, cut), 256);
        checkProblems(got.problems, seed.bytes.length, `gz cut ${cut}`);
        assert.ok(
          got.problems.some((p) => p.code === 'GZIP_TRUNCATED'),
          `gz cut ${cut}: ${JSON.stringify(got.problems)}`,
        );
        assertPrefix(got.recs, intact, 0, `gz cut ${cut}`);
      }
    });
  }

  it('~2000 random mutations: no exception, located problems, intact prefix', async (t) => {
    const started = Date.now();
    let runs = 0;
    const rand = rng(0xc0ffee);
    const intacts = await Promise.all(
      SEEDS.map(async (s) => withEnds(s.bytes, (await read(s.bytes, 4096)).recs, s.pcapng)),
    );
    while (runs < 2000 && Date.now() - started < 30_000) {
      const k = Math.floor(rand() * SEEDS.length);
      const seed = SEEDS[k];
      const b = seed.bytes.slice();
      let at = Math.floor(rand() * b.length);
      let mutated: Uint8Array = b;
      const kind = Math.floor(rand() * 5);
      if (kind === 0) {
        const n = 1 + Math.floor(rand() * 8);
        for (let i = 0; i < n; i++) b[Math.min(b.length - 1, at + Math.floor(rand() * 32))] = Math.floor(rand() * 256);
      } else if (kind === 1) {
        at &= ~3;
        const v = [0xffffffff, 0x7ffffff0, 0x03fffff0, 0, 12, 13][Math.floor(rand() * 6)];
        new DataView(b.buffer).setUint32(Math.min(at, b.length - 4), v, rand() < 0.5);
        at = Math.min(at, b.length - 4);
      } else if (kind === 2) {
        const n = 1 + Math.floor(rand() * 64);
        mutated = concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + n))]);
      } else if (kind === 3) {
        const junk = Uint8Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256));
        mutated = concat([b.subarray(0, at), junk, b.subarray(at)]);
      } else {
        b[at] ^= 1 << Math.floor(rand() * 8);
      }
      const what = `${seed.name} mutation ${runs} kind ${kind} at ${at}`;
      const got = await read(mutated, 64 + Math.floor(rand() * 4000));
      checkProblems(got.problems, mutated.length, what);
      assertPrefix(got.recs, intacts[k], at, what);
      runs++;
    }
    t.diagnostic(`${runs} mutations in ${Date.now() - started} ms`);
    assert.ok(runs >= 500, `ran ${runs} mutations`);
  });

  it('a bogus huge block length does not allocate that length', async () => {
    const bogus = block(true, 6, (w) => w.u32(0).u32(0).u32(0).u32(8).u32(8).raw(bytes(8)), 0x03fffff0); // 64 MiB - 16
    const file = concat([
      shb(true),
      idb(true),
      bogus,
      ...Array.from({ length: 50 }, (_, i) => epb(true, { units: BigInt(i), data: bytes(100, i) })),
    ]);
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const src = await openCaptureInput(new BytesInput(file), 'fuzz.cap', { chunkSize: 4096 });
    let n = 0;
    await src.forEachRecord(() => {
      n++;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    });
    assert.equal(n, 50);
    assert.ok(peak - before < 4 << 20, `grew by ${peak - before} bytes`);
    assert.deepEqual(
      src.problems.map((p) => p.code),
      ['PCAPNG_TRUNCATED_BLOCK', 'PCAPNG_RESYNC'],
    );
  });
});
