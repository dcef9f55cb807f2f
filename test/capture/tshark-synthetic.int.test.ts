// Synthetic TCP edge cases written as pcap, read by Lifeline and by tshark: every tcp.analysis flag, per packet.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ourFlags } from './analysis/compare.ts';
import { scenarios } from './analysis/scenarios.ts';
import { TcpScript, writePcap } from './analysis/synth.ts';
import { requireTool, tsharkConversations, tsharkCount, tsharkFlags } from './analysis/tshark.ts';

let dir = '';
before(() => {
  requireTool('tshark', 'tshark');
  dir = mkdtempSync(join(tmpdir(), 'lifeline-tshark-synth-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const [name, make] of Object.entries(scenarios)) {
  test(`${name}: per-packet analysis flags equal tshark's`, async () => {
    const f = join(dir, `${name}.pcap`);
    writePcap(f, make().packets);
    const ours = await ourFlags(f);
    assert.equal(ours.packets, tsharkCount(f));
    assert.deepEqual([...ours.flags], [...tsharkFlags(f)]);
  });
}

test('all scenarios in one file (interleaved flows, port reuse): flags and conversations equal tshark', async () => {
  const packets = [];
  let i = 0;
  for (const make of Object.values(scenarios)) {
    const s = make();
    // Distinct client ports, interleaved in time by small offsets.
    for (const p of s.packets)
      packets.push({
        ...p,
        sport: p.sport === 50000 ? 50000 + i : p.sport,
        dport: p.dport === 50000 ? 50000 + i : p.dport,
        ts: p.ts + i * 0.37,
      });
    i++;
  }
  // Port reuse: a second connection on the same 4-tuple after the first one closed (new ISN).
  const again = new TcpScript({ cport: 50000 + Object.keys(scenarios).indexOf('finClose'), t0: 1_700_000_100_000 });
  again.c.isn = 99_999;
  again.handshake();
  packets.push(...again.packets);
  packets.sort((a, b) => a.ts - b.ts);
  const f = join(dir, 'all.pcap');
  writePcap(f, packets);
  const ours = await ourFlags(f);
  assert.deepEqual([...ours.flags], [...tsharkFlags(f)]);
  const conv = tsharkConversations(f);
  assert.equal(ours.table.size, conv.length);
  const ourFrames = ours.table.flows.map((fl) => fl.dirs[0].packets + fl.dirs[1].packets).sort((a, b) => a - b);
  assert.deepEqual(
    ourFrames,
    conv.map((c) => c.frames).sort((a, b) => a - b),
  );
});
