import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  aeadNonce,
  deriveSecret,
  emptyHash,
  hkdfExpand,
  hkdfExpandLabel,
  hkdfExtract,
  nextTrafficSecret,
  trafficKeys,
} from '../../../src/capture/tls/tls13-keys.ts';
import { CH, h, REC, V } from './rfc8448.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('HKDF matches RFC 5869 test case 1 (SHA-256)', () => {
  const prk = hkdfExtract('sha256', h('000102030405060708090a0b0c'), h('0b'.repeat(22)));
  assert.equal(hex(prk), '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
  const okm = hkdfExpand('sha256', prk, h('f0f1f2f3f4f5f6f7f8f9'), 42);
  assert.equal(hex(okm), '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
});

test('RFC 8448 §3 transcript: ClientHello ‖ ServerHello hashes to the handshake transcript hash', () => {
  const sh = REC.sh.subarray(5);
  assert.equal(hex(createHash('sha256').update(CH).update(sh).digest()), hex(V.hsHash));
});

test('RFC 8448 §3 key schedule from the ECDHE secret to the application traffic secrets', () => {
  const zeros = new Uint8Array(32);
  const early = hkdfExtract('sha256', new Uint8Array(0), zeros);
  assert.equal(hex(early), hex(V.early));
  const derived = deriveSecret('sha256', early, 'derived', emptyHash('sha256'));
  assert.equal(hex(derived), hex(V.derivedEarly));
  const hs = hkdfExtract('sha256', derived, V.ecdhe);
  assert.equal(hex(hs), hex(V.handshake));
  assert.equal(hex(deriveSecret('sha256', hs, 'c hs traffic', V.hsHash)), hex(V.cHs));
  assert.equal(hex(deriveSecret('sha256', hs, 's hs traffic', V.hsHash)), hex(V.sHs));
  const derived2 = deriveSecret('sha256', hs, 'derived', emptyHash('sha256'));
  assert.equal(hex(derived2), hex(V.derivedHs));
  const master = hkdfExtract('sha256', derived2, zeros);
  assert.equal(hex(master), hex(V.master));
  assert.equal(hex(deriveSecret('sha256', master, 'c ap traffic', V.apHash)), hex(V.cAp));
  assert.equal(hex(deriveSecret('sha256', master, 's ap traffic', V.apHash)), hex(V.sAp));
  assert.equal(hex(deriveSecret('sha256', master, 'exp master', V.apHash)), hex(V.exp));
});

test('RFC 8448 §3 traffic keys and ivs via HKDF-Expand-Label "key"/"iv"', () => {
  const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
    [V.sHs, V.sHsKey, V.sHsIv],
    [V.cHs, V.cHsKey, V.cHsIv],
    [V.sAp, V.sApKey, V.sApIv],
    [V.cAp, V.cApKey, V.cApIv],
  ];
  for (const [secret, key, iv] of cases) {
    const k = trafficKeys('sha256', secret, 16);
    assert.equal(hex(k.key), hex(key));
    assert.equal(hex(k.iv), hex(iv));
  }
});

test('HKDF-Expand-Label info layout: uint16 length, "tls13 " label, context', () => {
  // Expanding with an explicit info built by hand must give the same bytes.
  const ctx = h('0102');
  const info = h(`0010 0b ${Buffer.from('tls13 hello').toString('hex')} 02 0102`);
  assert.equal(hex(hkdfExpandLabel('sha256', V.sHs, 'hello', ctx, 16)), hex(hkdfExpand('sha256', V.sHs, info, 16)));
});

test('KeyUpdate: next secret = HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)', () => {
  const next = nextTrafficSecret('sha256', V.cAp);
  assert.equal(next.length, 32);
  assert.equal(hex(next), hex(hkdfExpandLabel('sha256', V.cAp, 'traffic upd', new Uint8Array(0), 32)));
  assert.notEqual(hex(next), hex(V.cAp));
  assert.equal(nextTrafficSecret('sha384', new Uint8Array(48).fill(7)).length, 48);
});

test('nonce = iv XOR big-endian sequence number left-padded to the iv length', () => {
  const iv = h('5d313eb2671276ee13000b30');
  assert.equal(hex(aeadNonce(iv, 0n)), '5d313eb2671276ee13000b30');
  assert.equal(hex(aeadNonce(iv, 1n)), '5d313eb2671276ee13000b31');
  assert.equal(hex(aeadNonce(iv, 0x0102030405060708n)), '5d313eb2661075ea16060c38');
  assert.equal(hex(aeadNonce(iv, 0xffffffffffffffffn)), '5d313eb298ed8911ecfff4cf');
  assert.equal(hex(iv), '5d313eb2671276ee13000b30', 'iv itself is not modified');
});
