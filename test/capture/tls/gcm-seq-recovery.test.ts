import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { cipherSuite } from '../../../src/capture/tls/cipher-suites.ts';
import { ghash, ghashTable, recoverGcmSeq } from '../../../src/capture/tls/gcm-seq-recovery.ts';
import { aeadNonce } from '../../../src/capture/tls/tls13-keys.ts';

test('GHASH agrees with Node’s AES-GCM tag on random inputs (tag = GHASH_H(A, C) XOR E_K(J0))', () => {
  for (let i = 0; i < 200; i++) {
    const keyLen = i % 2 ? 32 : 16;
    const key = randomBytes(keyLen);
    const nonce = randomBytes(12);
    const aad = randomBytes(i % 23);
    const plain = randomBytes((i * 37) % 300);
    const c = createCipheriv(keyLen === 16 ? 'aes-128-gcm' : 'aes-256-gcm', key, nonce);
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(plain), c.final()]);
    const tag = c.getAuthTag();
    const ecb = createCipheriv(keyLen === 16 ? 'aes-128-ecb' : 'aes-256-ecb', key, null);
    ecb.setAutoPadding(false);
    const blocks = ecb.update(Buffer.concat([nonce, Buffer.of(0, 0, 0, 1)]));
    const g = ghash(ghashTable(key), aad, ct);
    const expect = Buffer.alloc(16);
    for (let k = 0; k < 16; k++) expect[k] = g[k] ^ blocks[k];
    assert.equal(expect.toString('hex'), tag.toString('hex'), `case ${i}`);
  }
});

test('recoverGcmSeq finds any sequence number of a TLS 1.3 record, and nothing under a wrong key', () => {
  for (const [id, seq] of [
    [0x1301, 0n],
    [0x1301, 77n],
    [0x1302, 123456789012n],
    [0x1301, 0xfffffffffffffffen],
  ] as const) {
    const cs = cipherSuite(id);
    assert.ok(cs);
    const key = randomBytes(cs.keyLen);
    const iv = randomBytes(12);
    const plain = Buffer.from('{"keepalive":"true"}\x17');
    const len = plain.length + 16;
    const aad = Uint8Array.of(23, 3, 3, len >> 8, len & 0xff);
    const c = createCipheriv(cs.aead as 'aes-128-gcm', key, aeadNonce(iv, seq));
    c.setAAD(aad);
    const ct = Buffer.concat([c.update(plain), c.final()]);
    const tag = c.getAuthTag();
    assert.equal(recoverGcmSeq(cs, key, iv, aad, ct, tag), seq);
    assert.equal(recoverGcmSeq(cs, randomBytes(cs.keyLen), iv, aad, ct, tag), undefined, 'wrong key');
    assert.equal(recoverGcmSeq(cs, key, randomBytes(12), aad, ct, tag), undefined, 'wrong iv');
    const bad = Buffer.from(ct);
    bad[0] ^= 1;
    assert.equal(recoverGcmSeq(cs, key, iv, aad, bad, tag), undefined, 'corrupted ciphertext');
  }
});
