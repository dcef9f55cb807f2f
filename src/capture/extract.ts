// `lifeline capture extract`: the procedure's step 6 filter — keep the packets between the PC and Notifs.
// Host names become addresses through the DNS answers inside the capture itself (what the PC actually resolved)
// and pcapng Name Resolution Blocks. A file is read twice (names first, then packets); stdin once, learning
// addresses as the answers go by (packets before the first answer for a name are then missed, and said so).
import { renameSync, rmSync } from 'node:fs';
import { LifelineError } from '../errors.ts';
import type { Problem } from '../events/types.ts';
import { guardOutput, tempBeside } from '../output-files.ts';
import { dnsAnswers } from './analysis/dns-answers.ts';
import { decodePacket } from './decode/decode-packet.ts';
import { openCapture } from './open-capture.ts';
import { type CaptureRecord, newDecodedPacket } from './packet.ts';
import { createPcapngFile } from './pcapng-writer.ts';

export interface ExtractOptions {
  hosts: string[];
  ips: string[];
  output: string;
  /** NSS key log text to embed as a Decryption Secrets Block (the output stays decryptable on its own). */
  keylogText?: string;
  progress?: (done: number, total: number) => void;
  /** Replace an existing output file (never one of the inputs). */
  force?: boolean;
  /** Other files read (the --keylog file): never written over either. */
  otherInputs?: string[];
}

export interface ExtractResult {
  file: string;
  output: string;
  format: string;
  packetsRead: number;
  packetsWritten: number;
  /** False when no packet matched: then no output file is left behind (an existing one is untouched). */
  outputWritten: boolean;
  /** Decryption Secrets Blocks written (from --keylog and from the input). */
  secretsBlocks: number;
  /** Address → the host names (or "--ip") that selected it. */
  addresses: Record<string, string[]>;
  /** Hosts for which no address was found in the capture. */
  unresolved: string[];
  problems: Problem[];
}

export async function extractCapture(file: string, opts: ExtractOptions): Promise<ExtractResult> {
  guardOutput('-o', opts.output, [file, ...(opts.otherInputs ?? [])], opts.force === true);
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
  // Written under a temporary name and renamed when complete and not empty: a failed or empty extract leaves no
  // file, and an existing output (with --force) is replaced in one step.
  const part = opts.output === '-' ? '-' : tempBeside(opts.output);
  const out = openOutput(part, opts.output);
  if (opts.keylogText) out.writer.writeTlsKeyLog(opts.keylogText);
  let read = 0;
  let written = 0;
  let secretsCopied = 0;
  const onRec = (rec: CaptureRecord): void => {
    read++;
    // Decryption Secrets Blocks of the input are carried over as they are met.
    while (secretsCopied < src.secrets.length) out.writer.writeTlsKeyLog(src.secrets[secretsCopied++]);
    decodePacket(rec, pkt);
    let keep = false;
    if (pkt.l3 !== 0) {
      if (pkt.l4 === 17 && pkt.srcPort === 53 && hosts.length > 0 && learn(pkt.payload)) keep = true;
      else keep = selected.has(pkt.srcIp) || selected.has(pkt.dstIp);
    }
    if (keep) {
      out.writer.write(rec);
      written++;
    }
    if (opts.progress && (read & 0xffff) === 0) opts.progress(src.bytesRead, 0);
  };
  try {
    if (src.forEachRecord) await src.forEachRecord(onRec);
    else for await (const r of src) onRec(r);
  } catch (err) {
    out.close();
    if (part !== '-') rmSync(part, { force: true });
    throw err;
  }
  out.close();
  const outputWritten = written > 0;
  if (part !== '-') {
    if (outputWritten) moveInto(part, opts.output);
    else rmSync(part, { force: true });
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
    outputWritten,
    secretsBlocks: secretsCopied + (opts.keylogText ? 1 : 0),
    addresses,
    unresolved,
    problems: [...src.problems, ...problems],
  };
}

/** The temporary file, with errors naming the file the user asked for. */
function openOutput(part: string, output: string): ReturnType<typeof createPcapngFile> {
  try {
    return createPcapngFile(part);
  } catch (err) {
    if (!(err instanceof LifelineError)) throw err;
    throw new LifelineError(err.code, err.message.split(part).join(output), err.kind);
  }
}

function moveInto(part: string, output: string): void {
  try {
    renameSync(part, output);
  } catch (err) {
    rmSync(part, { force: true });
    const e = err as NodeJS.ErrnoException;
    throw new LifelineError('CAPTURE_WRITE_FAILED', `cannot write ${output}: ${e.code ?? e.message}`, 'input');
  }
}

export function formatExtract(r: ExtractResult): string {
  const lines = r.outputWritten
    ? [`${r.output}: ${r.packetsWritten} of ${r.packetsRead} packets from ${r.file} (${r.format})`]
    : [`0 of ${r.packetsRead} packets of ${r.file} (${r.format}) matched: nothing written to ${r.output}`];
  for (const [ip, why] of Object.entries(r.addresses)) lines.push(`  ${ip}  ${why.join(', ')}`);
  for (const p of r.problems) {
    lines.push(`  ${p.severity} ${p.code}${p.offset !== undefined ? ` at byte ${p.offset}` : ''}: ${p.message}`);
  }
  return `${lines.join('\n')}\n`;
}
