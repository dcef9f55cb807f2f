// Which kind of evidence a file is, by its CONTENT (magic bytes, JSON top-level keys, log line shapes), never by
// its name: support engineers receive `capture.txt`, `log.json`, `har (1).zip.gz`… The head is sniffed only;
// the readers then stream the whole file.

import { detectDeviceVendor } from './device-log-reader.ts';
import { streamFile } from './file-source.ts';
import { JsonStreamParser } from './json-stream.ts';

export type DetectedKind = 'capture' | 'har' | 'netlog' | 'report' | 'device-log' | 'unknown';

export interface Detection {
  kind: DetectedKind;
  /** e.g. 'pcap', 'pcapng', 'json', 'asa', 'palo-alto'; for unknown: what the file looked like. */
  detail: string;
  gzip: boolean;
}

const HEAD_BYTES = 1 << 20;

/** Sniff a file (gunzipping the head when needed). Throws only if the file cannot be opened at all. */
export async function detectFormat(file: string): Promise<Detection> {
  const parts: Uint8Array[] = [];
  let got = 0;
  const r = await streamFile(
    file,
    (c) => {
      parts.push(c.slice(0, Math.min(c.length, HEAD_BYTES - got)));
      got += Math.min(c.length, HEAD_BYTES - got);
      return got < HEAD_BYTES;
    },
    { maxBytes: HEAD_BYTES },
  );
  if (r.problem && got === 0) {
    if (r.problem.code === 'READ_FAILED') throw new Error(r.problem.message);
    return { kind: 'unknown', detail: `a gzip stream that does not decompress (${r.problem.message})`, gzip: true };
  }
  const head = concat(parts, got);
  return { ...detectBytes(head), gzip: r.gzip };
}

/** Pure detection over the first bytes of the (decompressed) content. */
export function detectBytes(head: Uint8Array): Omit<Detection, 'gzip'> {
  if (head.length === 0) return { kind: 'unknown', detail: 'empty file' };
  if (head.length >= 4) {
    const m = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
    if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1) return { kind: 'capture', detail: 'pcap' };
    if (m === 0xa1b23c4d || m === 0x4d3cb2a1) return { kind: 'capture', detail: 'pcap-ns' };
    if (m === 0x0a0d0d0a) return { kind: 'capture', detail: 'pcapng' };
  }
  let i = 0;
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) i = 3;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  if (head[i] === 0x7b) return detectJson(head);
  const vendor = detectDeviceVendor(new TextDecoder('utf-8', { fatal: false }).decode(head.subarray(0, 256 * 1024)));
  if (vendor) return { kind: 'device-log', detail: vendor };
  return { kind: 'unknown', detail: looksBinary(head) ? 'binary data' : 'text that matches no known log format' };
}

function detectJson(head: Uint8Array): Omit<Detection, 'gzip'> {
  const top = new Map<string, 'container' | 'scalar'>();
  const parser = new JsonStreamParser({
    // The emit hook sees every path as values start (containers) or complete (scalars): record top-level keys.
    emit: (p) => {
      if (p.length === 1 && typeof p[0] === 'string' && !top.has(p[0])) top.set(p[0], 'container');
      return false;
    },
    maxStringBytes: 4096,
  });
  parser.push(head);
  const end = parser.end();
  const root = (end.root && typeof end.root === 'object' ? end.root : {}) as Record<string, unknown>;
  if (root.schema === 'lifeline.error-report') return { kind: 'report', detail: 'json' };
  if (top.has('log')) return { kind: 'har', detail: 'json' };
  if (top.has('constants') || (top.has('events') && !top.has('schema'))) return { kind: 'netlog', detail: 'json' };
  if (top.has('entries') && (top.has('clientId') || top.has('agentId'))) return { kind: 'report', detail: 'json' };
  if (typeof root.schema === 'string')
    return { kind: 'unknown', detail: `JSON with schema ${JSON.stringify(root.schema.slice(0, 60))}` };
  const keys = [...top.keys()].slice(0, 8).join(', ');
  return { kind: 'unknown', detail: `JSON with top-level keys: ${keys || '(none)'}` };
}

function looksBinary(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  let ctl = 0;
  for (let i = 0; i < n; i++) if (b[i] === 0 || (b[i] < 0x09 && b[i] !== 0)) ctl++;
  return ctl > n / 100;
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
