// Test helper: run tshark and read its per-packet TCP analysis flags, conversations and WebSocket frames.

import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

export const TSHARK_FLAGS: ReadonlyArray<readonly [string, string]> = [
  ['tcp.analysis.retransmission', 'retransmission'],
  ['tcp.analysis.fast_retransmission', 'fast-retransmission'],
  ['tcp.analysis.spurious_retransmission', 'spurious-retransmission'],
  ['tcp.analysis.out_of_order', 'out-of-order'],
  ['tcp.analysis.duplicate_ack', 'dup-ack'],
  ['tcp.analysis.zero_window', 'zero-window'],
  ['tcp.analysis.window_full', 'window-full'],
  ['tcp.analysis.keep_alive', 'keep-alive'],
  ['tcp.analysis.keep_alive_ack', 'keep-alive-ack'],
  ['tcp.analysis.lost_segment', 'lost-segment'],
  ['tcp.analysis.ack_lost_segment', 'ack-lost-segment'],
  ['tcp.analysis.window_update', 'window-update'],
  ['tcp.analysis.zero_window_probe', 'zero-window-probe'],
  ['tcp.analysis.zero_window_probe_ack', 'zero-window-probe-ack'],
];

/** Fails with the Debian package name when tshark is missing (tests never skip). */
export function requireTool(cmd: string, pkg: string): void {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  if (r.error) throw new Error(`${cmd} is required for this test: apt-get install ${pkg}`);
}

const execFileAsync = promisify(execFile);

/**
 * tshark's raw `-T fields` output (tab-separated, one line per frame) for `fields` of `file`; a missing tshark fails
 * naming the Debian package. Callers parse the lines themselves.
 */
export async function tsharkFields(
  file: string,
  fields: readonly string[],
  opts: { maxBuffer?: number } = {},
): Promise<string> {
  const args = ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  try {
    return (await execFileAsync('tshark', args, opts)).stdout;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('tshark is missing: apt-get install tshark');
    throw err;
  }
}

/**
 * tshark's raw `-T fields` output with every occurrence of a field joined by ',' (several TLS records or WebSocket
 * frames in one packet), after the optional key log (-o), decode-as (-d) and display filter (-Y).
 */
export function tsharkOccurrences(
  file: string,
  fields: readonly string[],
  opts: { keylog?: string; decodeAs?: string; filter?: string; maxBuffer?: number } = {},
): string {
  const args = ['-r', file];
  if (opts.keylog) args.push('-o', `tls.keylog_file:${opts.keylog}`);
  if (opts.decodeAs) args.push('-d', opts.decodeAs);
  if (opts.filter) args.push('-Y', opts.filter);
  args.push('-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f]));
  return execFileSync('tshark', args, { encoding: 'utf8', ...(opts.maxBuffer ? { maxBuffer: opts.maxBuffer } : {}) });
}

/** frame number → sorted flag names (only frames with at least one flag), plus dup-ack numbers. */
export function tsharkFlags(file: string): Map<number, string> {
  requireTool('tshark', 'tshark');
  const args = ['-r', file, '-Y', 'tcp', '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number'];
  for (const [f] of TSHARK_FLAGS) args.push('-e', f);
  args.push('-e', 'tcp.analysis.duplicate_ack_num');
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const res = new Map<number, string>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    const names: string[] = [];
    TSHARK_FLAGS.forEach(([, name], i) => {
      if (cols[i + 1] !== '') names.push(name);
    });
    const dupNum = cols[TSHARK_FLAGS.length + 1];
    if (names.length === 0) continue;
    res.set(Number(cols[0]), normalise(names, dupNum ? Number(dupNum) : 0));
  }
  return res;
}

/**
 * Canonical string for a packet's flags. Wireshark adds the generic "retransmission" item next to the fast and
 * spurious kinds; we report only the specific one, so the generic one is dropped when a specific one is present.
 */
export function normalise(names: string[], dupNum: number): string {
  let set = new Set(names);
  if (set.has('fast-retransmission') || set.has('spurious-retransmission')) set.delete('retransmission');
  set = new Set([...set].sort());
  const parts = [...set];
  if (dupNum > 0) parts.push(`#${dupNum}`);
  return parts.join(',');
}

/**
 * `tshark -q -z conv,tcp` → one entry per conversation: endpoints as tshark prints them, frames in total and per
 * direction (`aFrames` A→B, tshark's "->" column; `bFrames` B→A, "<-"), and the byte column (tshark rounds it to kB).
 */
export function tsharkConversations(
  file: string,
): { a: string; b: string; frames: number; aFrames: number; bFrames: number; bytes: number }[] {
  const out = execFileSync('tshark', ['-r', file, '-q', '-z', 'conv,tcp'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const res: { a: string; b: string; frames: number; aFrames: number; bFrames: number; bytes: number }[] = [];
  for (const line of out.split('\n')) {
    const m = /^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+(\d+)\s*\S*\s+(\d+)\s+(\d+)\s*\S*\s+(\d+)\s+(\d+)/.exec(line);
    if (!m) continue;
    res.push({
      a: m[1],
      b: m[2],
      frames: Number(m[7]),
      aFrames: Number(m[5]),
      bFrames: Number(m[3]),
      bytes: Number(m[8]),
    });
  }
  return res;
}

/** TCP payload bytes (`tcp.len`) per direction, keyed "srcIp:srcPort>dstIp:dstPort" (IPv6 unbracketed). */
export function tsharkPayloadBytes(file: string): Map<string, number> {
  const fields = ['ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport', 'tcp.len'];
  const out = tsharkOccurrences(file, fields, { filter: 'tcp', maxBuffer: 1 << 28 });
  const res = new Map<string, number>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [s4, s6, sp, d4, d6, dp, len] = line.split('\t');
    // Tunnelled packets list the outer address first; the TCP header belongs to the innermost one.
    const last = (s: string) => s.split(',').pop();
    const key = `${last(s4 || s6)}:${last(sp)}>${last(d4 || d6)}:${last(dp)}`;
    res.set(key, (res.get(key) ?? 0) + Number(last(len) || 0));
  }
  return res;
}

export function tsharkCount(file: string, filter?: string): number {
  const args = ['-r', file, '-T', 'fields', '-e', 'frame.number'];
  if (filter) args.splice(2, 0, '-Y', filter);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  return out.split('\n').filter((l) => l !== '').length;
}

export interface TsharkWsFrame {
  frame: number;
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  opcode: number;
  /** The payload length (the 16- or 64-bit extended length when the 7-bit field says 126 or 127). */
  len: number;
}

/**
 * WebSocket frames in packet order (several frames per packet possible), with the TCP endpoints. `port` forces the
 * HTTP dissector on that port (tshark finds the Upgrade by itself on well-known HTTP ports and most others).
 */
export function tsharkWebSocket(file: string, port?: number): TsharkWsFrame[] {
  const fields = ['frame.number', 'ip.src', 'ipv6.src', 'tcp.srcport', 'ip.dst', 'ipv6.dst', 'tcp.dstport'];
  fields.push('websocket.opcode', 'websocket.payload_length');
  fields.push('websocket.payload_length_ext_16', 'websocket.payload_length_ext_64');
  const out = tsharkOccurrences(file, fields, {
    ...(port === undefined ? {} : { decodeAs: `tcp.port==${port},http` }),
    filter: 'websocket',
    maxBuffer: 1 << 28,
  });
  const res: TsharkWsFrame[] = [];
  const list = (s: string) => (s === '' ? [] : s.split(','));
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [fr, s4, s6, sp, d4, d6, dp, ops, lens, e16, e64] = line.split('\t');
    const o = list(ops);
    const l = list(lens);
    // Extended lengths are listed only for the frames that have them, in the same order.
    const x16 = list(e16);
    const x64 = list(e64);
    for (let i = 0; i < o.length; i++) {
      let len = Number(l[i]);
      if (len === 126) len = Number(x16.shift());
      else if (len === 127) len = Number(x64.shift());
      const src = (s4 || s6).split(',')[0];
      const dst = (d4 || d6).split(',')[0];
      res.push({ frame: Number(fr), src, srcPort: Number(sp), dst, dstPort: Number(dp), opcode: Number(o[i]), len });
    }
  }
  return res;
}
