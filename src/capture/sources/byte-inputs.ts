// ByteInput implementations: a file read with positional reads straight into the window's buffer (no copy), and a
// Node stream (stdin, a gunzip stream) whose chunks are copied into the window. Read errors mid-stream end the input
// and are reported as `error` (the reader turns it into a Problem): bytes before the failure were already parsed.
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { ByteInput } from './byte-window.ts';

export class FileInput implements ByteInput {
  private position = 0;
  get consumed(): number {
    return this.position;
  }
  error?: { code: string; message: string };
  constructor(private readonly fh: FileHandle) {}

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    if (this.error) return 0;
    try {
      const { bytesRead } = await this.fh.read(into, offset, length, this.position);
      this.position += bytesRead;
      return bytesRead;
    } catch (err) {
      this.error = { code: 'CAPTURE_READ_ERROR', message: (err as Error).message };
      return 0;
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
  }
}

/** Pulls chunks from an async iterable (a Readable), keeping the unread tail of the current chunk. */
export class StreamInput implements ByteInput {
  private chunk: Uint8Array | null = null;
  private chunkPos = 0;
  consumed = 0;
  private readonly it: AsyncIterator<Uint8Array>;
  error?: { code: string; message: string };

  constructor(
    private readonly stream: Readable,
    private readonly errorCode = 'CAPTURE_READ_ERROR',
    /** Bytes already taken from the stream (format sniffing) to hand out first. */
    head?: Uint8Array,
  ) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    if (head && head.length > 0) this.chunk = head;
  }

  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    while (this.chunk === null || this.chunkPos >= this.chunk.length) {
      if (this.error) return 0;
      try {
        const r = await this.it.next();
        if (r.done) return 0;
        this.chunk = r.value;
        this.chunkPos = 0;
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        this.error = { code: this.errorCode, message: e.message };
        return 0;
      }
    }
    const n = Math.min(length, this.chunk.length - this.chunkPos);
    into.set(this.chunk.subarray(this.chunkPos, this.chunkPos + n), offset);
    this.chunkPos += n;
    this.consumed += n;
    return n;
  }

  async close(): Promise<void> {
    this.stream.destroy();
  }
}

/**
 * Gunzips another ByteInput. Concatenated gzip members are decoded in sequence (zlib's default). A cut-off stream
 * ("unexpected end of file") becomes GZIP_TRUNCATED, other zlib errors GZIP_CORRUPT.
 */
export class GunzipInput implements ByteInput {
  private readonly out: StreamInput;
  constructor(
    private readonly raw: ByteInput,
    chunkSize = 1 << 20,
  ) {
    const gunzip = createGunzip({ chunkSize });
    this.out = new StreamInput(gunzip, 'GZIP_CORRUPT');
    this.pump(gunzip, chunkSize).catch(() => {});
  }

  get consumed(): number {
    return this.raw.consumed;
  }

  get error(): { code: string; message: string } | undefined {
    const e = this.raw.error ?? this.out.error;
    if (e && e.code === 'GZIP_CORRUPT' && /unexpected end of file/i.test(e.message)) e.code = 'GZIP_TRUNCATED';
    return e;
  }

  read(into: Uint8Array, offset: number, length: number): Promise<number> {
    return this.out.read(into, offset, length);
  }

  async close(): Promise<void> {
    await this.out.close();
    await this.raw.close();
  }

  private async pump(gunzip: ReturnType<typeof createGunzip>, chunkSize: number): Promise<void> {
    const buf = new Uint8Array(chunkSize);
    try {
      for (;;) {
        const n = await this.raw.read(buf, 0, buf.length);
        if (n <= 0 || gunzip.destroyed) break;
        // Copy: `buf` is reused for the next read while zlib may still hold the chunk.
        if (!gunzip.write(Buffer.from(buf.subarray(0, n)))) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              gunzip.off('drain', done);
              gunzip.off('close', done);
              resolve();
            };
            gunzip.once('drain', done);
            gunzip.once('close', done);
          });
        }
      }
    } finally {
      if (!gunzip.destroyed) gunzip.end();
    }
  }
}

/** Bytes already in memory (tests, embedded captures). */
export class BytesInput implements ByteInput {
  private at = 0;
  get consumed(): number {
    return this.at;
  }
  constructor(private readonly bytes: Uint8Array) {}
  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    const n = Math.min(length, this.bytes.length - this.at);
    into.set(this.bytes.subarray(this.at, this.at + n), offset);
    this.at += n;
    return n;
  }
  async close(): Promise<void> {}
}
