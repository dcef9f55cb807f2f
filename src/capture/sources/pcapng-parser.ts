// pcapng (draft-ietf-opsawg-pcapng): a sequence of sections, each starting with a Section Header Block that fixes
// the byte order for the section. Blocks: SHB, IDB, EPB, SPB, obsolete PB (type 2), NRB, ISB, DSB, custom blocks;
// anything else is skipped by its length. Timestamps use the interface's if_tsresol (10^-k or 2^-k s) plus
// if_tsoffset seconds; SPBs have no timestamp (the previous one is repeated and `tsUnknown` set).
//
// Damage handling: a block with an impossible length, a trailer that does not repeat the length, or a bad byte-order
// magic is reported; the parser then scans forward in 4-byte steps for the next block whose header and trailer
// agree, and continues there. A truncated last block is reported and ends the file.
import { ipv4Text, ipv6Text } from '../decode/ip-text.ts';
import type { ByteWindow } from './byte-window.ts';
import { ReusedRecord } from './capture-record.ts';
import type { ProblemLog } from './problem-log.ts';
import { type InterfaceInfo, MAX_BLOCK, type RecordParser } from './record-parser.ts';
import { split, splitUnits, type TsResolution, tsResolution } from './timestamp-units.ts';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_PB = 2;
export const BT_SPB = 3;
export const BT_NRB = 4;
export const BT_ISB = 5;
export const BT_EPB = 6;
export const BT_DSB = 0x0a;
export const BT_CB = 0x00000bad;
export const BT_DCB = 0x40000bad;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const SECRETS_TLS_KEYLOG = 0x544c534b;

const BLOCK_NAMES: Record<number, string> = {
  [BT_SHB]: 'SHB',
  [BT_IDB]: 'IDB',
  [BT_PB]: 'PB',
  [BT_SPB]: 'SPB',
  [BT_NRB]: 'NRB',
  [BT_ISB]: 'ISB',
  [BT_EPB]: 'EPB',
  [BT_DSB]: 'DSB',
  [BT_CB]: 'CB',
  [BT_DCB]: 'DCB',
  7: 'IRIG',
  8: 'AFDX',
  9: 'JOURNAL',
};

interface Iface {
  info: InterfaceInfo;
  res: TsResolution;
  tsOffset: number;
  snaplen: number;
  linkType: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class PcapngParser implements RecordParser {
  readonly format = 'pcapng';
  done = false;
  need = 12;
  readonly interfaces: InterfaceInfo[] = [];
  readonly blockCounts: Record<string, number> = {};
  readonly secrets: string[] = [];
  readonly names = new Map<string, string[]>();
  /** Sections seen (SHB count). */
  sections = 0;
  /** When set, the name of every well-formed block is appended in file order (diagnostics, conformance tests). */
  trace: string[] | null = null;

  private le = true;
  private section = -1;
  private ifaces: Iface[] = [];
  private readonly rec = new ReusedRecord();
  private frame = 0;
  private scan = -1;
  private lastSec = 0;
  private lastNsec = 0;
  private afterTruncation = false;

  constructor(private readonly problems: ProblemLog) {}

  next(w: ByteWindow): ReusedRecord | null {
    while (!this.done) {
      if (this.scan >= 0 && !this.resync(w)) return null;
      const avail = w.end - w.pos;
      if (avail < 12) {
        if (w.eof) {
          if (avail > 0)
            this.problems.add(
              'PCAPNG_TRUNCATED_BLOCK',
              `file ends inside a block header (${avail} bytes)`,
              w.offset,
              'warning',
            );
          this.done = true;
        } else this.need = 12;
        return null;
      }
      const p = w.pos;
      const dv = w.dv;
      const type = dv.getUint32(p, this.le);
      let le = this.le;
      if (type === BT_SHB) {
        const bom = dv.getUint32(p + 8, true);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else {
          this.problems.add('PCAPNG_BAD_BYTE_ORDER', `section header with bad byte-order magic`, w.offset);
          this.scan = 4;
          continue;
        }
      }
      const len = dv.getUint32(p + 4, le);
      if (len < 12 || (len & 3) !== 0 || len > MAX_BLOCK || (type === BT_SHB && len < 28)) {
        this.problems.add(
          'PCAPNG_BAD_BLOCK_LENGTH',
          `block type 0x${type.toString(16)}: impossible length ${len}`,
          w.offset,
        );
        this.scan = 4;
        continue;
      }
      if (avail < len) {
        if (w.eof) {
          this.problems.add(
            'PCAPNG_TRUNCATED_BLOCK',
            `file ends inside a ${blockName(type)} block (${avail} of ${len} bytes)`,
            w.offset,
            'warning',
          );
          // The length itself may be the damage: look for later blocks before giving up (quietly).
          this.afterTruncation = true;
          this.scan = 4;
          continue;
        }
        this.need = len;
        return null;
      }
      if (dv.getUint32(p + len - 4, le) !== len) {
        this.problems.add(
          'PCAPNG_BLOCK_LENGTH_MISMATCH',
          `${blockName(type)} block: trailing length ${dv.getUint32(p + len - 4, le)} ≠ leading length ${len}`,
          w.offset,
        );
        this.scan = 4;
        continue;
      }
      w.pos = p + len;
      const name = blockName(type);
      this.blockCounts[name] = (this.blockCounts[name] ?? 0) + 1;
      if (this.trace !== null) this.trace.push(name);
      if (this.section < 0 && type !== BT_SHB) {
        this.problems.add('PCAPNG_NO_SECTION', `${name} block before any section header; skipped`, w.base + p);
        continue;
      }
      switch (type) {
        case BT_EPB:
          if (this.packetBlock(w, p, len, dv.getUint32(p + 8, le), 12, 20, 28)) return this.rec;
          break;
        case BT_SPB:
          if (this.simplePacket(w, p, len)) return this.rec;
          break;
        case BT_PB:
          if (this.packetBlock(w, p, len, dv.getUint16(p + 8, le), 12, 20, 28)) return this.rec;
          break;
        case BT_SHB:
          this.le = le;
          this.startSection(w, p);
          break;
        case BT_IDB:
          this.addInterface(w, p, len);
          break;
        case BT_NRB:
          this.nameResolution(w, p, len);
          break;
        case BT_DSB:
          this.decryptionSecrets(w, p, len);
          break;
        case BT_CB:
        case BT_DCB:
          // Wireshark lists custom blocks as frames; count them so frame numbers match its numbering.
          this.frame++;
          break;
        default:
          break;
      }
    }
    return null;
  }

  private startSection(w: ByteWindow, p: number): void {
    const major = w.dv.getUint16(p + 12, this.le);
    if (major !== 1)
      this.problems.add(
        'PCAPNG_UNSUPPORTED_VERSION',
        `section version ${major} (expected 1); reading anyway`,
        w.base + p,
        'warning',
      );
    this.section++;
    this.sections++;
    this.ifaces = [];
  }

  private addInterface(w: ByteWindow, p: number, len: number): void {
    const dv = w.dv;
    const le = this.le;
    if (len < 20) {
      this.problems.add('PCAPNG_BAD_BLOCK_LENGTH', `IDB too short (${len})`, w.base + p);
      return;
    }
    const linkType = dv.getUint16(p + 8, le);
    const snaplen = dv.getUint32(p + 12, le);
    const info: InterfaceInfo = {
      section: this.section,
      index: this.ifaces.length,
      linkType,
      snaplen,
      tsPerSec: 1e6,
      tsresol: 6,
      tsOffset: 0,
      fcsLen: -1,
    };
    let res = tsResolution(6);
    this.options(w, p + 16, p + len - 4, (code, at, n) => {
      const b = w.buf;
      if (code === 2) info.name = utf8.decode(b.subarray(at, at + n)).replace(/\0+$/, '');
      else if (code === 3) info.description = utf8.decode(b.subarray(at, at + n)).replace(/\0+$/, '');
      else if (code === 9 && n >= 1) {
        res = tsResolution(b[at]);
        info.tsresol = b[at];
        info.tsPerSec = res.perSec;
      } else if (code === 14 && n >= 8) {
        info.tsOffset = Number(dv.getBigInt64(at, le));
      } else if (code === 13 && n >= 1) info.fcsLen = b[at];
    });
    this.interfaces.push(info);
    this.ifaces.push({ info, res, tsOffset: info.tsOffset, snaplen, linkType });
  }

  /** EPB (ifid u32) and obsolete PB (ifid u16): timestamps at p+tsAt, lengths at p+lenAt, data at p+dataAt. */
  private packetBlock(
    w: ByteWindow,
    p: number,
    len: number,
    ifid: number,
    tsAt: number,
    lenAt: number,
    dataAt: number,
  ): boolean {
    const dv = w.dv;
    const le = this.le;
    if (len < dataAt + 4) {
      this.problems.add('PCAPNG_BAD_BLOCK_LENGTH', `packet block too short (${len})`, w.base + p);
      return false;
    }
    const iface = this.ifaces[ifid];
    if (iface === undefined) {
      this.problems.add(
        'PCAPNG_UNKNOWN_INTERFACE',
        `packet for interface ${ifid}, section has ${this.ifaces.length}`,
        w.base + p,
      );
      return false;
    }
    const caplen = dv.getUint32(p + lenAt, le);
    if (caplen > len - dataAt - 4) {
      this.problems.add('PCAPNG_BAD_CAPLEN', `captured length ${caplen} exceeds its block (${len} bytes)`, w.base + p);
      return false;
    }
    const rec = this.rec;
    splitUnits(dv.getUint32(p + tsAt, le), dv.getUint32(p + tsAt + 4, le), iface.res);
    this.lastSec = split.sec + iface.tsOffset;
    this.lastNsec = split.nsec;
    rec.setTime(this.lastSec, this.lastNsec);
    rec.tsUnknown = false;
    rec.linkType = iface.linkType;
    rec.ifIndex = ifid;
    rec.section = this.section;
    rec.caplen = caplen;
    rec.origLen = dv.getUint32(p + lenAt + 4, le);
    rec.data = w.buf.subarray(p + dataAt, p + dataAt + caplen);
    rec.offset = w.base + p;
    rec.frame = ++this.frame;
    return true;
  }

  private simplePacket(w: ByteWindow, p: number, len: number): boolean {
    if (len < 16) {
      this.problems.add('PCAPNG_BAD_BLOCK_LENGTH', `SPB too short (${len})`, w.base + p);
      return false;
    }
    const iface = this.ifaces[0];
    if (iface === undefined) {
      this.problems.add('PCAPNG_UNKNOWN_INTERFACE', 'simple packet block but the section has no interface', w.base + p);
      return false;
    }
    const orig = w.dv.getUint32(p + 8, this.le);
    let caplen = Math.min(orig, len - 16);
    if (iface.snaplen > 0 && caplen > iface.snaplen) caplen = iface.snaplen;
    const rec = this.rec;
    rec.setTime(this.lastSec, this.lastNsec);
    rec.tsUnknown = true;
    rec.linkType = iface.linkType;
    rec.ifIndex = 0;
    rec.section = this.section;
    rec.caplen = caplen;
    rec.origLen = orig;
    rec.data = w.buf.subarray(p + 12, p + 12 + caplen);
    rec.offset = w.base + p;
    rec.frame = ++this.frame;
    return true;
  }

  private nameResolution(w: ByteWindow, p: number, len: number): void {
    const dv = w.dv;
    const b = w.buf;
    const end = p + len - 4;
    let at = p + 8;
    while (at + 4 <= end) {
      const type = dv.getUint16(at, this.le);
      const n = dv.getUint16(at + 2, this.le);
      const v = at + 4;
      if (type === 0) return;
      if (v + n > end) {
        this.problems.add('PCAPNG_BAD_RECORD', 'name resolution record overruns its block', w.base + at, 'warning');
        return;
      }
      const addrLen = type === 1 ? 4 : type === 2 ? 16 : 0;
      if (addrLen > 0 && n > addrLen) {
        const addr = addrLen === 4 ? ipv4Text(b, v) : ipv6Text(b, v);
        const names = utf8
          .decode(b.subarray(v + addrLen, v + n))
          .split('\0')
          .filter((s) => s.length > 0);
        const list = this.names.get(addr) ?? [];
        for (const nm of names) if (!list.includes(nm)) list.push(nm);
        this.names.set(addr, list);
      }
      at = v + ((n + 3) & ~3);
    }
  }

  private decryptionSecrets(w: ByteWindow, p: number, len: number): void {
    const dv = w.dv;
    if (len < 20) {
      this.problems.add('PCAPNG_BAD_BLOCK_LENGTH', `DSB too short (${len})`, w.base + p);
      return;
    }
    const type = dv.getUint32(p + 8, this.le);
    const n = dv.getUint32(p + 12, this.le);
    if (16 + n > len - 4) {
      this.problems.add('PCAPNG_BAD_RECORD', `DSB secrets length ${n} overruns its block`, w.base + p);
      return;
    }
    if (type === SECRETS_TLS_KEYLOG) this.secrets.push(utf8.decode(w.buf.subarray(p + 16, p + 16 + n)));
    else
      this.problems.add(
        'PCAPNG_SECRETS_UNSUPPORTED',
        `decryption secrets of type 0x${type.toString(16)} ignored (only TLS key logs are used)`,
        w.base + p,
        'warning',
      );
  }

  /** Walks options in [at, end); a malformed option is reported and ends the walk. */
  private options(w: ByteWindow, at: number, end: number, fn: (code: number, at: number, len: number) => void): void {
    const dv = w.dv;
    while (at + 4 <= end) {
      const code = dv.getUint16(at, this.le);
      const n = dv.getUint16(at + 2, this.le);
      if (code === 0) return;
      if (at + 4 + n > end) {
        this.problems.add(
          'PCAPNG_BAD_OPTION',
          `option ${code} (length ${n}) overruns its block`,
          w.base + at,
          'warning',
        );
        return;
      }
      fn(code, at + 4, n);
      at += 4 + ((n + 3) & ~3);
    }
  }

  /** Scans (4-byte steps) for a block whose leading and trailing lengths agree. True when positioned on one. */
  private resync(w: ByteWindow): boolean {
    const start = w.pos;
    const dv = w.dv;
    for (;;) {
      const p = start + this.scan;
      if (p + 12 > w.end) {
        if (w.eof) {
          if (!this.afterTruncation)
            this.problems.add('PCAPNG_RESYNC_FAILED', 'no valid block after the damage; stopped', w.base + start);
          this.done = true;
        } else this.need = this.scan + 12;
        return false;
      }
      const type = dv.getUint32(p, this.le);
      let le = this.le;
      let ok = BLOCK_NAMES[type] !== undefined;
      if (ok && type === BT_SHB) {
        const bom = dv.getUint32(p + 8, true);
        ok = bom === BYTE_ORDER_MAGIC || bom === 0x4d3c2b1a;
        le = bom === BYTE_ORDER_MAGIC;
      }
      if (ok) {
        const len = dv.getUint32(p + 4, le);
        ok = len >= 12 && (len & 3) === 0 && len <= MAX_BLOCK;
        if (ok) {
          if (p + len > w.end) {
            if (!w.eof) {
              this.need = this.scan + len;
              return false;
            }
            ok = false;
          } else ok = dv.getUint32(p + len - 4, le) === len;
        }
      }
      if (ok) {
        this.afterTruncation = false;
        this.problems.add(
          'PCAPNG_RESYNC',
          `skipped ${p - start} damaged bytes; resumed at the next valid block`,
          w.base + start,
          'warning',
        );
        w.pos = p;
        this.scan = -1;
        return true;
      }
      this.scan += 4;
    }
  }
}

function blockName(type: number): string {
  return BLOCK_NAMES[type] ?? 'unknown';
}
