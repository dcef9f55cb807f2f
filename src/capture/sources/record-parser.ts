// What a format parser (pcap, pcapng) offers the driver. Parsers are sans-IO: they read records out of a ByteWindow
// and say how many bytes they need when the window runs dry; the driver (capture-source.ts) owns the input.
import type { CaptureInterface, CaptureRecord } from '../packet.ts';
import type { ByteWindow } from './byte-window.ts';

export type InterfaceInfo = CaptureInterface;

export interface RecordParser {
  readonly format: string;
  /** True once the input is exhausted or reading cannot continue. */
  done: boolean;
  /** When `next` returned null and not done: bytes needed from `w.pos`. */
  need: number;
  /** Next record, or null (see `done` / `need`). The returned object is reused. */
  next(w: ByteWindow): CaptureRecord | null;
  readonly interfaces: InterfaceInfo[];
  /** Blocks seen by type name (pcapng: SHB, IDB, EPB, …; pcap: 'record'). */
  readonly blockCounts: Record<string, number>;
  readonly secrets: string[];
  readonly names: Map<string, string[]>;
}

/** Largest block/record accepted. Real frames are ≤ 256 KiB (Wireshark's limit; a few link types 128 MiB); larger
 * lengths are treated as damage and trigger resynchronisation instead of a read of that size. */
export const MAX_BLOCK = 64 << 20;
