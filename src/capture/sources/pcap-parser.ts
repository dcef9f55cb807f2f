// Classic libpcap files: 24-byte file header, then 16-byte record headers. Magic a1b2c3d4 (µs) or a1b23c4d (ns), in
// either byte order; a1b2cd34 (Kuznetzov's patched libpcap) has 24-byte record headers. The link-type field carries
// the FCS length in its top bits (pcap spec: bits 28 = "F", 29-31 = FCS length in 16-bit words).
//
// Damage handling: a record header whose length is impossible is reported, then the parser scans forward for two
// consecutive plausible record headers (Wireshark's approach) and continues there.

import type { ByteWindow } from './byte-window.ts';
import { ReusedRecord } from './capture-record.ts';
import type { ProblemLog } from './problem-log.ts';
import { type InterfaceInfo, MAX_BLOCK, type RecordParser } from './record-parser.ts';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;
const STANDARD_MAX = 262144;
const YEAR = 366 * 86400;

/** pcap magic at `b[0..4]` → { le, ns, hdrLen } or null. */
export function pcapMagic(b: Uint8Array): { le: boolean; ns: boolean; recHdr: number } | null {
  if (b.length < 4) return null;
  const le = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  const be = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  for (const [v, isLe] of [
    [le, true],
    [be, false],
  ] as const) {
    if (v === PCAP_MAGIC_US) return { le: isLe, ns: false, recHdr: 16 };
    if (v === PCAP_MAGIC_NS) return { le: isLe, ns: true, recHdr: 16 };
    if (v === PCAP_MAGIC_KUZNETZOV) return { le: isLe, ns: false, recHdr: 24 };
  }
  return null;
}

export class PcapParser implements RecordParser {
  format = 'pcap';
  done = false;
  need = 24;
  readonly interfaces: InterfaceInfo[] = [];
  readonly blockCounts: Record<string, number> = { record: 0 };
  readonly secrets: string[] = [];
  readonly names = new Map<string, string[]>();

  private headerRead = false;
  private le = true;
  private ns = false;
  private recHdr = 16;
  private snaplen = 0;
  private linkType = 0;
  private maxCaplen = STANDARD_MAX;
  private fracMax = 1e6;
  private nsPerFrac = 1000;
  private readonly rec = new ReusedRecord();
  private frame = 0;
  private lastSec = -1;
  /** Resynchronising: scan position relative to w.pos, or -1. */
  private scan = -1;
  private warnedSnaplen = false;
  private warnedOrig = false;
  private afterTruncation = false;

  constructor(private readonly problems: ProblemLog) {}

  next(w: ByteWindow): ReusedRecord | null {
    if (this.done) return null;
    if (!this.headerRead && !this.readHeader(w)) return null;
    const hl = this.recHdr;
    for (;;) {
      if (this.scan >= 0 && !this.resync(w)) return null;
      const avail = w.end - w.pos;
      if (avail < hl) {
        if (w.eof) {
          if (avail > 0)
            this.problems.add(
              'PCAP_TRUNCATED_RECORD',
              `file ends inside a record header (${avail} of ${hl} bytes)`,
              w.offset,
              'warning',
            );
          this.done = true;
        } else this.need = hl;
        return null;
      }
      const p = w.pos;
      const dv = w.dv;
      const le = this.le;
      const sec = dv.getUint32(p, le);
      let frac = dv.getUint32(p + 4, le);
      const incl = dv.getUint32(p + 8, le);
      const orig = dv.getUint32(p + 12, le);
      if (incl > this.maxCaplen) {
        this.problems.add(
          'PCAP_BAD_RECORD_LENGTH',
          `record ${this.frame + 1}: captured length ${incl} exceeds the maximum ${this.maxCaplen}`,
          w.offset,
        );
        this.scan = 1;
        continue;
      }
      if (avail < hl + incl) {
        if (w.eof) {
          this.problems.add(
            'PCAP_TRUNCATED_RECORD',
            `file ends inside record ${this.frame + 1} (${avail - hl} of ${incl} bytes)`,
            w.offset,
            'warning',
          );
          // The length itself may be the damage: look for later records before giving up (quietly).
          this.afterTruncation = true;
          this.scan = 1;
          continue;
        }
        this.need = hl + incl;
        return null;
      }
      if (incl > this.snaplen && this.snaplen > 0 && !this.warnedSnaplen) {
        this.warnedSnaplen = true;
        this.problems.add(
          'PCAP_SNAPLEN_EXCEEDED',
          `record ${this.frame + 1}: captured length ${incl} > snaplen ${this.snaplen} (kept; reported once)`,
          w.offset,
          'warning',
        );
      }
      if (orig < incl && !this.warnedOrig) {
        this.warnedOrig = true;
        this.problems.add(
          'PCAP_CAPLEN_EXCEEDS_ORIGLEN',
          `record ${this.frame + 1}: captured length ${incl} > original length ${orig} (kept; reported once)`,
          w.offset,
          'warning',
        );
      }
      const rec = this.rec;
      let s = sec;
      if (frac >= this.fracMax) {
        // Some writers overflow the fraction; carry it like Wireshark does.
        s += Math.floor(frac / this.fracMax);
        frac %= this.fracMax;
      }
      rec.setTime(s, frac * this.nsPerFrac);
      rec.linkType = this.linkType;
      rec.caplen = incl;
      rec.origLen = orig;
      rec.offset = w.base + p;
      rec.frame = ++this.frame;
      rec.data = w.buf.subarray(p + hl, p + hl + incl);
      this.lastSec = sec;
      this.blockCounts.record++;
      w.pos = p + hl + incl;
      return rec;
    }
  }

  /** Reads the file header now if the window holds it, so `interfaces` is known before the first record. */
  prime(w: ByteWindow): void {
    if (!this.headerRead && !this.done && w.avail >= 24) this.readHeader(w);
  }

  private readHeader(w: ByteWindow): boolean {
    if (w.avail < 24) {
      if (w.eof) {
        this.problems.add('PCAP_TRUNCATED_HEADER', `file ends inside the 24-byte pcap header`, w.offset);
        this.done = true;
      } else this.need = 24;
      return false;
    }
    const m = pcapMagic(w.buf.subarray(w.pos, w.pos + 4));
    if (!m) {
      this.problems.add('CAPTURE_UNKNOWN_FORMAT', 'not a pcap file (bad magic)', w.offset);
      this.done = true;
      return false;
    }
    const dv = w.dv;
    const p = w.pos;
    this.le = m.le;
    this.ns = m.ns;
    this.recHdr = m.recHdr;
    this.format = m.ns ? 'pcap-ns' : 'pcap';
    this.fracMax = m.ns ? 1e9 : 1e6;
    this.nsPerFrac = m.ns ? 1 : 1000;
    const major = dv.getUint16(p + 4, m.le);
    if (major !== 2)
      this.problems.add(
        'PCAP_UNSUPPORTED_VERSION',
        `pcap version ${major} (expected 2); reading anyway`,
        w.offset,
        'warning',
      );
    this.snaplen = dv.getUint32(p + 16, m.le);
    const ltField = dv.getUint32(p + 20, m.le);
    this.linkType = ltField & 0xffff;
    const fcsLen = ltField & 0x10000000 ? ((ltField >>> 29) & 7) * 2 : -1;
    this.maxCaplen = Math.min(MAX_BLOCK, Math.max(STANDARD_MAX, this.snaplen));
    this.interfaces.push({
      section: 0,
      index: 0,
      linkType: this.linkType,
      snaplen: this.snaplen,
      tsPerSec: m.ns ? 1e9 : 1e6,
      tsresol: m.ns ? 9 : 6,
      tsOffset: 0,
      fcsLen,
    });
    const rec = this.rec;
    rec.linkType = this.linkType;
    rec.ifIndex = 0;
    rec.section = 0;
    w.pos += 24;
    this.headerRead = true;
    return true;
  }

  private plausible(w: ByteWindow, p: number, strictTime: boolean): number {
    const dv = w.dv;
    const le = this.le;
    const sec = dv.getUint32(p, le);
    const frac = dv.getUint32(p + 4, le);
    const incl = dv.getUint32(p + 8, le);
    const orig = dv.getUint32(p + 12, le);
    if (incl === 0 || incl > this.maxCaplen || orig < incl || orig > MAX_BLOCK || frac >= this.fracMax) return -1;
    if (strictTime && this.lastSec < 0 && this.afterTruncation) return -1;
    if (strictTime && this.lastSec >= 0 && (sec < this.lastSec - YEAR || sec > this.lastSec + YEAR)) return -1;
    return incl;
  }

  /** Scans for a plausible record header followed by another (or end of file). True when positioned on one. */
  private resync(w: ByteWindow): boolean {
    const hl = this.recHdr;
    const start = w.pos;
    for (;;) {
      const p = start + this.scan;
      if (p + hl > w.end) {
        if (w.eof) {
          if (!this.afterTruncation)
            this.problems.add('PCAP_RESYNC_FAILED', 'no plausible record after the damage; stopped', w.base + start);
          this.done = true;
        } else this.need = this.scan + hl;
        return false;
      }
      const incl = this.plausible(w, p, true);
      if (incl >= 0) {
        const q = p + hl + incl;
        let ok: boolean;
        if (q === w.end && w.eof) ok = true;
        else if (q + hl > w.end) {
          if (w.eof) ok = false;
          else {
            this.need = q + hl - start;
            return false;
          }
        } else ok = this.plausible(w, q, true) >= 0;
        if (ok) {
          this.afterTruncation = false;
          this.problems.add(
            'PCAP_RESYNC',
            `skipped ${p - start} damaged bytes; resumed at the next plausible record`,
            w.base + start,
            'warning',
          );
          w.pos = p;
          this.scan = -1;
          return true;
        }
      }
      this.scan++;
    }
  }
}
