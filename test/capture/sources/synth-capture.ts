// Builders for synthetic pcap / pcapng bytes, so reader tests state exactly what a file holds.

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

class Writer {
  private bytes: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number): this {
    this.bytes.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v).u8(v >>> 8) : this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.le ? this.u16(v & 0xffff).u16(v >>> 16) : this.u16(v >>> 16).u16(v & 0xffff);
  }
  u64(v: bigint): this {
    const hi = Number((v >> 32n) & 0xffffffffn);
    const lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: Uint8Array | number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }
  pad4(): this {
    while (this.bytes.length % 4) this.bytes.push(0);
    return this;
  }
  get length(): number {
    return this.bytes.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export interface PcapRecordSpec {
  sec: number;
  frac: number;
  data: Uint8Array;
  origLen?: number;
  /** Override the captured-length field (to fake damage). */
  caplenField?: number;
}

export function pcapFile(opts: {
  le?: boolean;
  ns?: boolean;
  linkType?: number;
  /** Raw link-type field (FCS bits etc.); overrides linkType. */
  linkTypeField?: number;
  snaplen?: number;
  records: PcapRecordSpec[];
  kuznetzov?: boolean;
}): Uint8Array {
  const w = new Writer(opts.le ?? true);
  w.u32(opts.kuznetzov ? 0xa1b2cd34 : opts.ns ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(2)
    .u16(4)
    .u32(0)
    .u32(0)
    .u32(opts.snaplen ?? 65535)
    .u32(opts.linkTypeField ?? opts.linkType ?? 1);
  for (const r of opts.records) {
    w.u32(r.sec)
      .u32(r.frac)
      .u32(r.caplenField ?? r.data.length)
      .u32(r.origLen ?? r.data.length);
    if (opts.kuznetzov) w.u32(0).u16(0).u8(0).u8(0);
    w.raw(r.data);
  }
  return w.done();
}

export type Opt = [code: number, value: Uint8Array | number[]];

function options(w: Writer, opts: Opt[] | undefined): void {
  if (!opts || opts.length === 0) return;
  for (const [code, v] of opts) {
    w.u16(code).u16(v.length).raw(v).pad4();
  }
  w.u16(0).u16(0);
}

/** Any block: type, body (already in the block's byte order), trailing length. */
export function block(le: boolean, type: number, body: (w: Writer) => void, lengthOverride?: number): Uint8Array {
  const inner = new Writer(le);
  body(inner);
  inner.pad4();
  const b = inner.done();
  const total = lengthOverride ?? 12 + b.length;
  return new Writer(le)
    .u32(type)
    .u32(total)
    .raw(b)
    .u32(lengthOverride ?? total)
    .done();
}

export function shb(le: boolean, opts?: Opt[], major = 1): Uint8Array {
  return block(le, 0x0a0d0d0a, (w) => {
    w.u32(0x1a2b3c4d)
      .u16(major)
      .u16(0)
      .u64(-1n & 0xffffffffffffffffn);
    options(w, opts);
  });
}

export function idb(
  le: boolean,
  o: { linkType?: number; snaplen?: number; tsresol?: number; tsoffset?: bigint; name?: string } = {},
): Uint8Array {
  const opts: Opt[] = [];
  if (o.name) opts.push([2, new TextEncoder().encode(o.name)]);
  if (o.tsresol !== undefined) opts.push([9, [o.tsresol]]);
  if (o.tsoffset !== undefined) {
    const w = new Writer(le).u64(BigInt.asUintN(64, o.tsoffset));
    opts.push([14, w.done()]);
  }
  return block(le, 1, (w) => {
    w.u16(o.linkType ?? 1)
      .u16(0)
      .u32(o.snaplen ?? 0);
    options(w, opts);
  });
}

export function epb(
  le: boolean,
  o: { ifid?: number; units: bigint; data: Uint8Array; origLen?: number; caplenField?: number; opts?: Opt[] },
): Uint8Array {
  return block(le, 6, (w) => {
    w.u32(o.ifid ?? 0)
      .u32(Number((o.units >> 32n) & 0xffffffffn))
      .u32(Number(o.units & 0xffffffffn))
      .u32(o.caplenField ?? o.data.length)
      .u32(o.origLen ?? o.data.length)
      .raw(o.data)
      .pad4();
    options(w, o.opts);
  });
}

export function pb(le: boolean, o: { ifid?: number; units: bigint; data: Uint8Array; origLen?: number }): Uint8Array {
  return block(le, 2, (w) => {
    w.u16(o.ifid ?? 0)
      .u16(0)
      .u32(Number((o.units >> 32n) & 0xffffffffn))
      .u32(Number(o.units & 0xffffffffn))
      .u32(o.data.length)
      .u32(o.origLen ?? o.data.length)
      .raw(o.data)
      .pad4();
  });
}

export function spb(le: boolean, o: { data: Uint8Array; origLen?: number }): Uint8Array {
  return block(le, 3, (w) => {
    w.u32(o.origLen ?? o.data.length)
      .raw(o.data)
      .pad4();
  });
}

export function nrb(le: boolean, entries: { v6?: boolean; addr: number[]; names: string[] }[]): Uint8Array {
  return block(le, 4, (w) => {
    for (const e of entries) {
      const names = new TextEncoder().encode(e.names.map((n) => `${n}\0`).join(''));
      w.u16(e.v6 ? 2 : 1)
        .u16(e.addr.length + names.length)
        .raw(e.addr)
        .raw(names)
        .pad4();
    }
    w.u16(0).u16(0);
  });
}

export function isb(le: boolean, ifid = 0): Uint8Array {
  return block(le, 5, (w) => {
    w.u32(ifid).u32(0).u32(0);
  });
}

export function dsb(le: boolean, text: string, type = 0x544c534b): Uint8Array {
  const b = new TextEncoder().encode(text);
  return block(le, 0x0a, (w) => {
    w.u32(type).u32(b.length).raw(b).pad4();
  });
}

export function customBlock(le: boolean, copy = true): Uint8Array {
  return block(le, copy ? 0x00000bad : 0x40000bad, (w) => {
    w.u32(32473).raw([1, 2, 3, 4]);
  });
}

/** Frame bytes of `n` with a recognisable pattern. */
export function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}
