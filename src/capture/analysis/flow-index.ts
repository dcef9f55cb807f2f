// Directional IPv4 flow lookup (src address, dst address, src·65536+dst port) → value, as one open-addressing
// table over an Int32Array: no key objects, no strings, about one cache line per hit. The flow table's hot path
// (every packet of a 1 M-packet capture looks a flow up) was nested Maps keyed by address strings before.
// Linear probing with backward-shift deletion (no tombstones), so a long capture that creates and expires flows
// keeps probe chains short; grows at half load.

export class Ipv4FlowIndex<V> {
  private cap = 1024;
  private mask = this.cap - 1;
  private keys = new Int32Array(this.cap * 3);
  private vals: (V | undefined)[] = new Array(this.cap).fill(undefined);
  private count = 0;

  get size(): number {
    return this.count;
  }

  private home(src: number, dst: number, ports: number): number {
    let h = Math.imul(src ^ Math.imul(dst, 0x85ebca6b) ^ Math.imul(ports, 0xc2b2ae35), 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }

  /** Slot holding the key, or -1. */
  private slotOf(src: number, dst: number, ports: number): number {
    const k = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    for (let s = this.home(src, dst, ports), i = 0; i <= mask; s = (s + 1) & mask, i++) {
      if (vals[s] === undefined) return -1;
      const o = s * 3;
      if (k[o] === src && k[o + 1] === dst && k[o + 2] === ports) return s;
    }
    return -1;
  }

  /** `src`, `dst` are the addresses as int32 (any sign), `ports` as int32 (`(sport * 65536 + dport) | 0`). */
  get(src: number, dst: number, ports: number): V | undefined {
    const s = this.slotOf(src, dst, ports);
    return s < 0 ? undefined : this.vals[s];
  }

  set(src: number, dst: number, ports: number, v: V): void {
    const s = this.slotOf(src, dst, ports);
    if (s >= 0) {
      this.vals[s] = v;
      return;
    }
    if ((this.count + 1) * 2 > this.cap) this.grow();
    this.insertNew(src, dst, ports, v);
  }

  /** Removes the key if it maps to `v` (a newer flow on the same ports keeps its entry). */
  deleteIf(src: number, dst: number, ports: number, v: V): void {
    const s = this.slotOf(src, dst, ports);
    if (s < 0 || this.vals[s] !== v) return;
    this.removeAt(s);
  }

  private insertNew(src: number, dst: number, ports: number, v: V): void {
    const mask = this.mask;
    let s = this.home(src, dst, ports);
    while (this.vals[s] !== undefined) s = (s + 1) & mask;
    const o = s * 3;
    this.keys[o] = src;
    this.keys[o + 1] = dst;
    this.keys[o + 2] = ports;
    this.vals[s] = v;
    this.count++;
  }

  private removeAt(slot: number): void {
    const k = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = slot;
    vals[i] = undefined;
    this.count--;
    // Backward shift: pull later entries of the probe run into the hole when their home is not in (i, j].
    for (let j = (i + 1) & mask; vals[j] !== undefined; j = (j + 1) & mask) {
      const o = j * 3;
      const h = this.home(k[o], k[o + 1], k[o + 2]);
      const stays = i <= j ? h > i && h <= j : h > i || h <= j;
      if (stays) continue;
      const d = i * 3;
      k[d] = k[o];
      k[d + 1] = k[o + 1];
      k[d + 2] = k[o + 2];
      vals[i] = vals[j];
      vals[j] = undefined;
      i = j;
    }
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    this.cap *= 2;
    this.mask = this.cap - 1;
    this.keys = new Int32Array(this.cap * 3);
    this.vals = new Array(this.cap).fill(undefined);
    this.count = 0;
    for (let s = 0; s < oldVals.length; s++) {
      const v = oldVals[s];
      if (v !== undefined) this.insertNew(oldKeys[s * 3], oldKeys[s * 3 + 1], oldKeys[s * 3 + 2], v);
    }
  }
}

/** Dotted-quad text → int32 address bits (parsing ~12 characters is cheaper than a string-keyed Map lookup). */
export function ipv4Number(text: string): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      n = (n << 8) | part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return (n << 8) | part;
}

/** A dotted quad (what the decoder writes for IPv4): 7–15 characters of digits and dots, exactly three dots. Any
 *  other text (IPv6, names in hand-built test packets) stays on the string-keyed path. */
export function isIpv4Text(text: string): boolean {
  const n = text.length;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let digits = 0;
  let part = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return false;
      dots++;
      digits = 0;
      part = 0;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      digits++;
      part = part * 10 + (c - 48);
    } else return false;
  }
  return dots === 3 && digits > 0 && part <= 255;
}
