// TLS 1.2 key expansion for AEAD suites (RFC 5246 §5 PRF, §6.3 key block; RFC 5288 GCM; RFC 7905 ChaCha20). The key
// log gives the master secret directly, so extended master secret (RFC 7627) makes no difference here.

import { createHmac } from 'node:crypto';
import type { CipherSuite, HashName } from './cipher-suites.ts';

/** PRF(secret, label, seed) = P_<hash>(secret, label ‖ seed), `length` bytes (RFC 5246 §5). */
export function prf12(hash: HashName, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Uint8Array {
  const labelSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out = new Uint8Array(length);
  let a: Uint8Array = labelSeed; // A(0)
  let filled = 0;
  while (filled < length) {
    a = new Uint8Array(createHmac(hash, secret).update(a).digest());
    const block = createHmac(hash, secret).update(a).update(labelSeed).digest();
    out.set(block.subarray(0, Math.min(block.length, length - filled)), filled);
    filled += block.length;
  }
  return out;
}

export interface Tls12Keys {
  clientKey: Uint8Array;
  serverKey: Uint8Array;
  /** client_write_IV: the 4-byte GCM salt or the 12-byte ChaCha20 IV. */
  clientIv: Uint8Array;
  serverIv: Uint8Array;
}

/**
 * key_block = PRF(master_secret, "key expansion", server_random ‖ client_random), split into
 * client/server MAC keys (empty for AEAD), client/server write keys, client/server write IVs (RFC 5246 §6.3).
 */
export function tls12KeyBlock(
  suite: CipherSuite,
  masterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Tls12Keys {
  const seed = Buffer.concat([serverRandom, clientRandom]);
  const block = prf12(suite.hash, masterSecret, 'key expansion', seed, 2 * suite.keyLen + 2 * suite.ivLen);
  let o = 0;
  const take = (n: number) => block.slice(o, (o += n));
  const clientKey = take(suite.keyLen);
  const serverKey = take(suite.keyLen);
  const clientIv = take(suite.ivLen);
  const serverIv = take(suite.ivLen);
  return { clientKey, serverKey, clientIv, serverIv };
}
