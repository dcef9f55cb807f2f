// Multiplies a recorded loopback capture to any size for the benchmarks: copy k is shifted k × (span + 5 s) in
// time and its desktops get their own address 127.1.(k >> 8).(k & 255) (the server's side stays 127.0.0.1), with the
// IPv4 and TCP checksums updated. Distinct addresses make each copy's connections new connections — as a site of
// agents would — instead of the same 5-tuples again (which readers, like tshark's conversations, fold into one).
// Classic pcap (µs or ns, either byte order) of Ethernet (tcpdump on `lo`) carrying IPv4 only.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1624 incremental update of a checksum at `at` for a 32-bit field changed from `was` to `now`. */
function updateChecksum(b: Buffer, at: number, was: number, now: number): void {
  let s = ~b.readUInt16BE(at) & 0xffff;
  s += ~(was >>> 16) & 0xffff;
  s += ~was & 0xffff;
  s += now >>> 16;
  s += now & 0xffff;
  b.writeUInt16BE(~fold(s) & 0xffff, at);
}

interface PcapLayout {
  le: boolean;
  nano: boolean;
}

function layout(b: Buffer, file: string): PcapLayout {
  const magic = b.readUInt32LE(0);
  if (magic === 0xa1b2c3d4) return { le: true, nano: false };
  if (magic === 0xa1b23c4d) return { le: true, nano: true };
  if (magic === 0xd4c3b2a1) return { le: false, nano: false };
  if (magic === 0x4d3cb2a1) return { le: false, nano: true };
  throw new Error(`${file}: not a classic pcap (magic 0x${magic.toString(16)})`);
}

/** Rewrites one packet in place: the non-server end's address → `client`. */
function readdress(p: Buffer, serverPorts: Set<number>, client: number): void {
  if (p.length < 14 + 20 || p.readUInt16BE(12) !== 0x0800) return;
  const ip = 14;
  const ihl = (p[ip] & 0x0f) * 4;
  if (p[ip + 9] !== 6 || p.length < ip + ihl + 18) return;
  const tcp = ip + ihl;
  const fromServer = serverPorts.has(p.readUInt16BE(tcp));
  const at = ip + (fromServer ? 16 : 12);
  const was = p.readUInt32BE(at);
  p.writeUInt32BE(client >>> 0, at);
  updateChecksum(p, ip + 10, was, client);
  updateChecksum(p, tcp + 16, was, client);
}

/** Writes `copies` readdressed, time-shifted copies of `base` to `out`; returns the bytes written. */
export function multiplyCapture(base: string, out: string, copies: number, serverPorts: number[]): number {
  const src = readFileSync(base);
  const { le, nano } = layout(src, base);
  const u32 = (o: number) => (le ? src.readUInt32LE(o) : src.readUInt32BE(o));
  const unit = nano ? 1e9 : 1e6;
  // Packet offsets and the span of the recording.
  const offsets: number[] = [];
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (let o = 24; o + 16 <= src.length; ) {
    const incl = u32(o + 8);
    if (o + 16 + incl > src.length) break; // a cut last record is left out
    offsets.push(o);
    const t = u32(o) + u32(o + 4) / unit;
    first = Math.min(first, t);
    last = Math.max(last, t);
    o += 16 + incl;
  }
  const shiftS = Math.ceil(last - first) + 5;
  const ports = new Set(serverPorts);
  const fd = openSync(out, 'w');
  let written = writeSync(fd, src.subarray(0, 24));
  for (let k = 0; k < copies; k++) {
    const client = ((127 << 24) | (1 << 16) | (((k >> 8) & 0xff) << 8) | (k & 0xff)) >>> 0;
    const chunks: Buffer[] = [];
    for (const o of offsets) {
      const rec = Buffer.from(src.subarray(o, o + 16 + u32(o + 8)));
      const sec = u32(o) + k * shiftS;
      if (le) rec.writeUInt32LE(sec, 0);
      else rec.writeUInt32BE(sec, 0);
      readdress(rec.subarray(16), ports, client);
      chunks.push(rec);
    }
    written += writeSync(fd, Buffer.concat(chunks));
  }
  closeSync(fd);
  return written;
}
