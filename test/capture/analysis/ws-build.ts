// Test helper: build WebSocket frames by hand (RFC 6455 §5.2).

/** Build one frame (RFC 6455 §5.2). */
export function wsFrame(
  opcode: number,
  payload: Uint8Array | string,
  o: { fin?: boolean; mask?: number[]; rsv1?: boolean } = {},
): Uint8Array {
  const p = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const fin = o.fin ?? true;
  const hdr: number[] = [(fin ? 0x80 : 0) | (o.rsv1 ? 0x40 : 0) | opcode];
  const m = o.mask ? 0x80 : 0;
  if (p.length < 126) hdr.push(m | p.length);
  else if (p.length < 65536) hdr.push(m | 126, p.length >> 8, p.length & 0xff);
  else {
    hdr.push(m | 127, 0, 0, 0, 0);
    hdr.push((p.length >>> 24) & 0xff, (p.length >>> 16) & 0xff, (p.length >>> 8) & 0xff, p.length & 0xff);
  }
  const body = new Uint8Array(p);
  if (o.mask) {
    hdr.push(...o.mask);
    for (let i = 0; i < body.length; i++) body[i] ^= o.mask[i & 3];
  }
  const out = new Uint8Array(hdr.length + body.length);
  out.set(hdr, 0);
  out.set(body, hdr.length);
  return out;
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, b) => a + b.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
