// Reading helpers for capture tests: open bytes as a source, collect records as plain values.
import { openCaptureInput } from '../../../src/capture/open-capture.ts';
import { BytesInput } from '../../../src/capture/sources/byte-inputs.ts';
import type { CaptureSource } from '../../../src/capture/sources/capture-source.ts';

export interface Got {
  frame: number;
  sec: number;
  nsec: number;
  ts: number;
  caplen: number;
  origLen: number;
  linkType: number;
  offset: number;
  data: number[];
}

export async function readAll(src: CaptureSource): Promise<Got[]> {
  const out: Got[] = [];
  await src.forEachRecord((r) => {
    const ns = r.tsNs;
    out.push({
      frame: r.frame,
      sec: Number(ns / 1_000_000_000n),
      nsec: Number(ns % 1_000_000_000n),
      ts: r.ts,
      caplen: r.caplen,
      origLen: r.origLen,
      linkType: r.linkType,
      offset: r.offset,
      data: Array.from(r.data),
    });
  });
  return out;
}

export function fromBytes(b: Uint8Array, chunkSize = 64): Promise<CaptureSource> {
  return openCaptureInput(new BytesInput(b), 'mem.pcap', { chunkSize });
}
