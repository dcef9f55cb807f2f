// Test helper: our per-packet TCP analysis flags over a capture file, in the same canonical form as tsharkFlags().
import { A_ZERO_WINDOW_PROBE_ACK, FLAG_NAMES } from '../../../src/capture/analysis/tcp-analysis.ts';
import { FlowTable } from '../../../src/capture/analysis/tcp-flow.ts';
import { decodePacket } from '../../../src/capture/decode/decode-packet.ts';
import { openCapture } from '../../../src/capture/open-capture.ts';
import { newDecodedPacket } from '../../../src/capture/packet.ts';
import { normalise } from './tshark.ts';

export async function ourFlags(
  file: string,
): Promise<{ flags: Map<number, string>; table: FlowTable; packets: number }> {
  const src = await openCapture(file);
  const table = new FlowTable();
  const pkt = newDecodedPacket();
  const flags = new Map<number, string>();
  let packets = 0;
  for await (const rec of src) {
    packets++;
    decodePacket(rec, pkt);
    if (pkt.l4 !== 6) continue;
    const r = table.add(pkt);
    const f = r.analysis.flags;
    if (f === 0) continue;
    const names: string[] = [];
    for (const [bit, name] of FLAG_NAMES) if (f & bit) names.push(name);
    if (f & A_ZERO_WINDOW_PROBE_ACK) names.push('zero-window-probe-ack');
    flags.set(rec.frame, normalise(names, r.analysis.dupAckNum));
  }
  return { flags, table, packets };
}
