// The RecordSource the rest of Lifeline reads: a parser (pcap or pcapng) driven over a ByteWindow filled from a
// ByteInput. Two ways to read, same records:
//   - `forEachRecord(cb)`: the fast path. Records are handed to `cb` in a tight synchronous loop; the only awaits
//     are the refills of the 4 MiB window.
//   - `for await (const rec of source)`: convenient, one promise per record.
// Single pass: a second iteration yields nothing.
import type { Problem } from '../../events/types.ts';
import type { CaptureRecord, RecordSource } from '../packet.ts';
import type { ByteInput, ByteWindow } from './byte-window.ts';
import type { ProblemLog } from './problem-log.ts';
import type { InterfaceInfo, RecordParser } from './record-parser.ts';

export class CaptureSource implements RecordSource {
  private started = false;
  private closed = false;
  private errorReported = false;

  constructor(
    private readonly parser: RecordParser,
    private readonly window: ByteWindow,
    private readonly input: ByteInput,
    private readonly log: ProblemLog,
    /** 'pcap' | 'pcap-ns' | 'pcapng' | 'unknown'. */
    private readonly detected: string,
    /** True when the bytes came through gunzip. */
    readonly gzip: boolean,
  ) {}

  get format(): string {
    return this.detected;
  }
  get problems(): Problem[] {
    return this.log.list;
  }
  get bytesRead(): number {
    return this.window.base + this.window.pos;
  }
  /** Bytes read from the file itself (compressed bytes when gzipped): compare with the file size for progress. */
  get fileBytesRead(): number {
    return this.input.consumed;
  }
  get secrets(): string[] {
    return this.parser.secrets;
  }
  get names(): Map<string, string[]> {
    return this.parser.names;
  }
  get interfaces(): readonly InterfaceInfo[] {
    return this.parser.interfaces;
  }
  get blockCounts(): Readonly<Record<string, number>> {
    return this.parser.blockCounts;
  }
  /** Block names in file order when opened with `traceBlocks` (pcapng only), else undefined. */
  get blockTrace(): readonly string[] | undefined {
    return (this.parser as { trace?: string[] | null }).trace ?? undefined;
  }

  /**
   * Calls `cb` for every record (the same reused object each time; copy what you keep). Return `false` from `cb` to
   * stop early. Resolves when the input is exhausted; never rejects for bad input (see `problems`).
   */
  async forEachRecord(cb: (rec: CaptureRecord) => unknown): Promise<void> {
    if (this.started) return;
    this.started = true;
    const p = this.parser;
    const w = this.window;
    try {
      for (;;) {
        for (let r = p.next(w); r !== null; r = p.next(w)) {
          if (cb(r) === false) return;
        }
        if (p.done) return this.noteInputError();
        await this.refill();
      }
    } finally {
      await this.close();
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CaptureRecord, void, undefined> {
    if (this.started) return;
    this.started = true;
    const p = this.parser;
    const w = this.window;
    try {
      for (;;) {
        for (let r = p.next(w); r !== null; r = p.next(w)) yield r;
        if (p.done) return this.noteInputError();
        await this.refill();
      }
    } finally {
      await this.close();
    }
  }

  /** Releases the input (also done automatically at the end of iteration). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.input.close();
  }

  private async refill(): Promise<void> {
    await this.window.fill(this.input, this.parser.need);
    if (this.window.eof) this.noteInputError();
  }

  /** An input that ended abnormally (I/O error, cut gzip) is one problem, at the end of the bytes it gave. */
  private noteInputError(): void {
    const e = this.input.error;
    const w = this.window;
    if (e && !this.errorReported && !this.log.list.some((p) => p.code === e.code)) {
      this.errorReported = true;
      this.log.add(e.code, `${e.message} (after ${w.base + w.end} bytes)`, w.base + w.end);
    }
  }
}
