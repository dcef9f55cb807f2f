import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromBytes, readAll } from './read-helpers.ts';
import { block, bytes, concat, customBlock, dsb, epb, idb, isb, nrb, pb, shb, spb } from './synth-capture.ts';

const T0 = 1700000000n;

describe('pcapng reader', () => {
  it('reads sections of both byte orders, each with its own interfaces', async () => {
    const file = concat([
      shb(true),
      idb(true, { linkType: 1, name: 'eth0' }),
      epb(true, { units: T0 * 1_000_000n + 1n, data: bytes(60) }),
      shb(false),
      idb(false, { linkType: 113, tsresol: 9 }),
      idb(false, { linkType: 101 }),
      epb(false, { ifid: 1, units: T0 * 1_000_000n + 2n, data: bytes(70) }),
      epb(false, { ifid: 0, units: T0 * 1_000_000_000n + 123456789n, data: bytes(80), origLen: 1500 }),
    ]);
    const src = await fromBytes(file, 64);
    const got = await readAll(src);
    assert.equal(src.format, 'pcapng');
    assert.deepEqual(src.problems, []);
    assert.deepEqual(
      got.map((g) => [g.frame, g.linkType, g.sec, g.nsec, g.caplen, g.origLen]),
      [
        [1, 1, 1700000000, 1000, 60, 60],
        [2, 101, 1700000000, 2000, 70, 70],
        [3, 113, 1700000000, 123456789, 80, 1500],
      ],
    );
    assert.deepEqual(
      src.interfaces.map((i) => [i.section, i.index, i.linkType, i.tsresol, i.name]),
      [
        [0, 0, 1, 6, 'eth0'],
        [1, 0, 113, 9, undefined],
        [1, 1, 101, 6, undefined],
      ],
    );
    assert.deepEqual(src.blockCounts, { SHB: 2, IDB: 3, EPB: 3 });
  });

  it('applies power-of-2 if_tsresol and if_tsoffset', async () => {
    const file = concat([
      shb(true),
      idb(true, { tsresol: 0x80 | 20, tsoffset: 1000n }), // 2^-20 s units, +1000 s
      epb(true, { units: (T0 << 20n) + (1n << 19n), data: bytes(20) }), // T0 + 0.5 s
    ]);
    const got = await readAll(await fromBytes(file));
    assert.equal(got[0].sec, 1700001000);
    assert.equal(got[0].nsec, 500_000_000);
    assert.equal(got[0].ts, 1700001000500);
  });

  it('SPB takes the IDB snaplen and repeats the previous timestamp', async () => {
    const src = await fromBytes(
      concat([
        shb(true),
        idb(true, { snaplen: 64 }),
        epb(true, { units: T0 * 1_000_000n, data: bytes(40) }),
        spb(true, { data: bytes(100), origLen: 100 }),
      ]),
    );
    let unknown: boolean[] = [];
    const caplens: number[] = [];
    await src.forEachRecord((r) => {
      unknown.push(r.tsUnknown === true);
      caplens.push(r.caplen);
    });
    assert.deepEqual(caplens, [40, 64]);
    assert.deepEqual(unknown, [false, true]);
    unknown = [];
  });

  it('reads obsolete Packet Blocks, NRB names, DSB key logs; skips ISB, custom and unknown blocks', async () => {
    const keylog = 'CLIENT_RANDOM 0011 2233\n';
    const file = concat([
      shb(true),
      idb(true),
      nrb(true, [
        { addr: [10, 0, 0, 1], names: ['api.wxcc-us1.cisco.com', 'alias'] },
        { v6: true, addr: [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1], names: ['v6.example'] },
      ]),
      customBlock(true),
      pb(true, { units: T0 * 1_000_000n + 5n, data: bytes(33) }),
      isb(true),
      block(true, 0x12345, (w) => w.u32(7)),
      dsb(true, keylog),
      customBlock(true, false),
      epb(true, { units: T0 * 1_000_000n + 6n, data: bytes(34) }),
    ]);
    const src = await fromBytes(file, 64);
    const got = await readAll(src);
    assert.deepEqual(src.problems, []);
    // Custom blocks count as frames (Wireshark numbers them), so frames are 2 and 4.
    assert.deepEqual(
      got.map((g) => [g.frame, g.caplen, g.nsec]),
      [
        [2, 33, 5000],
        [4, 34, 6000],
      ],
    );
    assert.deepEqual(src.names.get('10.0.0.1'), ['api.wxcc-us1.cisco.com', 'alias']);
    assert.deepEqual(src.names.get('2001:db8::1'), ['v6.example']);
    assert.deepEqual(src.secrets, [keylog]);
    assert.equal(src.blockCounts.unknown, 1);
  });

  it('resynchronises after a block with a bogus length and keeps later packets', async () => {
    const good = (i: number) => epb(true, { units: T0 * 1_000_000n + BigInt(i), data: bytes(50, i) });
    const bad = block(true, 6, (w) => w.u32(0).u32(0).u32(0).u32(10).u32(10).raw(bytes(12)), 0x7ffffff0);
    const file = concat([shb(true), idb(true), good(1), good(2), bad, good(3), good(4)]);
    const src = await fromBytes(file, 64);
    const got = await readAll(src);
    assert.deepEqual(
      got.map((g) => g.nsec / 1000),
      [1, 2, 3, 4],
    );
    assert.deepEqual(
      src.problems.map((p) => p.code),
      ['PCAPNG_BAD_BLOCK_LENGTH', 'PCAPNG_RESYNC'],
    );
    const badOffset = shb(true).length + idb(true).length + 2 * good(1).length;
    assert.equal(src.problems[0].offset, badOffset);
  });

  it('reports a trailer mismatch, an unknown interface and a truncated last block', async () => {
    const e1 = epb(true, { units: 1n, data: bytes(20) });
    const broken = e1.slice();
    broken[broken.length - 1] ^= 0x40; // trailing length differs
    const file = concat([
      shb(true),
      idb(true),
      broken,
      epb(true, { ifid: 3, units: 2n, data: bytes(20) }),
      epb(true, { units: 3n, data: bytes(20) }),
      e1.subarray(0, 30),
    ]);
    const src = await fromBytes(file, 64);
    const got = await readAll(src);
    assert.deepEqual(
      got.map((g) => g.nsec),
      [3000],
    );
    assert.deepEqual(
      src.problems.map((p) => p.code),
      ['PCAPNG_BLOCK_LENGTH_MISMATCH', 'PCAPNG_RESYNC', 'PCAPNG_UNKNOWN_INTERFACE', 'PCAPNG_TRUNCATED_BLOCK'],
    );
    assert.ok(src.problems.every((p) => typeof p.offset === 'number' && p.file === 'mem.pcap'));
  });

  it('keeps exact ns timestamps beyond 2^53', async () => {
    const units = 1_999_999_999_123_456_789n; // ns since epoch, > 2^53
    const src = await fromBytes(concat([shb(true), idb(true, { tsresol: 9 }), epb(true, { units, data: bytes(4) })]));
    let ns = 0n;
    await src.forEachRecord((r) => {
      ns = r.tsNs;
    });
    assert.equal(ns, units);
  });
});
