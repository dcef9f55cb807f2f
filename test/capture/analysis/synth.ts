// Test helper: scripted TCP conversations → raw Ethernet/IPv4/TCP frames, a tiny pcap writer, and the same packets
// as DecodedPacket objects (so analysis tests do not depend on the decoder).

import { writeFileSync } from 'node:fs';
import {
  type DecodedPacket,
  newDecodedPacket,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
} from '../../../src/capture/packet.ts';

export interface SynthPacket {
  ts: number; // epoch ms
  src: string;
  dst: string;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  wscale: number; // -1 = no option
  mss: number; // -1 = no option
  ttl: number;
  ipId: number;
  payload: Uint8Array;
}

function ipBytes(ip: string): number[] {
  return ip.split('.').map((x) => Number(x));
}

function checksum(buf: Uint8Array, start: number, end: number, init = 0): number {
  let sum = init;
  for (let i = start; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if ((end - start) & 1) sum += buf[end - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Ethernet + IPv4 + TCP frame with valid checksums. */
export function frameOf(p: SynthPacket): Uint8Array {
  const opts: number[] = [];
  if (p.mss >= 0) opts.push(2, 4, p.mss >> 8, p.mss & 0xff);
  if (p.wscale >= 0) opts.push(1, 3, 3, p.wscale);
  while (opts.length % 4) opts.push(0);
  const tcpLen = 20 + opts.length;
  const ipLen = 20 + tcpLen + p.payload.length;
  const f = new Uint8Array(14 + ipLen);
  const dv = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  dv.setUint16(12, 0x0800);
  const ip = 14;
  f[ip] = 0x45;
  dv.setUint16(ip + 2, ipLen);
  dv.setUint16(ip + 4, p.ipId & 0xffff);
  dv.setUint16(ip + 6, 0x4000);
  f[ip + 8] = p.ttl;
  f[ip + 9] = 6;
  f.set(ipBytes(p.src), ip + 12);
  f.set(ipBytes(p.dst), ip + 16);
  dv.setUint16(ip + 10, checksum(f, ip, ip + 20));
  const t = ip + 20;
  dv.setUint16(t, p.sport);
  dv.setUint16(t + 2, p.dport);
  dv.setUint32(t + 4, p.seq >>> 0);
  dv.setUint32(t + 8, p.ack >>> 0);
  f[t + 12] = (tcpLen / 4) << 4;
  f[t + 13] = p.flags;
  dv.setUint16(t + 14, p.window);
  f.set(opts, t + 20);
  f.set(p.payload, t + tcpLen);
  // Pseudo-header sum.
  let ps = 0;
  const sb = ipBytes(p.src);
  const db = ipBytes(p.dst);
  ps += (sb[0] << 8) | sb[1];
  ps += (sb[2] << 8) | sb[3];
  ps += (db[0] << 8) | db[1];
  ps += (db[2] << 8) | db[3];
  ps += 6 + tcpLen + p.payload.length;
  dv.setUint16(t + 16, checksum(f, t, f.length, ps));
  return f;
}

/** Ethernet + IPv4 + UDP frame (UDP checksum 0 = not computed, legal for IPv4). */
export function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const ipLen = 20 + 8 + payload.length;
  const f = new Uint8Array(14 + ipLen);
  const dv = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  dv.setUint16(12, 0x0800);
  f[14] = 0x45;
  dv.setUint16(16, ipLen);
  f[22] = 64;
  f[23] = 17;
  f.set(ipBytes(src), 26);
  f.set(ipBytes(dst), 30);
  dv.setUint16(24, checksum(f, 14, 34));
  dv.setUint16(34, sport);
  dv.setUint16(36, dport);
  dv.setUint16(38, 8 + payload.length);
  f.set(payload, 42);
  return f;
}

/** A DNS response for `name` (type A) with an optional CNAME hop and A records. */
export function dnsResponse(name: string, addrs: string[], cname?: string): Uint8Array {
  const enc = (n: string): number[] => [...n.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];
  const out: number[] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, addrs.length + (cname ? 1 : 0), 0, 0, 0, 0];
  out.push(...enc(name), 0, 1, 0, 1);
  let owner = [0xc0, 12];
  if (cname) {
    const rd = enc(cname);
    out.push(...owner, 0, 5, 0, 1, 0, 0, 0, 60, 0, rd.length, ...rd);
    owner = enc(cname);
  }
  for (const a of addrs) out.push(...owner, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ipBytes(a));
  return new Uint8Array(out);
}

/** Classic pcap of raw Ethernet frames. */
export function writePcapFrames(path: string, frames: { ts: number; data: Uint8Array }[]): void {
  const parts: Uint8Array[] = [];
  const gh = new Uint8Array(24);
  const g = new DataView(gh.buffer);
  g.setUint32(0, 0xa1b2c3d4, true);
  g.setUint16(4, 2, true);
  g.setUint16(6, 4, true);
  g.setUint32(16, 262144, true);
  g.setUint32(20, 1, true);
  parts.push(gh);
  for (const f of frames) {
    const rh = new Uint8Array(16);
    const r = new DataView(rh.buffer);
    const us = Math.round(f.ts * 1000);
    r.setUint32(0, Math.floor(us / 1e6), true);
    r.setUint32(4, us % 1e6, true);
    r.setUint32(8, f.data.length, true);
    r.setUint32(12, f.data.length, true);
    parts.push(rh, f.data);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** Classic pcap (µs, little-endian, Ethernet). */
export function writePcap(path: string, packets: SynthPacket[]): void {
  const parts: Uint8Array[] = [];
  const gh = new Uint8Array(24);
  const g = new DataView(gh.buffer);
  g.setUint32(0, 0xa1b2c3d4, true);
  g.setUint16(4, 2, true);
  g.setUint16(6, 4, true);
  g.setUint32(16, 262144, true);
  g.setUint32(20, 1, true);
  parts.push(gh);
  for (const p of packets) {
    const fr = frameOf(p);
    const rh = new Uint8Array(16);
    const r = new DataView(rh.buffer);
    const us = Math.round(p.ts * 1000);
    r.setUint32(0, Math.floor(us / 1e6), true);
    r.setUint32(4, us % 1e6, true);
    r.setUint32(8, fr.length, true);
    r.setUint32(12, fr.length, true);
    parts.push(rh, fr);
  }
  writeFileSync(path, Buffer.concat(parts));
}

/** The packet as the decoder would present it (a fresh object per packet: tests may keep them). */
export function decodedOf(p: SynthPacket, frame: number): DecodedPacket {
  const d = newDecodedPacket();
  const fr = frameOf(p);
  d.record.ts = p.ts;
  d.record.tsNs = BigInt(Math.round(p.ts * 1e6)) * 1000n;
  d.record.linkType = 1;
  d.record.caplen = fr.length;
  d.record.origLen = fr.length;
  d.record.data = fr;
  d.record.frame = frame;
  d.record.offset = 24 + (frame - 1) * 16;
  d.l3 = 4;
  d.srcIp = p.src;
  d.dstIp = p.dst;
  d.ttl = p.ttl;
  d.ipId = p.ipId;
  d.l4 = 6;
  d.srcPort = p.sport;
  d.dstPort = p.dport;
  d.tcp.seq = p.seq >>> 0;
  d.tcp.ack = p.ack >>> 0;
  d.tcp.flags = p.flags;
  d.tcp.window = p.window;
  d.tcp.hdrLen = 20;
  d.tcp.mss = p.mss;
  d.tcp.wscale = p.wscale;
  d.payload = p.payload;
  d.payloadLen = p.payload.length;
  return d;
}

interface Side {
  ip: string;
  port: number;
  isn: number;
  next: number; // next seq to send
  acked: number; // what this side acknowledges (other side's next)
  window: number;
  ttl: number;
  ipId: number;
}

/**
 * A scripted TCP conversation. Each call appends one packet at the current time; `at(ms)` moves time.
 * Sequence numbers are tracked like a real stack so scenarios can then deviate on purpose.
 */
export class TcpScript {
  readonly packets: SynthPacket[] = [];
  t: number;
  readonly c: Side;
  readonly s: Side;
  constructor(opts: { t0?: number; client?: string; server?: string; cport?: number; sport?: number } = {}) {
    this.t = opts.t0 ?? 1_700_000_000_000;
    this.c = {
      ip: opts.client ?? '10.0.0.1',
      port: opts.cport ?? 50000,
      isn: 1000,
      next: 1000,
      acked: 0,
      window: 65535,
      ttl: 64,
      ipId: 100,
    };
    this.s = {
      ip: opts.server ?? '10.0.0.2',
      port: opts.sport ?? 443,
      isn: 5000,
      next: 5000,
      acked: 0,
      window: 65535,
      ttl: 57,
      ipId: 9000,
    };
  }
  at(ms: number): this {
    this.t += ms;
    return this;
  }
  side(who: 'c' | 's'): [Side, Side] {
    return who === 'c' ? [this.c, this.s] : [this.s, this.c];
  }
  raw(who: 'c' | 's', o: Partial<SynthPacket>): SynthPacket {
    const [a, b] = this.side(who);
    const p: SynthPacket = {
      ts: this.t,
      src: a.ip,
      dst: b.ip,
      sport: a.port,
      dport: b.port,
      seq: a.next,
      ack: a.acked,
      flags: TCP_ACK,
      window: a.window,
      wscale: -1,
      mss: -1,
      ttl: a.ttl,
      ipId: a.ipId++,
      payload: new Uint8Array(0),
      ...o,
    };
    this.packets.push(p);
    return p;
  }
  handshake(opts: { wscaleC?: number; wscaleS?: number } = {}): this {
    this.raw('c', { seq: this.c.isn, ack: 0, flags: TCP_SYN, mss: 1460, wscale: opts.wscaleC ?? -1 });
    this.c.next = this.c.isn + 1;
    this.s.acked = this.c.next;
    this.at(0.2);
    this.raw('s', { seq: this.s.isn, flags: TCP_SYN | TCP_ACK, mss: 1460, wscale: opts.wscaleS ?? -1 });
    this.s.next = this.s.isn + 1;
    this.c.acked = this.s.next;
    this.at(0.2);
    this.raw('c', {});
    return this;
  }
  /** Send data from `who` (advances its seq; the receiver's ack is *not* advanced until `ackBy`). */
  send(who: 'c' | 's', data: Uint8Array | string, o: Partial<SynthPacket> = {}): SynthPacket {
    const [a] = this.side(who);
    const payload = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const p = this.raw(who, { flags: TCP_ACK | TCP_PSH, payload, ...o });
    a.next = (p.seq + payload.length) >>> 0;
    return p;
  }
  /** `who` acknowledges everything the other side sent so far. */
  ackBy(who: 'c' | 's', o: Partial<SynthPacket> = {}): SynthPacket {
    const [a, b] = this.side(who);
    a.acked = b.next;
    return this.raw(who, o);
  }
  fin(who: 'c' | 's'): SynthPacket {
    const [a, b] = this.side(who);
    a.acked = b.next;
    const p = this.raw(who, { flags: TCP_FIN | TCP_ACK });
    a.next = (a.next + 1) >>> 0;
    return p;
  }
  rst(who: 'c' | 's', o: Partial<SynthPacket> = {}): SynthPacket {
    return this.raw(who, { flags: TCP_RST | TCP_ACK, ...o });
  }
  decoded(): DecodedPacket[] {
    return this.packets.map((p, i) => decodedOf(p, i + 1));
  }
}

export { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN };
