// A sliding window over the (decompressed) input. Parsers read records straight out of `buf` between `pos` and
// `end`; when they need more bytes the driver compacts the window and refills it from the input. The buffer grows
// only as real data arrives (never to a length a header merely claims), so a bogus 4 GiB block length costs at
// most about twice the bytes actually left in the file.

/** Where bytes come from: a file, stdin, a gunzip stream. `read` returns 0 at end of input. */
export interface ByteInput {
  read(into: Uint8Array, offset: number, length: number): Promise<number>;
  close(): Promise<void>;
  /** Set when the input ended abnormally (e.g. a truncated gzip stream); the window then reports it. */
  readonly error?: { code: string; message: string };
  /** Bytes taken from the underlying file so far (compressed bytes for gzip), for progress against its size. */
  readonly consumed: number;
}

export const DEFAULT_CHUNK = 4 << 20;

export class ByteWindow {
  buf: Uint8Array;
  dv: DataView;
  /** Next unread byte; end of valid data. */
  pos = 0;
  end = 0;
  /** Stream offset of buf[0]. */
  base = 0;
  eof = false;

  constructor(size = DEFAULT_CHUNK) {
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
  }

  get avail(): number {
    return this.end - this.pos;
  }

  /** Stream offset of the byte at `pos`. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Reads until at least `need` bytes are available from `pos` (or end of input). Returns false at end of input. */
  async fill(input: ByteInput, need: number): Promise<boolean> {
    if (this.eof) return false;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    let gotAny = false;
    for (;;) {
      if (this.end === this.buf.length) {
        if (this.end >= need) return true;
        // Grow by doubling, only because real bytes filled the buffer.
        const bigger = new Uint8Array(this.buf.length * 2);
        bigger.set(this.buf.subarray(0, this.end));
        this.buf = bigger;
        this.dv = new DataView(bigger.buffer);
      }
      const n = await input.read(this.buf, this.end, this.buf.length - this.end);
      if (n <= 0) {
        this.eof = true;
        return gotAny;
      }
      gotAny = true;
      this.end += n;
      if (this.end >= need) return true;
    }
  }
}
