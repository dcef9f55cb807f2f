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

/** Per AES key: the 4-bit multiplication table of H = E_K(0^128) (Shoup's method), 16 entries × 4 words. */
const HTABLE = new WeakMap<Uint8Array, Uint32Array>();

function hashKey(key: Uint8Array, enc: Cipher): Uint32Array {
  let t = HTABLE.get(key);
  if (!t) {
    const b = enc.update(Buffer.alloc(16));
    t = new Uint32Array(64);
    // M[8] = H; M[4] = H·x; M[2] = H·x²; M[1] = H·x³ (multiplying by x is a right shift in GCM's bit order).
    let v0 = b.readUInt32BE(0);
    let v1 = b.readUInt32BE(4);
    let v2 = b.readUInt32BE(8);
    let v3 = b.readUInt32BE(12);
    for (let i = 8; i > 0; i >>= 1) {
      t.set([v0, v1, v2, v3], i * 4);
      const lsb = v3 & 1;
      v3 = (v3 >>> 1) | (v2 << 31);
      v2 = (v2 >>> 1) | (v1 << 31);
      v1 = (v1 >>> 1) | (v0 << 31);
      v0 = (v0 >>> 1) ^ (lsb ? 0xe1000000 : 0);
    }
    // M[i + j] = M[i] XOR M[j] (multiplication is linear).
    for (let i = 2; i <= 8; i <<= 1) {
      for (let j = 1; j < i; j++) for (let w = 0; w < 4; w++) t[(i + j) * 4 + w] = t[i * 4 + w] ^ t[j * 4 + w];
    }
    HTABLE.set(key, t);
  }
  return t;
}

/** Reduction of the 4 bits shifted out when multiplying by x^4 (GCM polynomial x^128 + x^7 + x^2 + x + 1). */
const LAST4 = Uint32Array.of(
  0x0000,
  0x1c20,
  0x3840,
  0x2460,
  0x7080,
  0x6ca0,
  0x48c0,
  0x54e0,
  0xe100,
  0xfd20,
  0xd940,
  0xc560,
  0x9180,
  0x8da0,
  0xa9c0,
  0xb5e0,
);

/** y ← y·H in GF(2^128), GCM bit order, 4 bits at a time (Horner over the 32 nibbles, highest degree first). */
function gfMulInto(y: Uint32Array, m: Uint32Array): void {
  let z0 = 0;
  let z1 = 0;
  let z2 = 0;
  let z3 = 0;
  for (let i = 31; i >= 0; i--) {
    // Nibble i: byte i >> 1; the low nibble holds the higher-degree coefficients, so it comes first.
    const word = y[i >>> 3];
    const shift = (7 - (i & 7)) * 4;
    const nib = (word >>> shift) & 0xf;
    if (i !== 31) {
      const rem = z3 & 0xf;
      z3 = (z3 >>> 4) | (z2 << 28);
      z2 = (z2 >>> 4) | (z1 << 28);
      z1 = (z1 >>> 4) | (z0 << 28);
      z0 = (z0 >>> 4) ^ (LAST4[rem] << 16);
    }
    const o = nib * 4;
    z0 ^= m[o];
    z1 ^= m[o + 1];
    z2 ^= m[o + 2];
    z3 ^= m[o + 3];
  }
  y[0] = z0;
  y[1] = z1;
  y[2] = z2;
  y[3] = z3;
}

/**
 * GHASH_H(A, C): blocks of A and C (zero-padded), then len(A) ‖ len(C) in bits. `m` is the table from hashKey
 * (exported with {@link ghashTable} for the tests).
 */
export function ghash(m: Uint32Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const y = new Uint32Array(4);
  const block = new Uint8Array(16);
  const bv = new DataView(block.buffer);
  const absorb = (data: Uint8Array) => {
    for (let o = 0; o < data.length; o += 16) {
      const end = Math.min(o + 16, data.length);
      block.fill(0);
      block.set(data.subarray(o, end));
      for (let w = 0; w < 4; w++) y[w] ^= bv.getUint32(w * 4);
      gfMulInto(y, m);
    }
  };
  absorb(aad);
  absorb(ct);
  bv.setBigUint64(0, BigInt(aad.length) * 8n);
  bv.setBigUint64(8, BigInt(ct.length) * 8n);
  for (let w = 0; w < 4; w++) y[w] ^= bv.getUint32(w * 4);
  gfMulInto(y, m);
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  for (let w = 0; w < 4; w++) dv.setUint32(w * 4, y[w] >>> 0);
  return out;
}

/** The GHASH table for an AES key (tests). */
export function ghashTable(key: Uint8Array): Uint32Array {
  return hashKey(key, ecbFor(key.length * 8, key).enc);
}
