// Key recovery for a TLS 1.3 connection whose handshake is not in the capture (the capture started while the
// long-lived Notifs WebSocket was already open — the usual case when troubleshooting). TLS 1.3 application keys
// depend only on the logged traffic secret, not on the hello randoms, so the record can be matched against every
// CLIENT_/SERVER_TRAFFIC_SECRET_0 in the key log; the unknown part is the sequence number.
//
// For AES-GCM there is no search over sequence numbers (gcm-seq-recovery.ts): one candidate secret costs a few
// block-cipher operations whatever the sequence number. ChaCha20-Poly1305 has no such shortcut (the Poly1305 key depends on the nonce),
// so it is searched with full decryptions over a short range of sequence numbers.

import { aeadOpen, TAG_LEN } from './aead.ts';
import { type CipherSuite, cipherSuite } from './cipher-suites.ts';
import { recoverGcmSeq } from './gcm-seq-recovery.ts';
import type { KeyLog } from './keylog.ts';
import { aeadNonce, trafficKeys } from './tls13-keys.ts';

export interface MidstreamSearch {
  /**
   * Sequence numbers tried per secret for ChaCha20-Poly1305 (each costs a full decryption; AES-GCM needs no search).
   * 0 skips ChaCha20.
   */
  maxSeqChacha: number;
}

/**
 * ChaCha20 is not searched by default: a miss costs ~50 µs per sequence number per secret, and desktop browsers on
 * AES-NI hardware negotiate AES-GCM. Set `maxSeqChacha` to search it.
 */
export const DEFAULT_MIDSTREAM_SEARCH: MidstreamSearch = { maxSeqChacha: 0 };

export interface MidstreamMatch {
  /** Lower-case hex client random of the key log entry that matched. */
  clientRandom: string;
  /** Which secret matched: the TLS client's (`CLIENT_TRAFFIC_SECRET_0`) or the server's. */
  side: 'client' | 'server';
  suite: CipherSuite;
  secret: Uint8Array;
  key: Uint8Array;
  iv: Uint8Array;
  /** Sequence number of the record that was matched. */
  seq: bigint;
}

interface Candidate {
  clientRandom: string;
  side: 'client' | 'server';
  secret: Uint8Array;
}

/**
 * Find the key log secret, suite and sequence number that decrypt this TLS 1.3 record (outer type 23).
 * @param sides which secrets to try, in order: the TLS client's and/or the server's
 * @param onlyRandom restrict to one key log entry (the other direction of a connection already matched)
 */
export function findTls13Keys(
  keylog: KeyLog,
  contentType: number,
  version: number,
  body: Uint8Array,
  search: MidstreamSearch,
  sides: readonly ('client' | 'server')[],
  onlyRandom?: string,
): MidstreamMatch | undefined {
  if (contentType !== 23 || body.length < TAG_LEN + 1) return undefined;
  const candidates: Candidate[] = [];
  for (const side of sides) {
    for (const [clientRandom, s] of keylog.secrets) {
      if (onlyRandom !== undefined && clientRandom !== onlyRandom) continue;
      const secret = side === 'client' ? s.clientTrafficSecret0 : s.serverTrafficSecret0;
      if (secret) candidates.push({ clientRandom, side, secret });
    }
  }
  const aad = Uint8Array.of(contentType, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff);
  const ct = body.subarray(0, body.length - TAG_LEN);
  const tag = body.subarray(body.length - TAG_LEN);
  for (const cand of candidates) {
    for (const cs of suitesFor(cand.secret.length, search.maxSeqChacha > 0)) {
      const { key, iv } = cachedKeys(cs, cand.secret);
      const seq =
        cs.aead === 'chacha20-poly1305'
          ? searchFull(cs, key, iv, aad, ct, tag, search.maxSeqChacha)
          : recoverGcmSeq(cs, key, iv, aad, ct, tag);
      if (seq !== undefined) return { ...cand, suite: cs, key, iv, seq };
    }
  }
  return undefined;
}

/** Traffic keys per (secret, suite), kept as long as the key log holds the secret: repeated searches skip HKDF. */
const KEY_CACHE = new WeakMap<Uint8Array, Map<number, { key: Uint8Array; iv: Uint8Array }>>();

function cachedKeys(cs: CipherSuite, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  let bySuite = KEY_CACHE.get(secret);
  if (!bySuite) {
    bySuite = new Map();
    KEY_CACHE.set(secret, bySuite);
  }
  let k = bySuite.get(cs.id);
  if (!k) {
    k = trafficKeys(cs.hash, secret, cs.keyLen);
    bySuite.set(cs.id, k);
  }
  return k;
}

function suitesFor(secretLen: number, chacha: boolean): CipherSuite[] {
  const ids = secretLen === 48 ? [0x1302] : secretLen === 32 ? (chacha ? [0x1301, 0x1303] : [0x1301]) : [];
  return ids.map((id) => cipherSuite(id)).filter((c): c is CipherSuite => c !== undefined);
}

function searchFull(
  cs: CipherSuite,
  key: Uint8Array,
  iv: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
  tag: Uint8Array,
  max: number,
): bigint | undefined {
  for (let s = 0n; s < BigInt(max); s++) {
    if (aeadOpen(cs, key, aeadNonce(iv, s), aad, ct, tag) !== undefined) return s;
  }
  return undefined;
}
