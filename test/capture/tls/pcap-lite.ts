// Test-local reader for what `tcpdump -i lo -w` writes on this machine (classic pcap, Ethernet link type, IPv4/TCP):
// enough to rebuild the TCP byte streams of one connection. The product's pcap/pcapng readers live elsewhere.

import type { Direction } from '../../../src/capture/tls/tls-session.ts';
import type { Chunk } from './tls-lab.ts';

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: number;
  flags: number;
  payload: Buffer;
}

/** TCP segments of an Ethernet/IPv4 pcap (µs or ns magic, little or big endian). Stops quietly at a torn tail. */
export function readTcpSegments(file: Buffer): TcpSegment[] {
  const out: TcpSegment[] = [];
  if (file.length < 24) return out;
  const magicLE = file.readUInt32LE(0);
  const le = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`pcap-lite handles Ethernet only, got link type ${linkType}`);
  let off = 24;
  while (off + 16 <= file.length) {
    const capLen = u32(off + 8);
    const start = off + 16;
    if (start + capLen > file.length) break;
    const pkt = file.subarray(start, start + capLen);
    off = start + capLen;
    if (pkt.length < 14 + 20 || pkt.readUInt16BE(12) !== 0x0800) continue;
    const ip = pkt.subarray(14);
    const ihl = (ip[0] & 0x0f) * 4;
    if (ip[9] !== 6) continue;
    const ipLen = ip.readUInt16BE(2);
    const tcp = ip.subarray(ihl, ipLen);
    const doff = (tcp[12] >> 4) * 4;
    out.push({
      srcPort: tcp.readUInt16BE(0),
      dstPort: tcp.readUInt16BE(2),
      seq: tcp.readUInt32BE(4),
      flags: tcp[13],
      payload: Buffer.from(tcp.subarray(doff)),
    });
  }
  return out;
}

/** The connection's payload as ordered chunks (duplicates/retransmissions of already-seen bytes dropped). */
export function tcpChunks(segments: TcpSegment[], serverPort: number): Chunk[] {
  const next: { [d in Direction]?: number } = {};
  const out: Chunk[] = [];
  for (const s of segments) {
    const dir: Direction = s.srcPort === serverPort ? 's2c' : 'c2s';
    if (s.flags & 0x02) {
      next[dir] = (s.seq + 1) >>> 0; // SYN takes one sequence number
      continue;
    }
    if (s.payload.length === 0) continue;
    if (next[dir] === undefined) next[dir] = s.seq; // SYN not captured: start at the first payload
    const skip = ((next[dir] as number) - s.seq) >>> 0;
    if (skip >= s.payload.length) continue; // entirely old
    if (skip > 0x7fffffff) throw new Error('gap in the captured TCP stream');
    out.push({ dir, data: s.payload.subarray(skip) });
    next[dir] = (s.seq + s.payload.length) >>> 0;
  }
  return out;
}

/** Both sides sent FIN. */
export function bothFinned(segments: TcpSegment[], serverPort: number): boolean {
  let c = false;
  let sv = false;
  for (const s of segments) {
    if (!(s.flags & 0x01)) continue;
    if (s.srcPort === serverPort) sv = true;
    else c = true;
  }
  return c && sv;
}
