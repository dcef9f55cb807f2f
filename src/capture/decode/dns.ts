// DNS messages (RFC 1035 §4) from a UDP payload (or a TCP one, with its 2-byte length prefix): header, questions
// and answers, with compression pointers followed at most MAX_JUMPS times (a pointer loop cannot spin) and names
// bounded to 255 bytes. Malformed input yields a partial message with `problem` set, never an exception. Names are
// lower-cased (DNS compares case-insensitively). Used for port 53; DNS is rare enough that allocation is fine here.
import { ipv4Text, ipv6Text } from './ip-text.ts';

export const DNS_A = 1;
export const DNS_NS = 2;
export const DNS_CNAME = 5;
export const DNS_PTR = 12;
export const DNS_AAAA = 28;
export const DNS_PORT = 53;

const MAX_JUMPS = 64;
/** Bounds on counts we walk, whatever the header claims. */
const MAX_RECORDS = 512;

export interface DnsQuestion {
  name: string;
  type: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  ttl: number;
  /** A/AAAA: the address text; CNAME/NS/PTR: the target name; other types: ''. */
  data: string;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  /** 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, … */
  rcode: number;
  /** TC bit: the answer did not fit (the client retries over TCP). */
  truncatedFlag: boolean;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  /** '' or DNS_TRUNCATED (ends inside a record), DNS_BAD_NAME (bad label or pointer loop). */
  problem: string;
}

/** Decodes a DNS message; null when shorter than the 12-byte header. */
export function decodeDns(b: Uint8Array): DnsMessage | null {
  if (b.length < 12) return null;
  const flags = (b[2] << 8) | b[3];
  const msg: DnsMessage = {
    id: (b[0] << 8) | b[1],
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    rcode: flags & 0x0f,
    truncatedFlag: (flags & 0x0200) !== 0,
    questions: [],
    answers: [],
    problem: '',
  };
  const qd = Math.min(MAX_RECORDS, (b[4] << 8) | b[5]);
  const an = Math.min(MAX_RECORDS, (b[6] << 8) | b[7]);
  const cur: Cursor = { at: 12, err: '' };
  for (let i = 0; i < qd; i++) {
    const name = readName(b, cur);
    if (name === null) return fail(msg, cur);
    if (cur.at + 4 > b.length) return fail(msg, cur);
    msg.questions.push({ name, type: (b[cur.at] << 8) | b[cur.at + 1] });
    cur.at += 4;
  }
  for (let i = 0; i < an; i++) {
    const name = readName(b, cur);
    if (name === null) return fail(msg, cur);
    const at = cur.at;
    if (at + 10 > b.length) return fail(msg, cur);
    const type = (b[at] << 8) | b[at + 1];
    const ttl = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0;
    const rdlen = (b[at + 8] << 8) | b[at + 9];
    const rd = at + 10;
    if (rd + rdlen > b.length) return fail(msg, cur);
    let data = '';
    if (type === DNS_A && rdlen === 4) data = ipv4Text(b, rd);
    else if (type === DNS_AAAA && rdlen === 16) data = ipv6Text(b, rd);
    else if (type === DNS_CNAME || type === DNS_NS || type === DNS_PTR) {
      const target = readName(b, { at: rd, err: '' });
      if (target === null) {
        msg.problem = 'DNS_BAD_NAME';
        return msg;
      }
      data = target;
    }
    msg.answers.push({ name, type, ttl, data });
    cur.at = rd + rdlen;
  }
  return msg;
}

/** DNS over TCP: a 2-byte length, then the message (only a segment holding the whole message decodes). */
export function decodeDnsTcp(b: Uint8Array): DnsMessage | null {
  if (b.length < 14) return null;
  const len = (b[0] << 8) | b[1];
  return decodeDns(b.subarray(2, Math.min(b.length, 2 + len)));
}

interface Cursor {
  at: number;
  /** Why the last readName failed. */
  err: string;
}

function fail(msg: DnsMessage, cur: Cursor): DnsMessage {
  msg.problem = cur.err || 'DNS_TRUNCATED';
  return msg;
}

/** Reads a (possibly compressed) name at cur.at and advances cur.at past it; null when malformed. */
function readName(b: Uint8Array, cur: Cursor): string | null {
  cur.err = 'DNS_TRUNCATED';
  let p = cur.at;
  let after = -1;
  let jumps = 0;
  let total = 0;
  let name = '';
  for (;;) {
    if (p >= b.length) return null;
    const len = b[p];
    if (len === 0) {
      if (after < 0) after = p + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= b.length) return null;
      if (++jumps > MAX_JUMPS) {
        cur.err = 'DNS_BAD_NAME';
        return null;
      }
      if (after < 0) after = p + 2;
      p = ((len & 0x3f) << 8) | b[p + 1];
      continue;
    }
    if ((len & 0xc0) !== 0) {
      cur.err = 'DNS_BAD_NAME';
      return null;
    }
    if (p + 1 + len > b.length) return null;
    total += len + 1;
    if (total > 255) {
      cur.err = 'DNS_BAD_NAME';
      return null;
    }
    let label = '';
    for (let i = p + 1; i <= p + len; i++) label += String.fromCharCode(b[i]);
    name = name === '' ? label : `${name}.${label}`;
    p += 1 + len;
  }
  cur.at = after;
  cur.err = '';
  return name.toLowerCase();
}

export interface Resolved {
  /** The name asked, its CNAME chain (in order) and the addresses at the end of it. */
  name: string;
  cnames: string[];
  addresses: string[];
}

/** Follows `name` through the answers' CNAME chain (loop-safe) and collects its A/AAAA addresses. */
export function resolveFromAnswers(answers: readonly DnsRecord[], name: string): Resolved {
  const out: Resolved = { name: name.toLowerCase(), cnames: [], addresses: [] };
  const seen = new Set<string>([out.name]);
  let cur = out.name;
  for (let i = 0; i <= answers.length; i++) {
    for (const a of answers)
      if (a.name === cur && (a.type === DNS_A || a.type === DNS_AAAA) && !out.addresses.includes(a.data))
        out.addresses.push(a.data);
    const next = answers.find((a) => a.name === cur && a.type === DNS_CNAME);
    if (next === undefined || seen.has(next.data)) break;
    out.cnames.push(next.data);
    seen.add(next.data);
    cur = next.data;
  }
  return out;
}
