// A fast raw pcap writer for the bench generators: Ethernet/IPv4/TCP packets appended to an 8 MiB buffer.
// TCP checksums are left 0 (readers and tshark do not verify them by default).
import { closeSync, openSync, writeSync } from 'node:fs';

export const SYN = 2;
export const ACK = 16;
export const PSH = 8;
export const FIN = 1;
export const RST = 4;

export class PcapOut {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(8 << 20);
  private used = 0;
  /** Bytes already flushed to the file. */
  written = 0;
  packets = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'w');
    // pcap header (µs, Ethernet)
    this.buf.writeUInt32LE(0xa1b2c3d4, 0);
    this.buf.writeUInt16LE(2, 4);
    this.buf.writeUInt16LE(4, 6);
    this.buf.writeUInt32LE(262144, 16);
    this.buf.writeUInt32LE(1, 20);
    this.used = 24;
  }

  /** Bytes written so far, including the buffer. */
  get size(): number {
    return this.written + this.used;
  }

  /** Append one packet at `tsUs` (µs since the epoch); `payload` null = `payloadLen` bytes of `filler`. */
  packet(
    tsUs: number,
    src: number,
    dst: number,
    sport: number,
    dport: number,
    seq: number,
    ack: number,
    flags: number,
    payload: Buffer | null,
    payloadLen: number,
    ttl: number,
    filler: Buffer,
  ): void {
    const tcpLen = 20;
    const ipLen = 20 + tcpLen + payloadLen;
    const frameLen = 14 + ipLen;
    if (this.used + 16 + frameLen > this.buf.length) this.flush();
    const b = this.buf;
    let o = this.used;
    b.writeUInt32LE(Math.floor(tsUs / 1e6), o);
    b.writeUInt32LE(tsUs % 1e6, o + 4);
    b.writeUInt32LE(frameLen, o + 8);
    b.writeUInt32LE(frameLen, o + 12);
    o += 16;
    b.fill(0, o, o + 14 + 40);
    b[o] = 2;
    b[o + 5] = 2;
    b[o + 6] = 2;
    b[o + 11] = 1;
    b.writeUInt16BE(0x0800, o + 12);
    const ip = o + 14;
    b[ip] = 0x45;
    b.writeUInt16BE(ipLen, ip + 2);
    b.writeUInt16BE(this.packets & 0xffff, ip + 4);
    b.writeUInt16BE(0x4000, ip + 6);
    b[ip + 8] = ttl;
    b[ip + 9] = 6;
    b.writeUInt32BE(src >>> 0, ip + 12);
    b.writeUInt32BE(dst >>> 0, ip + 16);
    b.writeUInt16BE(ipSum(b, ip), ip + 10);
    const t = ip + 20;
    b.writeUInt16BE(sport, t);
    b.writeUInt16BE(dport, t + 2);
    b.writeUInt32BE(seq >>> 0, t + 4);
    b.writeUInt32BE(ack >>> 0, t + 8);
    b[t + 12] = (tcpLen / 4) << 4;
    b[t + 13] = flags;
    b.writeUInt16BE(65535, t + 14);
    if (payloadLen > 0) (payload ?? filler).copy(b, t + tcpLen, 0, payloadLen);
    this.used = o + frameLen;
    this.packets++;
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.written += this.used;
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function ipSum(b: Buffer, o: number): number {
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += b.readUInt16BE(o + i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Deterministic LCG in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
}
