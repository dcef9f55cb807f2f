// TLS 1.3 key schedule pieces needed to decrypt with logged traffic secrets (RFC 8446 §7): HKDF-Expand-Label,
// traffic key/iv derivation, KeyUpdate, per-record nonce. Extract/Derive-Secret are here too so the RFC 8448 key
// schedule can be checked end to end in tests.

import { createHash, createHmac } from 'node:crypto';
import type { HashName } from './cipher-suites.ts';

export function hashLength(hash: HashName): number {
  return hash === 'sha384' ? 48 : 32;
}

/** HKDF-Extract(salt, IKM) (RFC 5869); an empty salt means HashLen zero bytes. */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const key = salt.length === 0 ? new Uint8Array(hashLength(hash)) : salt;
  return new Uint8Array(createHmac(hash, key).update(ikm).digest());
}

/** HKDF-Expand(PRK, info, L) (RFC 5869 §2.3). */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let prev = new Uint8Array(0);
  let filled = 0;
  for (let i = 1; filled < length; i++) {
    prev = new Uint8Array(createHmac(hash, prk).update(prev).update(info).update(Uint8Array.of(i)).digest());
    out.set(prev.subarray(0, Math.min(prev.length, length - filled)), filled);
    filled += prev.length;
  }
  return out;
}

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1): info is
 * `uint16 length ‖ opaque label<7..255> = "tls13 " + Label ‖ opaque context<0..255>`.
 */
export function hkdfExpandLabel(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = new Uint8Array(2 + 1 + fullLabel.length + 1 + context.length);
  info[0] = length >> 8;
  info[1] = length & 0xff;
  info[2] = fullLabel.length;
  info.set(fullLabel, 3);
  info[3 + fullLabel.length] = context.length;
  info.set(context, 4 + fullLabel.length);
  return hkdfExpand(hash, secret, info, length);
}

/** Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(hash: HashName, secret: Uint8Array, label: string, transcriptHash: Uint8Array) {
  return hkdfExpandLabel(hash, secret, label, transcriptHash, hashLength(hash));
}

/** Transcript-Hash of nothing, used by the "derived" steps. */
export function emptyHash(hash: HashName): Uint8Array {
  return new Uint8Array(createHash(hash).digest());
}

export interface TrafficKeys {
  key: Uint8Array;
  iv: Uint8Array;
}

/** [sender]_write_key / _iv from a traffic secret (RFC 8446 §7.3); iv is 12 bytes for every TLS 1.3 AEAD. */
export function trafficKeys(hash: HashName, secret: Uint8Array, keyLen: number): TrafficKeys {
  const empty = new Uint8Array(0);
  return {
    key: hkdfExpandLabel(hash, secret, 'key', empty, keyLen),
    iv: hkdfExpandLabel(hash, secret, 'iv', empty, 12),
  };
}

/** application_traffic_secret_N+1 after a KeyUpdate (RFC 8446 §7.2). */
export function nextTrafficSecret(hash: HashName, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(hash, secret, 'traffic upd', new Uint8Array(0), hashLength(hash));
}

/**
 * Per-record nonce (RFC 8446 §5.3; also TLS 1.2 ChaCha20 per RFC 7905 §2): the 64-bit sequence number, big-endian,
 * left-padded with zeros to the iv length, XORed with the iv.
 */
export function aeadNonce(iv: Uint8Array, seq: bigint): Uint8Array {
  const nonce = Uint8Array.from(iv);
  let s = seq;
  for (let i = nonce.length - 1; i >= nonce.length - 8 && i >= 0; i--) {
    nonce[i] ^= Number(s & 0xffn);
    s >>= 8n;
  }
  return nonce;
}
