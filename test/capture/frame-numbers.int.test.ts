// Capture events carry Wireshark's 1-based frame.number: checked against tshark on the same file (time and ports
// of that frame must be the event's).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { captureToEvents } from '../../src/capture/capture-events.ts';
import { requireTool, tsharkFields } from './analysis/tshark.ts';

const CORPUS = new URL('../../../shared/corpora/public-captures/', import.meta.url).pathname;
const present = existsSync(CORPUS);
if (!present) console.log(`# frame-number tests skipped: ${CORPUS} not found (clone outside the shared workspace)`);
const fx = (name: string) => `${CORPUS}${name}`;

for (const name of [
  'zeek-http-websocket.pcap',
  'zeek-websocket-reply-ping-coalesced.pcap',
  'zeek-tcp-retransmit-timeout.pcapng',
]) {
  test(`${name}: every event's frame is tshark's frame.number of the packet that showed it`, {
    skip: present ? false : 'corpus not present',
  }, async () => {
    requireTool('tshark', 'tshark');
    const r = await captureToEvents(fx(name));
    const out = await tsharkFields(fx(name), [
      'frame.number',
      'frame.time_epoch',
      'tcp.srcport',
      'tcp.dstport',
      'websocket.opcode',
    ]);
    const frames = new Map<number, { t: number; ports: string; ws: boolean }>();
    for (const line of out.trim().split('\n')) {
      const [n, t, sp, dp, op] = line.split('\t');
      frames.set(Number(n), { t: Number(t) * 1000, ports: [sp, dp].sort().join(','), ws: (op ?? '') !== '' });
    }
    const withFrame = r.events.filter((e) => e.frame !== undefined);
    assert.ok(
      withFrame.length > 0 && withFrame.length === r.events.length,
      `${withFrame.length} of ${r.events.length}`,
    );
    let wsSeen = 0;
    for (const e of withFrame) {
      const f = frames.get(e.frame as number);
      assert.ok(f, `frame ${e.frame} exists in tshark's view`);
      assert.ok(Math.abs(f.t - e.ts) < 0.002, `${e.kind} at frame ${e.frame}: ${e.ts} vs tshark ${f.t}`);
      const m = /:(\d+)-.*:(\d+)$/.exec(e.conn ?? '');
      if (m) assert.equal([m[1], m[2]].sort().join(','), f.ports, `${e.kind} frame ${e.frame} ports`);
      if (e.kind === 'ws-message' || e.kind === 'ws-control') wsSeen++;
      if (e.kind === 'ws-message' || e.kind === 'ws-control')
        assert.ok(f.ws, `tshark sees a WebSocket frame in frame ${e.frame}`);
    }
    if (name.includes('websocket')) assert.ok(wsSeen > 0, 'WebSocket frames were checked');
  });
}
