import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openCapture } from '../../../src/capture/open-capture.ts';
import { fromBytes, readAll } from './read-helpers.ts';
import { bytes, type PcapRecordSpec, pcapFile } from './synth-capture.ts';

const recs = [
  { sec: 1700000000, frac: 123456, data: bytes(60, 1) },
  { sec: 1700000001, frac: 999999, data: bytes(150, 2), origLen: 1514 },
  { sec: 1700000002, frac: 0, data: bytes(1, 3) },
];

describe('pcap reader', () => {
  for (const le of [true, false]) {
    for (const ns of [false, true]) {
      it(`reads ${ns ? 'ns' : 'µs'} ${le ? 'little' : 'big'}-endian records across tiny refills`, async () => {
        const src = await fromBytes(pcapFile({ le, ns, linkType: 113, records: recs }), 64);
        const got = await readAll(src);
        assert.equal(src.format, ns ? 'pcap-ns' : 'pcap');
        assert.deepEqual(src.problems, []);
        assert.equal(got.length, 3);
        assert.deepEqual(
          got.map((g) => [g.frame, g.sec, g.nsec, g.caplen, g.origLen, g.linkType]),
          recs.map((r, i) => [
            i + 1,
            r.sec,
            ns ? r.frac : r.frac * 1000,
            r.data.length,
            r.origLen ?? r.data.length,
            113,
          ]),
        );
        assert.deepEqual(got[1].data, Array.from(recs[1].data));
        assert.equal(got[0].offset, 24);
        assert.equal(got[1].offset, 24 + 16 + 60);
        assert.equal(got[0].ts, ns ? 1700000000000 + 123456 / 1e6 : 1700000000123.456);
        assert.equal(src.interfaces[0].tsresol, ns ? 9 : 6);
      });
    }
  }

  it('takes the link type from the low 16 bits and the FCS length from the F bit', async () => {
    const field = 0x10000000 | (2 << 29) | 1; // F set, FCS = 2 × 16-bit words = 4 bytes, Ethernet
    const src = await fromBytes(pcapFile({ linkTypeField: field >>> 0, records: recs.slice(0, 1) }));
    const got = await readAll(src);
    assert.equal(got[0].linkType, 1);
    assert.equal(src.interfaces[0].fcsLen, 4);
  });

  it('reads Kuznetzov-patched files (24-byte record headers)', async () => {
    const got = await readAll(await fromBytes(pcapFile({ kuznetzov: true, records: recs })));
    assert.deepEqual(
      got.map((g) => g.caplen),
      [60, 150, 1],
    );
  });

  it('keeps records over the snaplen with one warning', async () => {
    const src = await fromBytes(pcapFile({ snaplen: 100, records: recs }));
    const got = await readAll(src);
    assert.equal(got.length, 3);
    assert.deepEqual(
      src.problems.map((p) => [p.code, p.severity, p.offset]),
      [['PCAP_SNAPLEN_EXCEEDED', 'warning', 24 + 16 + 60]],
    );
  });

  it('reports a truncated last record with its offset and keeps the earlier ones', async () => {
    const full = pcapFile({ records: recs });
    const cut = full.subarray(0, full.length - 1);
    const src = await fromBytes(cut);
    const got = await readAll(src);
    assert.equal(got.length, 2);
    assert.equal(src.problems.length, 1);
    assert.equal(src.problems[0].code, 'PCAP_TRUNCATED_RECORD');
    assert.equal(src.problems[0].offset, 24 + 16 + 60 + 16 + 150);
    assert.equal(src.problems[0].file, 'mem.pcap');
  });

  it('resynchronises after a record with a bogus length, without allocating it', async () => {
    const many: PcapRecordSpec[] = Array.from({ length: 20 }, (_, i) => ({
      sec: 1700000000 + i,
      frac: i,
      data: bytes(40 + i, i),
    }));
    many[5] = { ...many[5], caplenField: 0x7ffffff0 };
    const src = await fromBytes(pcapFile({ records: many }));
    const got = await readAll(src);
    assert.deepEqual(
      src.problems.map((p) => p.code),
      ['PCAP_BAD_RECORD_LENGTH', 'PCAP_RESYNC'],
    );
    // Records 1-5 before the damage, 7-20 after it.
    assert.deepEqual(
      got.map((g) => g.sec - 1700000000),
      [0, 1, 2, 3, 4, ...Array.from({ length: 14 }, (_, i) => i + 6)],
    );
  });

  it('reports an unknown format and an empty file as problems, not exceptions', async () => {
    const a = await fromBytes(new TextEncoder().encode('hello world, not a capture'));
    assert.deepEqual(await readAll(a), []);
    assert.equal(a.format, 'unknown');
    assert.equal(a.problems[0].code, 'CAPTURE_UNKNOWN_FORMAT');
    const b = await fromBytes(new Uint8Array(0));
    assert.deepEqual(await readAll(b), []);
    assert.equal(b.problems[0].code, 'CAPTURE_EMPTY');
    const c = await fromBytes(pcapFile({ records: [] }).subarray(0, 10));
    assert.deepEqual(await readAll(c), []);
    assert.equal(c.problems[0].code, 'PCAP_TRUNCATED_HEADER');
  });

  it('un-gzips by content, including a truncated gzip stream', async () => {
    const raw = pcapFile({ records: recs });
    const gz = gzipSync(raw);
    const src = await fromBytes(gz, 64);
    assert.equal(src.gzip, true);
    assert.equal((await readAll(src)).length, 3);
    assert.deepEqual(src.problems, []);
    const many = Array.from({ length: 200 }, (_, i) => ({ sec: 1700000000 + i, frac: i, data: bytes(40 + i, i) }));
    const bigGz = gzipSync(pcapFile({ records: many }));
    const cut = await fromBytes(bigGz.subarray(0, bigGz.length - 12), 64);
    const got = await readAll(cut);
    assert.ok(got.length >= 190 && got.length < 200, `records before the cut survive (${got.length})`);
    assert.deepEqual(
      got.map((g) => g.sec - 1700000000),
      Array.from({ length: got.length }, (_, i) => i),
    );
    assert.ok(
      cut.problems.some((p) => p.code === 'GZIP_TRUNCATED'),
      JSON.stringify(cut.problems),
    );
  });

  it('reads stdin (`-`), gzipped or not', async () => {
    const raw = pcapFile({ ns: true, records: recs });
    for (const b of [raw, gzipSync(raw)]) {
      const chunks = [b.subarray(0, 3), b.subarray(3, 50), b.subarray(50)].map((c) => Buffer.from(c));
      const src = await openCapture('-', { stdin: Readable.from(chunks), chunkSize: 64 });
      assert.equal(src.format, 'pcap-ns');
      assert.deepEqual(
        (await readAll(src)).map((g) => g.nsec),
        [123456, 999999, 0],
      );
    }
  });

  it('async iteration yields the same records as forEachRecord', async () => {
    const src = await fromBytes(pcapFile({ records: recs }), 64);
    const frames: number[] = [];
    for await (const r of src) frames.push(r.caplen);
    assert.deepEqual(frames, [60, 150, 1]);
  });

  it('rejects a missing file with CAPTURE_OPEN_FAILED (exit 3)', async () => {
    await assert.rejects(openCapture('/nonexistent/x.pcap'), (e: Error & { code?: string; kind?: string }) => {
      assert.equal(e.code, 'CAPTURE_OPEN_FAILED');
      assert.equal(e.kind, 'input');
      return true;
    });
  });
});

describe('pcap interfaces', () => {
  it('are known right after open, before any record is read', async () => {
    const src = await fromBytes(pcapFile({ snaplen: 1234, linkType: 101, records: recs }), 64);
    assert.deepEqual(
      src.interfaces.map((i) => [i.linkType, i.snaplen]),
      [[101, 1234]],
    );
    assert.equal((await readAll(src)).length, 3);
  });
});

describe('progress counters', () => {
  it('fileBytesRead counts compressed bytes, bytesRead decompressed ones', async () => {
    const many = Array.from({ length: 300 }, (_, i) => ({ sec: 1700000000 + i, frac: 0, data: bytes(200, i % 3) }));
    const raw = pcapFile({ records: many });
    const gz = gzipSync(raw);
    const src = await fromBytes(gz, 4096);
    await readAll(src);
    assert.equal(src.bytesRead, raw.length);
    assert.equal(src.fileBytesRead, gz.length);
    assert.ok(gz.length < raw.length / 4);
  });
});

describe('other compressors', () => {
  it('names zstd / xz / bzip2 / lz4 instead of "unknown format"', async () => {
    for (const [magic, name] of [
      [[0x28, 0xb5, 0x2f, 0xfd, 0, 0], 'zstd'],
      [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz'],
      [[0x42, 0x5a, 0x68, 0x39, 0, 0], 'bzip2'],
      [[0x04, 0x22, 0x4d, 0x18, 0, 0], 'lz4'],
    ] as const) {
      const src = await fromBytes(Uint8Array.from(magic));
      assert.deepEqual(await readAll(src), []);
      assert.equal(src.problems[0].code, 'CAPTURE_COMPRESSION_UNSUPPORTED');
      assert.match(src.problems[0].message, new RegExp(`^${name}-compressed`));
    }
  });
});
