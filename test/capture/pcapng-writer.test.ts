import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openCapture } from '../../src/capture/open-capture.ts';
import type { CaptureRecord } from '../../src/capture/packet.ts';
import { createPcapngFile, PcapngWriter } from '../../src/capture/pcapng-writer.ts';
import { tsharkFields } from './analysis/tshark.ts';

const FIX = new URL('../fixtures/capture/', import.meta.url).pathname;

async function tshark(file: string): Promise<string[]> {
  const stdout = await tsharkFields(file, [
    'frame.interface_id',
    'frame.time_epoch',
    'frame.cap_len',
    'frame.len',
    'frame.protocols',
  ]);
  return stdout.trim().split('\n');
}

async function records(file: string): Promise<string[]> {
  const src = await openCapture(file);
  const out: string[] = [];
  await src.forEachRecord((r) => {
    out.push(`${r.linkType} ${r.tsNs} ${r.caplen} ${r.origLen} ${Buffer.from(r.data).toString('hex')}`);
  });
  assert.deepEqual(src.problems, []);
  return out;
}

describe('pcapng writer', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lifeline-wr-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const resolution of ['ns', 'us'] as const) {
    it(`copies two captures of different link types (${resolution}); tshark and the reader agree`, async () => {
      const out = join(dir, `merged-${resolution}.pcapng`);
      const { writer, close } = createPcapngFile(out, { resolution, chunkSize: 512 });
      const want: string[] = [];
      for (const f of ['lo-echo.pcap', 'any-echo-ns.pcap']) {
        const src = await openCapture(FIX + f);
        const snaplen = src.interfaces[0]?.snaplen ?? 0;
        await src.forEachRecord((r: CaptureRecord) => {
          writer.write(r, snaplen);
          const ns = resolution === 'ns' ? r.tsNs : (r.tsNs / 1000n) * 1000n;
          want.push(`${r.linkType} ${ns} ${r.caplen} ${r.origLen} ${Buffer.from(r.data).toString('hex')}`);
        });
      }
      writer.writeTlsKeyLog('CLIENT_RANDOM aa bb\n');
      close();
      assert.equal(writer.packets, want.length);
      assert.deepEqual(await records(out), want);
      const src = await openCapture(out);
      await src.forEachRecord(() => {});
      assert.deepEqual(
        src.interfaces.map((i) => [i.linkType, i.tsresol]),
        [
          [1, resolution === 'ns' ? 9 : 6],
          [276, resolution === 'ns' ? 9 : 6],
        ],
      );
      assert.deepEqual(src.secrets, ['CLIENT_RANDOM aa bb\n']);
      const shark = await tshark(out);
      assert.equal(shark.length, want.length);
      for (let i = 0; i < want.length; i++) {
        const [iface, time, cap, len, protos] = shark[i].split('\t');
        const [, ns, caplen, origLen] = want[i].split(' ');
        assert.equal(iface, i < 13 ? '0' : '1');
        const [s, f] = time.split('.');
        assert.equal(BigInt(s) * 1_000_000_000n + BigInt(f.padEnd(9, '0')), BigInt(ns));
        assert.equal(cap, caplen);
        assert.equal(len, origLen);
        assert.match(protos, /:ip:(tcp|udp)/);
      }
    });
  }

  it('keeps ns timestamps past 2^53 exact and chunks across the sink', () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapngWriter((c) => chunks.push(c.slice()), { chunkSize: 64 });
    const rec = {
      ts: 0,
      tsNs: 4_102_444_800_123_456_789n, // 2100-01-01
      linkType: 101,
      ifIndex: 0,
      section: 0,
      caplen: 5,
      origLen: 9,
      data: Uint8Array.of(0x45, 1, 2, 3, 4),
      offset: 0,
      frame: 1,
    };
    w.write(rec);
    w.flush();
    const all = Buffer.concat(chunks);
    const epbAt = all.length - 40; // 12 + 20 + 5 bytes padded to 8
    assert.equal(all.readUInt32LE(epbAt), 6);
    const units = (BigInt(all.readUInt32LE(epbAt + 12)) << 32n) | BigInt(all.readUInt32LE(epbAt + 16));
    assert.equal(units, 4_102_444_800_123_456_789n);
    assert.equal(all.readUInt32LE(epbAt + 24), 9);
  });
});
