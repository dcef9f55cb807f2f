// Thin I/O driver shared by the readers: streams a file's bytes (gunzipping when it starts with 1f 8b) into a
// callback, reports progress, and turns I/O and gzip failures into a Problem instead of an exception.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Problem } from '../events/types.ts';

export interface StreamResult {
  /** Bytes handed to the callback (after gunzip). */
  bytes: number;
  gzip: boolean;
  problem?: Problem;
}

/** Read the first `n` bytes (raw, not gunzipped). Throws only for missing/unreadable files. */
export async function readHead(file: string, n: number): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Stream the file (decompressed) through `onChunk`. `onChunk` may return false to stop early.
 * Progress is reported on the raw (compressed) byte count against the file size.
 */
export async function streamFile(
  file: string,
  onChunk: (chunk: Uint8Array) => boolean | undefined,
  opts: { progress?: (done: number, total: number) => void; maxBytes?: number } = {},
): Promise<StreamResult> {
  let total = 0;
  try {
    total = (await stat(file)).size;
  } catch (err) {
    return { bytes: 0, gzip: false, problem: ioProblem(file, err) };
  }
  let head: Uint8Array;
  try {
    head = await readHead(file, 2);
  } catch (err) {
    return { bytes: 0, gzip: false, problem: ioProblem(file, err) };
  }
  const gzip = isGzip(head);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  let rawDone = 0;
  raw.on('data', (c) => {
    rawDone += c.length;
    opts.progress?.(rawDone, total);
  });
  const src = gzip ? raw.pipe(createGunzip()) : raw;
  let bytes = 0;
  let problem: Problem | undefined;
  try {
    for await (const c of src as AsyncIterable<Buffer>) {
      const chunk = new Uint8Array(c.buffer, c.byteOffset, c.length);
      bytes += chunk.length;
      if (onChunk(chunk) === false) break;
      if (opts.maxBytes !== undefined && bytes >= opts.maxBytes) break;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    problem = gzip
      ? {
          code: 'GZIP_BROKEN',
          message: `gzip stream broken after ${bytes} decompressed bytes: ${e.message}`,
          file,
          offset: rawDone,
          severity: 'error',
        }
      : ioProblem(file, err);
  } finally {
    raw.destroy();
  }
  return { bytes, gzip, ...(problem ? { problem } : {}) };
}

function ioProblem(file: string, err: unknown): Problem {
  const e = err as NodeJS.ErrnoException;
  return { code: 'READ_FAILED', message: e.message, file, severity: 'error' };
}
