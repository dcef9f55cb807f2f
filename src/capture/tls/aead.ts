// AEAD "open" with Node's crypto for the three TLS AEADs (AES-128/256-GCM, ChaCha20-Poly1305), 16-byte tags.

import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import type { CipherSuite } from './cipher-suites.ts';

export const TAG_LEN = 16;

/**
 * AEAD open; undefined when authentication fails. Node's decipher throws on a bad tag: that is the only exception
 * caught here, and it is turned into a value.
 */
export function aeadOpen(
  cs: CipherSuite,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
): Uint8Array | undefined {
  try {
    const d = createDecipheriv(cs.aead as 'aes-128-gcm', key, nonce, { authTagLength: TAG_LEN }) as DecipherGCM;
    d.setAAD(aad, { plaintextLength: ciphertext.length });
    d.setAuthTag(tag);
    const head = d.update(ciphertext);
    const tail = d.final();
    const out = tail.length === 0 ? head : Buffer.concat([head, tail]);
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch {
    return undefined;
  }
}
