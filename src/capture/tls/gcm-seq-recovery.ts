// Sequence-number recovery for TLS 1.3 AES-GCM records. The GCM tag is GHASH(A, C) XOR E_K(J0) with J0 = nonce ‖ 1,
// and GHASH does not depend on the nonce. One GCM encryption under a known nonce gives GHASH(A, C); one AES block
// decryption of tag XOR GHASH then yields J0, hence the nonce iv XOR seq, hence seq — with no search. Used to find
// keys when the handshake was not captured (midstream.ts) and to resynchronise after lost records.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { aeadOpen, TAG_LEN } from './aead.ts';
import type { CipherSuite } from './cipher-suites.ts';
import { aeadNonce } from './tls13-keys.ts';

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
  const bits = cs.keyLen * 8;
  // GHASH(A, C) = T0 XOR E_K(J0) for any nonce: encrypt P0 = C XOR keystream(iv) under nonce iv, which yields
  // ciphertext C and tag T0. One CTR run from J0 gives E_K(J0) (first block) and the keystream (the rest).
  const j0 = Buffer.concat([iv, Buffer.of(0, 0, 0, 1)]);
  const ks = createCipheriv(`aes-${bits}-ctr`, key, j0).update(Buffer.alloc(16 + ct.length));
  const p0 = Buffer.alloc(ct.length);
  for (let i = 0; i < ct.length; i++) p0[i] = ct[i] ^ ks[16 + i];
  const gcm = createCipheriv(`aes-${bits}-gcm` as 'aes-128-gcm', key, iv, { authTagLength: TAG_LEN });
  gcm.setAAD(aad);
  gcm.update(p0);
  gcm.final();
  const t0 = gcm.getAuthTag();
  const e0 = ks;
  // For the record's real nonce N: tag = GHASH XOR E_K(N ‖ 1), so N ‖ 1 = D_K(tag XOR T0 XOR E_K(J0)).
  const target = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) target[i] = tag[i] ^ t0[i] ^ e0[i];
  const dec = createDecipheriv(`aes-${bits}-ecb`, key, null);
  dec.setAutoPadding(false);
  const x = dec.update(target);
  // N = iv XOR (0^32 ‖ seq64): the first 4 bytes must equal the iv's, the counter must be 1.
  if (x[12] !== 0 || x[13] !== 0 || x[14] !== 0 || x[15] !== 1) return undefined;
  for (let i = 0; i < 4; i++) if (x[i] !== iv[i]) return undefined;
  let seq = 0n;
  for (let i = 4; i < 12; i++) seq = (seq << 8n) | BigInt(x[i] ^ iv[i]);
  // 64 bits had to match by chance otherwise; a real decryption settles it.
  return aeadOpen(cs, key, aeadNonce(iv, seq), aad, ct, tag) !== undefined ? seq : undefined;
}
