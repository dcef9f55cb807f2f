// Conformance: every file of the pcapng-test-generator corpus (little- and big-endian) must read without an
// exception, match the block counts and block order its .txt describes, and agree with tshark on every frame
// (number, timestamp, lengths, interface). Skipped with a printed reason when the shared corpus is absent.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openCapture } from '../../src/capture/open-capture.ts';
import { tsharkFields } from './analysis/tshark.ts';

const CORPUS = new URL('../../../shared/corpora/pcapng-test-generator/', import.meta.url).pathname;
const present = existsSync(CORPUS);
if (!present) console.log(`# corpus tests skipped: ${CORPUS} not found (clone outside the shared workspace)`);

function corpusFiles(): string[] {
  const out: string[] = [];
  for (const order of ['output_le', 'output_be'])
    for (const cat of ['basic', 'advanced', 'difficult']) {
      const dir = join(CORPUS, order, cat);
      for (const f of readdirSync(dir).sort()) if (f.endsWith('.pcapng')) out.push(join(dir, f));
    }
  return out;
}

interface Described {
  counts: Record<string, number>;
  sequence: string[];
}

function describeTxt(path: string): Described {
  const txt = readFileSync(path, 'utf8');
  const counts: Record<string, number> = {};
  for (const m of txt.matchAll(/^\s+([A-Z]+):\s+(\d+)\s*$/gm)) counts[m[1]] = Number(m[2]);
  const seq = /Block sequence:\s*(.*)/.exec(txt);
  return { counts, sequence: seq ? seq[1].split(',').map((s) => s.trim()) : [] };
}

interface TsharkFrame {
  frame: number;
  time: string;
  caplen: number;
  len: number;
  iface: string;
}

async function tsharkFrames(file: string): Promise<TsharkFrame[]> {
  const stdout = await tsharkFields(
    file,
    ['frame.number', 'frame.time_epoch', 'frame.cap_len', 'frame.len', 'frame.interface_id'],
    { maxBuffer: 1 << 24 },
  );
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [frame, time, caplen, len, iface] = l.split('\t');
      return { frame: Number(frame), time, caplen: Number(caplen), len: Number(len), iface };
    });
}

describe('pcapng-test-generator corpus', { skip: present ? false : 'corpus not present' }, () => {
  const files = present ? corpusFiles() : [];
  it('has the 48 files', () => {
    assert.equal(files.length, 48);
  });

  for (const file of files) {
    const short = file.slice(CORPUS.length);
    it(`${short}: blocks, packets, interfaces, sections and frames as described and as tshark reads them`, async () => {
      const want = describeTxt(file.replace(/\.pcapng$/, '.txt'));
      const [src, shark] = await Promise.all([
        openCapture(file, { traceBlocks: true, chunkSize: 256 }),
        tsharkFrames(file),
      ]);
      const got: { frame: number; time: string; caplen: number; len: number; iface: number; tsUnknown: boolean }[] = [];
      await src.forEachRecord((r) => {
        const ns = r.tsNs;
        got.push({
          frame: r.frame,
          time: `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`,
          caplen: r.caplen,
          len: r.origLen,
          iface: r.ifIndex,
          tsUnknown: r.tsUnknown === true,
        });
      });
      assert.deepEqual(src.problems, [], short);
      assert.equal(src.format, 'pcapng');
      assert.deepEqual({ ...src.blockCounts }, want.counts, `${short}: block counts`);
      assert.deepEqual(src.blockTrace, want.sequence, `${short}: block sequence`);
      const packets = (want.counts.EPB ?? 0) + (want.counts.SPB ?? 0) + (want.counts.PB ?? 0);
      assert.equal(got.length, packets, `${short}: packets`);
      assert.equal(src.interfaces.length, want.counts.IDB ?? 0, `${short}: interfaces`);
      assert.equal(new Set(src.interfaces.map((i) => i.section)).size <= (want.counts.SHB ?? 0), true);
      // tshark lists packets and custom blocks as frames; ours must be exactly its packet frames.
      const sharkPackets = shark.filter((f) => f.iface !== '');
      assert.deepEqual(
        got.map((g) => [g.frame, g.tsUnknown ? '' : g.time, g.caplen, g.len, String(g.iface)]),
        sharkPackets.map((f) => [f.frame, f.time, f.caplen, f.len, f.iface]),
        `${short}: frames vs tshark`,
      );
    });
  }

  it('little- and big-endian versions of each file yield identical records', async () => {
    for (const le of files.filter((f) => f.includes('/output_le/'))) {
      const be = le.replace('/output_le/', '/output_be/');
      const read = async (f: string) => {
        const src = await openCapture(f);
        const out: string[] = [];
        await src.forEachRecord((r) => {
          out.push(
            `${r.frame} ${r.tsNs} ${r.linkType} ${r.ifIndex} ${r.section} ${Buffer.from(r.data).toString('hex')}`,
          );
        });
        return { out, names: [...src.names.entries()] };
      };
      assert.deepEqual(await read(le), await read(be), le);
    }
  });
});
