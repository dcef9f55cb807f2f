// Opens a capture file (or `-` for stdin), un-gzips it when it starts with 1f 8b, and picks the parser from the
// first bytes (pcap magics, pcapng section header). Content decides, never the file name. An unreadable path
// rejects with LifelineError CAPTURE_OPEN_FAILED (exit 3); anything wrong *inside* the bytes becomes a Problem on
// the returned source, which then yields what it can (possibly nothing).
import { open } from 'node:fs/promises';
import { LifelineError } from '../errors.ts';
import { whyUnreadable } from '../input-files.ts';
import { FileInput, GunzipInput, StreamInput } from './sources/byte-inputs.ts';
import { type ByteInput, ByteWindow, DEFAULT_CHUNK } from './sources/byte-window.ts';
import { CaptureSource } from './sources/capture-source.ts';
import { PcapParser, pcapMagic } from './sources/pcap-parser.ts';
import { PcapngParser } from './sources/pcapng-parser.ts';
import { ProblemLog } from './sources/problem-log.ts';
import type { RecordParser } from './sources/record-parser.ts';

export { CaptureSource } from './sources/capture-source.ts';
export type { InterfaceInfo } from './sources/record-parser.ts';

export interface OpenCaptureOptions {
  /** Window size in bytes (default 4 MiB). Tests use tiny windows to exercise records spanning refills. */
  chunkSize?: number;
  /** Name used in problems (default: the path, or `<stdin>`). */
  displayName?: string;
  /** Read from this stream instead of `process.stdin` when the path is `-`. */
  stdin?: NodeJS.ReadableStream;
  /** Record the name of every pcapng block in order (`source.blockTrace`). */
  traceBlocks?: boolean;
}

export async function openCapture(pathOrDash: string, opts: OpenCaptureOptions = {}): Promise<CaptureSource> {
  const name = opts.displayName ?? (pathOrDash === '-' ? '<stdin>' : pathOrDash);
  let raw: ByteInput;
  if (pathOrDash === '-') {
    raw = new StreamInput((opts.stdin ?? process.stdin) as import('node:stream').Readable);
  } else {
    // A directory or a typo gets its own message, not EISDIR after the open.
    const why = await whyUnreadable(pathOrDash);
    if (why) throw new LifelineError('CAPTURE_OPEN_FAILED', `cannot open ${pathOrDash}: ${why.message}`, 'input');
    try {
      raw = new FileInput(await open(pathOrDash, 'r'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new LifelineError('CAPTURE_OPEN_FAILED', `cannot open ${pathOrDash}: ${e.code ?? e.message}`, 'input');
    }
  }
  return openCaptureInput(raw, name, opts);
}

/** Same as openCapture over any ByteInput (used by tests and by callers holding bytes already). */
export async function openCaptureInput(
  raw: ByteInput,
  name: string,
  opts: Pick<OpenCaptureOptions, 'chunkSize' | 'traceBlocks'> = {},
): Promise<CaptureSource> {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
  const log = new ProblemLog(name);
  let input = raw;
  let w = new ByteWindow(Math.max(64, chunkSize));
  await w.fill(input, 4);
  let gzip = false;
  if (w.avail >= 2 && w.buf[0] === 0x1f && w.buf[1] === 0x8b) {
    // Hand the sniffed bytes to gunzip first, then the rest of the raw input.
    gzip = true;
    const head = w.buf.slice(0, w.end);
    input = new GunzipInput(new PrefixedInput(head, raw), Math.min(1 << 20, Math.max(64, chunkSize)));
    w = new ByteWindow(Math.max(64, chunkSize));
    await w.fill(input, 4);
  }
  let parser: RecordParser;
  let detected: string;
  const b = w.buf.subarray(0, w.end);
  if (w.avail >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a) {
    const ng = new PcapngParser(log);
    if (opts.traceBlocks) ng.trace = [];
    parser = ng;
    detected = 'pcapng';
  } else if (pcapMagic(b)) {
    const pcap = new PcapParser(log);
    if (w.avail < 24) await w.fill(input, 24);
    pcap.prime(w);
    parser = pcap;
    detected = pcapMagic(b)?.ns ? 'pcap-ns' : 'pcap';
  } else {
    parser = new PcapParser(log);
    parser.done = true;
    detected = 'unknown';
    const e = input.error;
    if (e && w.avail < 4) log.add(e.code, `${e.message} (after ${w.avail} bytes)`, w.avail);
    else if (w.avail === 0) log.add('CAPTURE_EMPTY', 'the file is empty', 0);
    else {
      const packer = otherCompression(b);
      if (packer)
        log.add(
          'CAPTURE_COMPRESSION_UNSUPPORTED',
          `${packer.name}-compressed file: decompress it first (${packer.tool}), or recompress with gzip`,
          0,
        );
      else log.add('CAPTURE_UNKNOWN_FORMAT', `not a pcap or pcapng file (starts with ${hex(b.subarray(0, 8))})`, 0);
    }
  }
  return new CaptureSource(parser, w, input, log, detected, gzip);
}

/** Compressors Wireshark can read but Node 20's zlib cannot: name them instead of saying "unknown format". */
function otherCompression(b: Uint8Array): { name: string; tool: string } | null {
  const starts = (...m: number[]): boolean => m.every((x, i) => b[i] === x);
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) return { name: 'zstd', tool: 'zstd -d FILE' };
  if (starts(0x04, 0x22, 0x4d, 0x18)) return { name: 'lz4', tool: 'lz4 -d FILE' };
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return { name: 'xz', tool: 'xz -d FILE' };
  if (starts(0x42, 0x5a, 0x68)) return { name: 'bzip2', tool: 'bzip2 -d FILE' };
  return null;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Replays bytes already read, then continues with the underlying input. */
class PrefixedInput implements ByteInput {
  private at = 0;
  get consumed(): number {
    return this.rest.consumed;
  }
  constructor(
    private readonly head: Uint8Array,
    private readonly rest: ByteInput,
  ) {}
  get error(): { code: string; message: string } | undefined {
    return this.rest.error;
  }
  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.at < this.head.length) {
      const n = Math.min(length, this.head.length - this.at);
      into.set(this.head.subarray(this.at, this.at + n), offset);
      this.at += n;
      return n;
    }
    return this.rest.read(into, offset, length);
  }
  close(): Promise<void> {
    return this.rest.close();
  }
}
