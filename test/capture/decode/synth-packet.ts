// Builders for synthetic frames (Ethernet/SLL/NULL + IPv4/IPv6 + TCP/UDP), checksums left zero.

const cat = (...parts: (Uint8Array | number[])[]): Uint8Array => {
  const out: number[] = [];
  for (const p of parts) for (const x of p) out.push(x);
  return Uint8Array.from(out);
};
const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

export function ip4(s: string): number[] {
  return s.split('.').map(Number);
}

export function ip6(s: string): number[] {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':').filter(Boolean) : [];
  const t = tail ? tail.split(':').filter(Boolean) : [];
  const groups = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => u16(Number.parseInt(g, 16)));
}

export function ethernet(type: number, payload: Uint8Array, vlans: number[] = []): Uint8Array {
  const tags = vlans.flatMap((tpid, i) => [...u16(tpid), ...u16(100 + i)]);
  // With tags, each tag's TPID precedes the TCI; the final ethertype follows the last tag.
  return cat([0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], tags, u16(type), payload);
}

export function sll(protocol: number, payload: Uint8Array): Uint8Array {
  return cat(u16(0), u16(1), u16(6), [1, 2, 3, 4, 5, 6, 0, 0], u16(protocol), payload);
}

export function sll2(protocol: number, payload: Uint8Array): Uint8Array {
  return cat(u16(protocol), u16(0), u32(2), u16(1), [0], [6], [1, 2, 3, 4, 5, 6, 0, 0], payload);
}

export function nullLink(af: number, payload: Uint8Array, le = true): Uint8Array {
  const b = le ? [af & 0xff, (af >>> 8) & 0xff, 0, 0] : u32(af);
  return cat(b, payload);
}

export function ipv4(o: {
  src: string;
  dst: string;
  proto: number;
  payload: Uint8Array;
  id?: number;
  ttl?: number;
  mf?: boolean;
  fragOffset?: number;
  options?: number[];
  totalLength?: number;
}): Uint8Array {
  const opts = o.options ?? [];
  const ihl = 5 + Math.ceil(opts.length / 4);
  const padded = [...opts, ...new Array(ihl * 4 - 20 - opts.length).fill(0)];
  const total = o.totalLength ?? ihl * 4 + o.payload.length;
  const frag = (o.mf ? 0x2000 : 0) | (o.fragOffset ?? 0);
  return cat(
    [0x40 | ihl, 0],
    u16(total),
    u16(o.id ?? 0x1234),
    u16(frag),
    [o.ttl ?? 64, o.proto],
    u16(0),
    ip4(o.src),
    ip4(o.dst),
    padded,
    o.payload,
  );
}

/** IPv6 with optional extension headers [type, bodyBytes] (bodies padded by the caller to the right size). */
export function ipv6(o: {
  src: string;
  dst: string;
  next: number;
  payload: Uint8Array;
  hopLimit?: number;
  ext?: { type: number; body: number[] }[];
}): Uint8Array {
  const ext = o.ext ?? [];
  const chain: number[] = [];
  for (let i = 0; i < ext.length; i++) {
    const nextType = i + 1 < ext.length ? ext[i + 1].type : o.next;
    chain.push(nextType, ...ext[i].body);
  }
  const first = ext.length > 0 ? ext[0].type : o.next;
  const plen = chain.length + o.payload.length;
  return cat([0x60, 0, 0, 0], u16(plen), [first, o.hopLimit ?? 64], ip6(o.src), ip6(o.dst), chain, o.payload);
}

export function tcp(o: {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  options?: number[];
  payload?: Uint8Array;
}): Uint8Array {
  const opts = o.options ?? [];
  const padded = [...opts, ...new Array((4 - (opts.length % 4)) % 4).fill(0)];
  const hl = 20 + padded.length;
  return cat(
    u16(o.sport),
    u16(o.dport),
    u32(o.seq ?? 1000),
    u32(o.ack ?? 0),
    [(hl / 4) << 4, o.flags ?? 0x18],
    u16(o.window ?? 65535),
    u16(0),
    u16(0),
    padded,
    o.payload ?? new Uint8Array(0),
  );
}

export function udp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return cat(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
}

export { cat, u16, u32 };
