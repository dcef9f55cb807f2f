// Sequence-number recovery for TLS 1.3 AES-GCM records. The GCM tag is GHASH_H(A, C) XOR E_K(J0) with J0 = nonce ‖ 1,
// and GHASH does not depend on the nonce. GHASH is computed here (H = E_K(0)); one AES block decryption of
// tag XOR GHASH then yields J0, hence the nonce iv XOR seq, hence seq — with no search and no GCM context per try. Used to find
// keys when the handshake was not captured (midstream.ts) and to resynchronise after lost records.

import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { aeadOpen } from './aead.ts';
import type { CipherSuite } from './cipher-suites.ts';
import { aeadNonce } from './tls13-keys.ts';

/**
 * ECB contexts per key, reused across records: ECB without padding is stateless between `update` calls, so the
 * costly cipher setup happens once per key instead of once per record (the mid-stream search tries many keys, each
 * on a few records).
 */
const ECB = new WeakMap<Uint8Array, { enc: Cipher; dec: Decipher }>();
// (Keyed by the key's Uint8Array object: callers derive keys once per secret and reuse the object.)

function ecbFor(bits: number, key: Uint8Array): { enc: Cipher; dec: Decipher } {
  let e = ECB.get(key);
  if (!e) {
    const enc = createCipheriv(`aes-${bits}-ecb`, key, null);
    enc.setAutoPadding(false);
    const dec = createDecipheriv(`aes-${bits}-ecb`, key, null);
    dec.setAutoPadding(false);
    e = { enc, dec };
    ECB.set(key, e);
  }
  return e;
}

/**
 * The sequence number under which (key, iv) authenticates this TLS 1.3 AES-GCM record, or undefined when the key
 * does not fit the record.
 */
export function recoverGcmSeq(
  cs: CipherSuite,
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
  tag: Uint8Array,
): bigint | undefined {
  const ecb = ecbFor(cs.keyLen * 8, key);
  const h = hashKey(key, ecb.enc);
  // For the record's real nonce N: tag = GHASH_H(A, C) XOR E_K(N ‖ 1), so N ‖ 1 = D_K(tag XOR GHASH_H(A, C)).
  const g = ghash(h, aad, ct);
  const target = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) target[i] = tag[i] ^ g[i];
  const x = ecb.dec.update(target);
  // N = iv XOR (0^32 ‖ seq64): the first 4 bytes must equal the iv's, the counter must be 1.
  if (x[12] !== 0 || x[13] !== 0 || x[14] !== 0 || x[15] !== 1) return undefined;
  for (let i = 0; i < 4; i++) if (x[i] !== iv[i]) return undefined;
  let seq = 0n;
  for (let i = 4; i < 12; i++) seq = (seq << 8n) | BigInt(x[i] ^ iv[i]);
  // 64 bits had to match by chance otherwise; a real decryption settles it.
  return aeadOpen(cs, key, aeadNonce(iv, seq), aad, ct, tag) !== undefined ? seq : undefined;
}

/** GHASH key H = E_K(0^128) per AES key, as four big-endian 32-bit words. */
const HKEY = new WeakMap<Uint8Array, Uint32Array>();

function hashKey(key: Uint8Array, enc: Cipher): Uint32Array {
  let h = HKEY.get(key);
  if (!h) {
    const b = enc.update(Buffer.alloc(16));
    h = Uint32Array.of(b.readUInt32BE(0), b.readUInt32BE(4), b.readUInt32BE(8), b.readUInt32BE(12));
    HKEY.set(key, h);
  }
  return h;
}

/** X·H in GF(2^128) with GCM's bit order (NIST SP 800-38D, Algorithm 1); result written into x. */
function gfMulInto(x: Uint32Array, h: Uint32Array): void {
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  let v0 = h[0];
  let v1 = h[1];
  let v2 = h[2];
  let v3 = h[3];
  for (let i = 0; i < 128; i++) {
    if ((x[i >>> 5] >>> (31 - (i & 31))) & 1) {
      z0 ^= v0;
      z1 ^= v1;
      z2 ^= v2;
      z3 ^= v3;
    }
    const lsb = v3 & 1;
    v3 = (v3 >>> 1) | (v2 << 31);
    v2 = (v2 >>> 1) | (v1 << 31);
    v1 = (v1 >>> 1) | (v0 << 31);
    v0 >>>= 1;
    if (lsb) v0 ^= 0xe1000000;
  }
  x[0] = z0;
  x[1] = z1;
  x[2] = z2;
  x[3] = z3;
}

/** GHASH_H(A, C): blocks of A and C (zero-padded), then len(A) ‖ len(C) in bits. Exported for the tests. */
export function ghash(h: Uint32Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const y = new Uint32Array(4);
  const absorb = (data: Uint8Array) => {
    for (let o = 0; o < data.length; o += 16) {
      const block = new Uint8Array(16);
      block.set(data.subarray(o, Math.min(o + 16, data.length)));
      const dv = new DataView(block.buffer);
      for (let w = 0; w < 4; w++) y[w] ^= dv.getUint32(w * 4);
      gfMulInto(y, h);
    }
  };
  absorb(aad);
  absorb(ct);
  const lens = new DataView(new ArrayBuffer(16));
  lens.setBigUint64(0, BigInt(aad.length) * 8n);
  lens.setBigUint64(8, BigInt(ct.length) * 8n);
  for (let w = 0; w < 4; w++) y[w] ^= lens.getUint32(w * 4);
  gfMulInto(y, h);
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  for (let w = 0; w < 4; w++) dv.setUint32(w * 4, y[w] >>> 0);
  return out;
}
