// DNS responses (RFC 1035 §4) → what the PC resolved: the queried name, its A/AAAA addresses and the CNAME chain.
// Bounds-checked, compression pointers followed at most 32 times; returns null for anything that is not a
// well-formed response. Only what the capture analysis needs, not a general DNS decoder.

import type { DnsAnswer } from './capture-analyzer.ts';

const MAX_JUMPS = 32;

function readName(b: Uint8Array, start: number): { name: string; end: number } | null {
  let p = start;
  let end = -1;
  let jumps = 0;
  const labels: string[] = [];
  let total = 0;
  for (;;) {
    if (p >= b.length) return null;
    const len = b[p];
    if (len === 0) {
      if (end < 0) end = p + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= b.length || ++jumps > MAX_JUMPS) return null;
      if (end < 0) end = p + 2;
      p = ((len & 0x3f) << 8) | b[p + 1];
      continue;
    }
    if (len & 0xc0) return null;
    if (p + 1 + len > b.length) return null;
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(b[p + 1 + i]);
    labels.push(s);
    total += len + 1;
    if (total > 255) return null;
    p += 1 + len;
  }
  return { name: labels.join('.').toLowerCase(), end };
}

function ipv6(b: Uint8Array, p: number): string {
  const parts: number[] = [];
  for (let i = 0; i < 8; i++) parts.push((b[p + 2 * i] << 8) | b[p + 2 * i + 1]);
  // RFC 5952: longest run (≥ 2) of zero groups becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = parts.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Answers of a DNS response message (UDP payload), or null if it is not a response. */
export function dnsAnswers(b: Uint8Array): DnsAnswer[] | null {
  if (b.length < 12) return null;
  const flags = (b[2] << 8) | b[3];
  if ((flags & 0x8000) === 0) return null; // a query
  const rcode = flags & 0x0f;
  const qd = (b[4] << 8) | b[5];
  const an = (b[6] << 8) | b[7];
  if (qd !== 1) return null;
  const q = readName(b, 12);
  if (!q || q.end + 4 > b.length) return null;
  const qtype = (b[q.end] << 8) | b[q.end + 1];
  if (qtype !== 1 && qtype !== 28 && qtype !== 5 && qtype !== 255) return null;
  let p = q.end + 4;
  const addresses: string[] = [];
  const cnames: string[] = [];
  for (let i = 0; i < an && i < 256; i++) {
    const n = readName(b, p);
    if (!n || n.end + 10 > b.length) break;
    p = n.end;
    const type = (b[p] << 8) | b[p + 1];
    const rdlen = (b[p + 8] << 8) | b[p + 9];
    p += 10;
    if (p + rdlen > b.length) break;
    if (type === 1 && rdlen === 4) addresses.push(`${b[p]}.${b[p + 1]}.${b[p + 2]}.${b[p + 3]}`);
    else if (type === 28 && rdlen === 16) addresses.push(ipv6(b, p));
    else if (type === 5) {
      const c = readName(b, p);
      if (c) cnames.push(c.name);
    }
    p += rdlen;
  }
  const res: DnsAnswer = { name: q.name, addresses, rcode };
  if (cnames.length) res.cnames = cnames;
  return [res];
}
