// `lifeline capture extract`: the procedure's step 6 filter — keep the packets between the PC and Notifs.
// Host names become addresses through the DNS answers inside the capture itself (what the PC actually resolved)
// and pcapng Name Resolution Blocks. A file is read twice (names first, then packets); stdin once, learning
// addresses as the answers go by (packets before the first answer for a name are then missed, and said so).
import { closeSync, openSync, writeSync } from 'node:fs';
import { EXIT, LifelineError } from '../cli/exit-codes.ts';
import type { Problem } from '../events/types.ts';
import { dnsAnswers } from './analysis/dns-answers.ts';
import { decodePacket } from './decode/decode-packet.ts';
import { openCapture } from './open-capture.ts';
import { type CaptureRecord, newDecodedPacket } from './packet.ts';

export interface ExtractOptions {
  hosts: string[];
  ips: string[];
  output: string;
  progress?: (done: number, total: number) => void;
}

export interface ExtractResult {
  file: string;
  output: string;
  format: string;
  packetsRead: number;
  packetsWritten: number;
  /** Address → the host names (or "--ip") that selected it. */
  addresses: Record<string, string[]>;
  /** Hosts for which no address was found in the capture. */
  unresolved: string[];
  problems: Problem[];
}

/** Minimal streaming pcapng writer: one section, one IDB per (section, interface) of the input, ns timestamps. */
class PcapngOut {
  private readonly fd: number;
  private buf = Buffer.alloc(1 << 20);
  private used = 0;
  private readonly ifaces = new Map<string, number>();

  constructor(path: string) {
    try {
      this.fd = openSync(path, 'w');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new LifelineError('EXTRACT_OUTPUT_FAILED', `cannot write ${path}: ${e.code ?? e.message}`, EXIT.INPUT);
    }
    const shb = this.block(0x0a0d0d0a, 16);
    shb.writeUInt32LE(0x1a2b3c4d, 8);
    shb.writeUInt16LE(1, 12);
    shb.writeUInt16LE(0, 14);
    shb.writeInt32LE(-1, 16);
    shb.writeInt32LE(-1, 20);
  }

  /** Reserve a block of `body` bytes (after type+length), with the trailing length written. */
  private block(type: number, body: number): Buffer {
    const total = 12 + body;
    if (this.used + total > this.buf.length) this.flush();
    if (total > this.buf.length) this.buf = Buffer.alloc(total * 2);
    const b = this.buf.subarray(this.used, this.used + total);
    b.fill(0);
    b.writeUInt32LE(type, 0);
    b.writeUInt32LE(total, 4);
    b.writeUInt32LE(total, total - 4);
    this.used += total;
    return b;
  }

  private iface(rec: CaptureRecord): number {
    const k = `${rec.section}/${rec.ifIndex}/${rec.linkType}`;
    let id = this.ifaces.get(k);
    if (id === undefined) {
      id = this.ifaces.size;
      this.ifaces.set(k, id);
      // linktype, reserved, snaplen 0, option if_tsresol = 9 (ns), opt_endofopt.
      const idb = this.block(0x00000001, 8 + 8 + 4);
      idb.writeUInt16LE(rec.linkType, 8);
      idb.writeUInt32LE(0, 12);
      idb.writeUInt16LE(9, 16);
      idb.writeUInt16LE(1, 18);
      idb.writeUInt8(9, 20);
    }
    return id;
  }

  write(rec: CaptureRecord): void {
    const id = this.iface(rec);
    const pad = (4 - (rec.caplen & 3)) & 3;
    const epb = this.block(0x00000006, 20 + rec.caplen + pad);
    epb.writeUInt32LE(id, 8);
    const ns = rec.tsNs < 0n ? 0n : rec.tsNs;
    epb.writeUInt32LE(Number((ns >> 32n) & 0xffffffffn), 12);
    epb.writeUInt32LE(Number(ns & 0xffffffffn), 16);
    epb.writeUInt32LE(rec.caplen, 20);
    epb.writeUInt32LE(rec.origLen, 24);
    epb.set(rec.data.subarray(0, rec.caplen), 28);
  }

  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

export async function extractCapture(file: string, opts: ExtractOptions): Promise<ExtractResult> {
  const hosts = opts.hosts.map((h) => h.toLowerCase().replace(/\.$/, ''));
  const selected = new Map<string, Set<string>>();
  const select = (ip: string, why: string): void => {
    let s = selected.get(ip);
    if (!s) selected.set(ip, (s = new Set()));
    s.add(why);
  };
  for (const ip of opts.ips) select(ip, '--ip');
  const problems: Problem[] = [];
  const pkt = newDecodedPacket();
  // A DNS answer for one of our hosts (directly or through a CNAME) selects its addresses.
  const learn = (payload: Uint8Array): boolean => {
    const answers = dnsAnswers(payload);
    if (!answers) return false;
    let hit = false;
    for (const a of answers) {
      const names = [a.name, ...(a.cnames ?? [])];
      const host = hosts.find((h) => names.includes(h));
      if (host === undefined) continue;
      hit = true;
      for (const ip of a.addresses) select(ip, host);
    }
    return hit;
  };
  const fromNames = (names: Map<string, string[]>): void => {
    for (const [ip, ns] of names) {
      for (const n of ns) {
        const h = n.toLowerCase().replace(/\.$/, '');
        if (hosts.includes(h)) select(ip, h);
      }
    }
  };
  if (file !== '-' && hosts.length > 0) {
    const first = await openCapture(file);
    const onRec = (rec: CaptureRecord): void => {
      decodePacket(rec, pkt);
      if (pkt.l4 === 17 && pkt.srcPort === 53) learn(pkt.payload);
    };
    if (first.forEachRecord) await first.forEachRecord(onRec);
    else for await (const r of first) onRec(r);
    fromNames(first.names);
  }
  const src = await openCapture(file);
  const out = new PcapngOut(opts.output);
  let read = 0;
  let written = 0;
  const onRec = (rec: CaptureRecord): void => {
    read++;
    decodePacket(rec, pkt);
    let keep = false;
    if (pkt.l3 !== 0) {
      if (pkt.l4 === 17 && pkt.srcPort === 53 && hosts.length > 0 && learn(pkt.payload)) keep = true;
      else keep = selected.has(pkt.srcIp) || selected.has(pkt.dstIp);
    }
    if (keep) {
      out.write(rec);
      written++;
    }
    if (opts.progress && (read & 0xffff) === 0) opts.progress(src.bytesRead, 0);
  };
  try {
    if (src.forEachRecord) await src.forEachRecord(onRec);
    else for await (const r of src) onRec(r);
  } finally {
    out.close();
  }
  fromNames(src.names);
  const addresses: Record<string, string[]> = {};
  for (const [ip, why] of selected) addresses[ip] = [...why];
  const unresolved = hosts.filter((h) => ![...selected.values()].some((s) => s.has(h)));
  for (const h of unresolved) {
    problems.push({
      code: 'EXTRACT_HOST_UNRESOLVED',
      message: `no DNS answer or name block in the capture names ${h}; give its addresses with --ip (see \`lifeline resolve\`)`,
      file,
      severity: 'warning',
    });
  }
  return {
    file,
    output: opts.output,
    format: src.format,
    packetsRead: read,
    packetsWritten: written,
    addresses,
    unresolved,
    problems: [...src.problems, ...problems],
  };
}

export function formatExtract(r: ExtractResult): string {
  const lines = [`${r.output}: ${r.packetsWritten} of ${r.packetsRead} packets from ${r.file} (${r.format})`];
  for (const [ip, why] of Object.entries(r.addresses)) lines.push(`  ${ip}  ${why.join(', ')}`);
  for (const p of r.problems) {
    lines.push(`  ${p.severity} ${p.code}${p.offset !== undefined ? ` at byte ${p.offset}` : ''}: ${p.message}`);
  }
  return `${lines.join('\n')}\n`;
}
