// Streaming pcapng writer (used by `capture extract`): one little-endian section, one IDB per distinct
// (link type, snaplen, timestamp resolution), EPBs with ns (default) or µs timestamps, optional DSB (TLS key log) so
// a filtered capture stays decryptable. Bytes go to a sink in ~1 MiB chunks; the sink must consume or copy the chunk
// before returning (it is reused). Timestamps are converted without BigInt: ns since 1970 exceed 2^53, so the 64-bit
// unit count is assembled from exact 16/32-bit parts.
import { closeSync, openSync, writeSync } from 'node:fs';
import { LifelineError } from '../errors.ts';
import type { CaptureRecord } from './packet.ts';

export interface PcapngWriterOptions {
  /** Timestamp resolution of the interfaces this writer declares (default 'ns'). */
  resolution?: 'ns' | 'us';
  /** shb_userappl option. */
  application?: string;
  /** Chunk size handed to the sink (default 1 MiB). */
  chunkSize?: number;
}

const enc = new TextEncoder();

export class PcapngWriter {
  private buf: Buffer;
  private used = 0;
  private readonly ifaces = new Map<string, number>();
  private readonly nanos: boolean;
  /** Packets written so far. */
  packets = 0;

  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    opts: PcapngWriterOptions = {},
  ) {
    this.buf = Buffer.alloc(opts.chunkSize ?? 1 << 20);
    this.nanos = (opts.resolution ?? 'ns') === 'ns';
    const app = enc.encode(opts.application ?? 'lifeline');
    const optLen = 4 + pad4(app.length) + 4;
    const b = this.reserve(0x0a0d0d0a, 16 + optLen);
    b.writeUInt32LE(0x1a2b3c4d, 8);
    b.writeUInt16LE(1, 12);
    b.writeUInt16LE(0, 14);
    b.writeInt32LE(-1, 16); // section length unknown (streaming)
    b.writeInt32LE(-1, 20);
    writeOption(b, 24, 4, app);
  }

  /** Appends one packet; `snaplen` is the source interface's (0 = unknown/unlimited). */
  write(rec: CaptureRecord, snaplen = 0): void {
    const ifid = this.iface(rec.linkType, snaplen);
    const caplen = rec.data.length;
    const b = this.reserve(6, 20 + pad4(caplen));
    const r = rec as CaptureRecord & { tsSec?: number; tsNsec?: number };
    let sec: number;
    let nsec: number;
    if (typeof r.tsSec === 'number' && typeof r.tsNsec === 'number') {
      sec = r.tsSec;
      nsec = r.tsNsec;
    } else {
      const ns = rec.tsNs;
      const s = ns / 1_000_000_000n;
      sec = Number(s);
      nsec = Number(ns - s * 1_000_000_000n);
    }
    let hi: number;
    let lo: number;
    if (this.nanos) {
      // units = sec·1e9 + nsec, assembled exactly: sec = a·2^16 + c.
      const a = Math.floor(sec / 65536);
      const c = sec - a * 65536;
      const y = a * 1e9; // < 2^48
      const yHi = Math.floor(y / 65536);
      const t = (y - yHi * 65536) * 65536 + c * 1e9 + nsec; // < 2^47
      const carry = Math.floor(t / 4294967296);
      hi = yHi + carry;
      lo = t - carry * 4294967296;
    } else {
      const units = sec * 1e6 + Math.floor(nsec / 1000); // < 2^53 until year 2255
      hi = Math.floor(units / 4294967296);
      lo = units - hi * 4294967296;
    }
    b.writeUInt32LE(ifid, 8);
    b.writeUInt32LE(hi >>> 0, 12);
    b.writeUInt32LE(lo >>> 0, 16);
    b.writeUInt32LE(caplen, 20);
    b.writeUInt32LE(Math.max(rec.origLen, caplen), 24);
    b.set(rec.data, 28);
    b.fill(0, 28 + caplen, 28 + pad4(caplen));
    this.packets++;
  }

  /** Appends a Decryption Secrets Block holding a TLS key log (NSS format). */
  writeTlsKeyLog(text: string): void {
    const data = enc.encode(text);
    const b = this.reserve(0x0a, 8 + pad4(data.length));
    b.writeUInt32LE(0x544c534b, 8);
    b.writeUInt32LE(data.length, 12);
    b.set(data, 16);
    b.fill(0, 16 + data.length, 16 + pad4(data.length));
  }

  /** Hands buffered bytes to the sink. */
  flush(): void {
    if (this.used > 0) this.sink(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private iface(linkType: number, snaplen: number): number {
    const key = `${linkType}/${snaplen}`;
    let id = this.ifaces.get(key);
    if (id !== undefined) return id;
    id = this.ifaces.size;
    this.ifaces.set(key, id);
    const b = this.reserve(1, 8 + 8 + 4);
    b.writeUInt16LE(linkType, 8);
    b.writeUInt16LE(0, 10);
    b.writeUInt32LE(snaplen, 12);
    writeOption(b, 16, 9, Uint8Array.of(this.nanos ? 9 : 6));
    return id;
  }

  /** A block of `body` bytes after type+length, with both lengths written; returns its bytes. */
  private reserve(type: number, body: number): Buffer {
    const total = 12 + body;
    if (this.used + total > this.buf.length) this.flush();
    if (total > this.buf.length) this.buf = Buffer.alloc(total);
    const b = this.buf.subarray(this.used, this.used + total);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(total, 4);
    b.writeUInt32LE(total, total - 4);
    this.used += total;
    return b;
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** One option (code, value, padding) followed by opt_endofopt, at b[at]. */
function writeOption(b: Buffer, at: number, code: number, value: Uint8Array): void {
  b.writeUInt16LE(code, at);
  b.writeUInt16LE(value.length, at + 2);
  b.set(value, at + 4);
  const end = at + 4 + pad4(value.length);
  b.fill(0, at + 4 + value.length, end + 4); // padding + opt_endofopt (code 0, length 0)
}

/** A writer on a file (or `-` for stdout, written synchronously). Call `close()` to flush and release it. */
export function createPcapngFile(
  path: string,
  opts: PcapngWriterOptions = {},
): { writer: PcapngWriter; close(): void } {
  let fd: number;
  try {
    fd = path === '-' ? 1 : openSync(path, 'w');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new LifelineError('CAPTURE_WRITE_FAILED', `cannot write ${path}: ${e.code ?? e.message}`, 'input');
  }
  const sink = (chunk: Uint8Array): void => {
    for (let off = 0; off < chunk.length; ) {
      try {
        off += writeSync(fd, chunk, off, chunk.length - off);
      } catch (err) {
        // stdout may be a non-blocking pipe: retry on EAGAIN, fail on anything else.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') {
          const e = err as NodeJS.ErrnoException;
          throw new LifelineError('CAPTURE_WRITE_FAILED', `cannot write ${path}: ${e.code ?? e.message}`, 'input');
        }
      }
    }
  };
  const writer = new PcapngWriter(sink, opts);
  return {
    writer,
    close(): void {
      writer.flush();
      if (fd !== 1) closeSync(fd);
    },
  };
}
