// One direction's record protection: AEAD key + iv + sequence number. Knows the TLS 1.2 (RFC 5288 / RFC 7905) and
// TLS 1.3 (RFC 8446 §5.2-5.3) nonce and additional-data rules. Pure: bytes in, plaintext or a reason out.

import { aeadOpen, TAG_LEN } from './aead.ts';
import type { CipherSuite } from './cipher-suites.ts';
import { recoverGcmSeq } from './gcm-seq-recovery.ts';
import { aeadNonce } from './tls13-keys.ts';

export { aeadOpen } from './aead.ts';

export type DecryptFailure = 'AUTH_FAILED' | 'MALFORMED';

export type DecryptResult =
  | {
      ok: true;
      /** Plaintext without TLS 1.3 padding and inner type. A view into a fresh buffer; the caller may keep it. */
      plaintext: Uint8Array;
      /** TLS 1.3: the inner content type; TLS 1.2: the record's own type. */
      contentType: number;
      /** Sequence number the record decrypted with. */
      seq: bigint;
      /** Records skipped because they were missing (seq − expected seq), 0 normally. */
      skipped: number;
    }
  | { ok: false; reason: DecryptFailure; message: string };

export class RecordDecryptor {
  /** Sequence number of the next record (RFC 8446 §5.3, RFC 5246 §6.1): starts at 0 for each new key. */
  seq = 0n;

  /**
   * @param suite negotiated AEAD suite
   * @param key write key of the sending side
   * @param iv TLS 1.3 / ChaCha20: the 12-byte iv; TLS 1.2 GCM: the 4-byte salt
   * @param tls13 record format: TLS 1.3 (inner content type, header as AAD) or TLS 1.2
   */
  constructor(
    readonly suite: CipherSuite,
    readonly key: Uint8Array,
    readonly iv: Uint8Array,
    readonly tls13: boolean,
  ) {}

  /**
   * Decrypt one record body (everything after the 5-byte header). On success the sequence number moves past it.
   * `lookahead` > 0 also tries the next sequence numbers when the expected one fails authentication, so records
   * missing from a capture cost only themselves; on failure the sequence number does not move.
   */
  decrypt(contentType: number, version: number, body: Uint8Array, lookahead = 0): DecryptResult {
    const minLen = this.suite.explicitNonceLen + TAG_LEN + (this.tls13 ? 1 : 0);
    if (body.length < minLen) {
      return {
        ok: false,
        reason: 'MALFORMED',
        message: `record body of ${body.length} bytes is shorter than ${minLen}`,
      };
    }
    for (let k = 0; k <= lookahead; k++) {
      const seq = this.seq + BigInt(k);
      const plain = this.tls13
        ? this.open13(contentType, version, body, seq)
        : this.open12(contentType, version, body, seq);
      if (plain === undefined) continue;
      this.seq = seq + 1n;
      if (!this.tls13) return { ok: true, plaintext: plain, contentType, seq, skipped: k };
      // TLSInnerPlaintext: content ‖ type ‖ zeros (RFC 8446 §5.2); the last non-zero byte is the real type.
      let end = plain.length - 1;
      while (end >= 0 && plain[end] === 0) end--;
      if (end < 0) return { ok: false, reason: 'MALFORMED', message: 'decrypted record has no inner content type' };
      return { ok: true, plaintext: plain.subarray(0, end), contentType: plain[end], seq, skipped: k };
    }
    return {
      ok: false,
      reason: 'AUTH_FAILED',
      message: `authentication failed at sequence number ${this.seq}${lookahead > 0 ? ` (+${lookahead} tried)` : ''}`,
    };
  }

  /**
   * After an authentication failure, find the record's sequence number directly where the record format allows it —
   * for captures that lost more records than the lookahead covers. TLS 1.3 AES-GCM: recovered from the tag
   * (gcm-seq-recovery.ts); TLS 1.2 GCM: the explicit nonce, which OpenSSL, BoringSSL and NSS set to the sequence
   * number. Only forward jumps are taken. ChaCha20-Poly1305: not possible, undefined.
   */
  resync(contentType: number, version: number, body: Uint8Array): DecryptResult | undefined {
    if (this.suite.aead === 'chacha20-poly1305' || body.length < this.suite.explicitNonceLen + TAG_LEN + 1)
      return undefined;
    let seq: bigint | undefined;
    if (this.tls13) {
      const aad = Uint8Array.of(contentType, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff);
      const ct = body.subarray(0, body.length - TAG_LEN);
      seq = recoverGcmSeq(this.suite, this.key, this.iv, aad, ct, body.subarray(body.length - TAG_LEN));
    } else {
      seq = new DataView(body.buffer, body.byteOffset, 8).getBigUint64(0);
    }
    if (seq === undefined || seq <= this.seq) return undefined;
    const expected = this.seq;
    this.seq = seq;
    const r = this.decrypt(contentType, version, body);
    if (!r.ok) {
      this.seq = expected;
      return undefined;
    }
    return { ...r, skipped: Number(seq - expected) };
  }

  private open13(contentType: number, version: number, body: Uint8Array, seq: bigint): Uint8Array | undefined {
    // additional_data = opaque_type ‖ legacy_record_version ‖ length: the record header as sent.
    const aad = Uint8Array.of(contentType, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff);
    const ct = body.subarray(0, body.length - TAG_LEN);
    return aeadOpen(this.suite, this.key, aeadNonce(this.iv, seq), aad, ct, body.subarray(body.length - TAG_LEN));
  }

  private open12(contentType: number, version: number, body: Uint8Array, seq: bigint): Uint8Array | undefined {
    const en = this.suite.explicitNonceLen;
    let nonce: Uint8Array;
    if (en > 0) {
      // RFC 5288 §3: nonce = salt (4 bytes of client/server_write_IV) ‖ nonce_explicit (first 8 bytes of the body).
      nonce = new Uint8Array(this.iv.length + en);
      nonce.set(this.iv, 0);
      nonce.set(body.subarray(0, en), this.iv.length);
    } else {
      nonce = aeadNonce(this.iv, seq); // RFC 7905 §2
    }
    const ct = body.subarray(en, body.length - TAG_LEN);
    // RFC 5246 §6.2.3.3: additional_data = seq_num ‖ type ‖ version ‖ length (of the plaintext).
    const aad = new Uint8Array(13);
    new DataView(aad.buffer).setBigUint64(0, BigInt.asUintN(64, seq));
    aad[8] = contentType;
    aad[9] = version >> 8;
    aad[10] = version & 0xff;
    aad[11] = ct.length >> 8;
    aad[12] = ct.length & 0xff;
    return aeadOpen(this.suite, this.key, nonce, aad, ct, body.subarray(body.length - TAG_LEN));
  }
}
