import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cipherSuite } from '../../../src/capture/tls/cipher-suites.ts';
import { prf12, tls12KeyBlock } from '../../../src/capture/tls/tls12-keys.ts';
import { h } from './rfc8448.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// The TLS 1.2 PRF test vectors circulated on the IETF TLS WG list (msg03416), used by many TLS stacks.
test('PRF P_SHA256 test vector', () => {
  const out = prf12(
    'sha256',
    h('9bbe436ba940f017b17652849a71db35'),
    'test label',
    h('a0ba9f936cda311827a6f796ffd5198c'),
    100,
  );
  assert.equal(
    hex(out),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af' +
      '0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701' +
      '87347b66',
  );
});

test('PRF P_SHA384 test vector', () => {
  const out = prf12(
    'sha384',
    h('b80b733d6ceefcdc71566ea48e5567df'),
    'test label',
    h('cd665cf6a8447dd6ff8b27555edb7465'),
    148,
  );
  assert.equal(
    hex(out),
    '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0' +
      'e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425' +
      '9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e099070' +
      '3d73e56f',
  );
});

test('key block is split client key, server key, client iv, server iv (no MAC keys for AEAD)', () => {
  const master = new Uint8Array(48).fill(1);
  const cr = new Uint8Array(32).fill(2);
  const sr = new Uint8Array(32).fill(3);
  for (const [id, keyLen, ivLen] of [
    [0xc02f, 16, 4],
    [0xc030, 32, 4],
    [0xcca8, 32, 12],
  ]) {
    const cs = cipherSuite(id);
    assert.ok(cs);
    const k = tls12KeyBlock(cs, master, cr, sr);
    const block = prf12(cs.hash, master, 'key expansion', Buffer.concat([sr, cr]), 2 * keyLen + 2 * ivLen);
    assert.equal(hex(Buffer.concat([k.clientKey, k.serverKey, k.clientIv, k.serverIv])), hex(block));
    assert.equal(k.clientKey.length, keyLen);
    assert.equal(k.serverIv.length, ivLen);
  }
});
