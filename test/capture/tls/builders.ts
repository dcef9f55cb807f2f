// Test-only builders: hello messages and sealed (encrypted) records, written from the RFCs independently of the
// decrypting code paths (encryption with createCipheriv; nonce/AAD assembled here by hand).

import { type CipherGCM, createCipheriv } from 'node:crypto';
import { type CipherSuite, cipherSuite } from '../../../src/capture/tls/cipher-suites.ts';
import { hkdfExpandLabel } from '../../../src/capture/tls/tls13-keys.ts';

const u16 = (n: number) => [n >> 8, n & 0xff];
const u24 = (n: number) => [n >> 16, (n >> 8) & 0xff, n & 0xff];

export function handshake(type: number, body: Uint8Array | number[]): Uint8Array {
  return Uint8Array.from([type, ...u24(body.length), ...body]);
}

export function record(type: number, body: Uint8Array | number[], version = 0x0303): Uint8Array {
  return Uint8Array.from([type, ...u16(version), ...u16(body.length), ...body]);
}

function ext(type: number, body: number[]): number[] {
  return [...u16(type), ...u16(body.length), ...body];
}

function alpnExt(protocols: string[]): number[] {
  const list = protocols.flatMap((p) => [p.length, ...Buffer.from(p)]);
  return ext(16, [...u16(list.length), ...list]);
}

export interface HelloOpts {
  random: Uint8Array;
  suites?: number[];
  sni?: string;
  alpn?: string[];
  versions?: number[];
  earlyData?: boolean;
  sessionId?: Uint8Array;
  ticket?: Uint8Array;
}

export function clientHello(o: HelloOpts): Uint8Array {
  const exts: number[] = [];
  if (o.sni) {
    const name = [...Buffer.from(o.sni)];
    const entry = [0, ...u16(name.length), ...name];
    exts.push(...ext(0, [...u16(entry.length), ...entry]));
  }
  if (o.alpn) exts.push(...alpnExt(o.alpn));
  if (o.ticket) exts.push(...ext(35, [...o.ticket]));
  if (o.versions) exts.push(...ext(43, [o.versions.length * 2, ...o.versions.flatMap(u16)]));
  if (o.earlyData) exts.push(...ext(42, []));
  const suites = (o.suites ?? [0x1301]).flatMap(u16);
  const sid = [...(o.sessionId ?? [])];
  const body = [
    0x03,
    0x03,
    ...o.random,
    sid.length,
    ...sid,
    ...u16(suites.length),
    ...suites,
    1,
    0,
    ...u16(exts.length),
    ...exts,
  ];
  return handshake(1, body);
}

export function serverHello(o: HelloOpts & { suite: number; version?: number }): Uint8Array {
  const exts: number[] = [];
  if (o.version === 0x0304) exts.push(...ext(43, u16(0x0304)));
  if (o.alpn) exts.push(...alpnExt(o.alpn));
  const sid = [...(o.sessionId ?? [])];
  const body = [0x03, 0x03, ...o.random, sid.length, ...sid, ...u16(o.suite), 0, ...u16(exts.length), ...exts];
  return handshake(2, body);
}

export function encryptedExtensions(o: { alpn?: string; earlyData?: boolean }): Uint8Array {
  const exts: number[] = [];
  if (o.alpn) exts.push(...alpnExt([o.alpn]));
  if (o.earlyData) exts.push(...ext(42, []));
  return handshake(8, [...u16(exts.length), ...exts]);
}

function seal(cs: CipherSuite, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Uint8Array {
  const c = createCipheriv(cs.aead as 'aes-128-gcm', key, nonce, { authTagLength: 16 }) as CipherGCM;
  c.setAAD(aad, { plaintextLength: plain.length });
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return Uint8Array.from([...ct, ...c.getAuthTag()]);
}

function xorSeq(iv: Uint8Array, seq: number): Uint8Array {
  const n = Uint8Array.from(iv);
  const s = Buffer.alloc(8);
  s.writeBigUInt64BE(BigInt(seq));
  for (let i = 0; i < 8; i++) n[n.length - 8 + i] ^= s[i];
  return n;
}

/** A TLS 1.3 record protected with `secret` at sequence number `seq`. */
export function seal13(
  suiteId: number,
  secret: Uint8Array,
  seq: number,
  innerType: number,
  content: Uint8Array,
  padding = 0,
) {
  const cs = cipherSuite(suiteId);
  if (!cs) throw new Error('suite');
  const key = hkdfExpandLabel(cs.hash, secret, 'key', new Uint8Array(0), cs.keyLen);
  const iv = hkdfExpandLabel(cs.hash, secret, 'iv', new Uint8Array(0), 12);
  const inner = Uint8Array.from([...content, innerType, ...new Array(padding).fill(0)]);
  const len = inner.length + 16;
  const aad = Uint8Array.of(23, 3, 3, len >> 8, len & 0xff);
  return record(23, seal(cs, key, xorSeq(iv, seq), aad, inner));
}

/** A TLS 1.2 AEAD record (RFC 5288 / RFC 7905). */
export function seal12(
  suiteId: number,
  key: Uint8Array,
  iv: Uint8Array,
  seq: number,
  type: number,
  content: Uint8Array,
  explicitNonce: 'seq' | 'other' = 'seq',
) {
  const cs = cipherSuite(suiteId);
  if (!cs) throw new Error('suite');
  const aad = Uint8Array.from([...Buffer.from(xorSeq(new Uint8Array(8), seq)), type, 3, 3, ...u16(content.length)]);
  if (cs.explicitNonceLen > 0) {
    // OpenSSL, BoringSSL and NSS send the sequence number; any value is valid per RFC 5288.
    const explicit =
      explicitNonce === 'seq'
        ? xorSeq(new Uint8Array(8), seq)
        : Uint8Array.from({ length: 8 }, (_, i) => (seq * 31 + i * 7) & 0xff);
    const nonce = Uint8Array.from([...iv, ...explicit]);
    return record(type, [...explicit, ...seal(cs, key, nonce, aad, content)]);
  }
  return record(type, seal(cs, key, xorSeq(iv, seq), aad, content));
}

export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
export const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
