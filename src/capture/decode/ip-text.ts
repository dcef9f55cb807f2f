// IP addresses as text, interned: the same address always yields the same string object, and a repeat costs a hash
// lookup, not a string build. Open-addressing tables keyed by the raw address words (no key strings, no allocation
// on a hit). A table that fills up is cleared rather than grown, so memory stays bounded on scans of huge captures.

const CAP = 1 << 16;
const MASK = CAP - 1;

class InternTable {
  private readonly keys: Int32Array;
  private readonly vals: (string | undefined)[] = new Array(CAP).fill(undefined);
  private count = 0;
  constructor(private readonly width: 1 | 4) {
    this.keys = new Int32Array(CAP * width);
  }

  /** Slot for the key words, or the empty slot where it belongs (negative: -(slot+1)). */
  find(a: number, b: number, c: number, d: number): number {
    let h = Math.imul(a ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35) ^ Math.imul(d, 0x27d4eb2f), 0x9e3779b1);
    h = (h ^ (h >>> 15)) & MASK;
    const w = this.width;
    const k = this.keys;
    for (let i = 0; i < CAP; i++) {
      const s = (h + i) & MASK;
      if (this.vals[s] === undefined) return -(s + 1);
      const o = s * w;
      if (k[o] === a && (w === 1 || (k[o + 1] === b && k[o + 2] === c && k[o + 3] === d))) return s;
    }
    return -1;
  }

  get(slot: number): string {
    return this.vals[slot] as string;
  }

  put(emptySlot: number, a: number, b: number, c: number, d: number, text: string): void {
    if (this.count >= CAP >>> 1) {
      this.vals.fill(undefined);
      this.count = 0;
      const s = this.find(a, b, c, d);
      emptySlot = -(s + 1);
    }
    const o = emptySlot * this.width;
    this.keys[o] = a;
    if (this.width === 4) {
      this.keys[o + 1] = b;
      this.keys[o + 2] = c;
      this.keys[o + 3] = d;
    }
    this.vals[emptySlot] = text;
    this.count++;
  }
}

const v4 = new InternTable(1);
const v6 = new InternTable(4);

/** Dotted-quad text of the 4 bytes at b[off]. */
export function ipv4Text(b: Uint8Array, off: number): string {
  const a = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
  const s = v4.find(a, 0, 0, 0);
  if (s >= 0) return v4.get(s);
  const text = `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  v4.put(-(s + 1), a, 0, 0, 0, text);
  return text;
}

/** RFC 5952 text of the 16 bytes at b[off] (lowercase, longest zero run as `::`, IPv4-mapped as ::ffff:a.b.c.d). */
export function ipv6Text(b: Uint8Array, off: number): string {
  const w0 = (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3];
  const w1 = (b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7];
  const w2 = (b[off + 8] << 24) | (b[off + 9] << 16) | (b[off + 10] << 8) | b[off + 11];
  const w3 = (b[off + 12] << 24) | (b[off + 13] << 16) | (b[off + 14] << 8) | b[off + 15];
  const s = v6.find(w0, w1, w2, w3);
  if (s >= 0) return v6.get(s);
  const text = formatIpv6(b, off);
  v6.put(-(s + 1), w0, w1, w2, w3, text);
  return text;
}

export function formatIpv6(b: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  }
  // Longest run of ≥ 2 zero groups; the first one wins a tie (RFC 5952 §4.2.3).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestLen = j - i;
      bestAt = i;
    }
    i = j;
  }
  if (bestAt < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestAt).map((x) => x.toString(16));
  const tail = g.slice(bestAt + bestLen).map((x) => x.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}
