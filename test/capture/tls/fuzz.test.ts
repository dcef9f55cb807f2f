// Fuzzing the handshake parser and TlsSession: random records, mutated records of the RFC 8448 trace, truncation at
// every offset. Bounded in count (seeded PRNG, deterministic) and time; the property is "never throws, never reports
// an internal error, output stays well-formed".

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKeyLog } from '../../../src/capture/tls/keylog.ts';
import { HandshakeReassembler, parseHandshakeMessage } from '../../../src/capture/tls/tls-handshake.ts';
import { type Direction, type TlsOutput, TlsSession } from '../../../src/capture/tls/tls-session.ts';
import { CH, chRecord, keyLogText, REC, splitRecord } from './rfc8448.ts';

/** xorshift32: deterministic, so a failure reproduces. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const TRACE: [Direction, Uint8Array][] = [
  ['c2s', chRecord()],
  ['s2c', REC.sh],
  ['s2c', REC.flight],
  ['c2s', REC.cFin],
  ['s2c', REC.nst],
  ['c2s', REC.cApp],
  ['s2c', REC.sApp],
  ['c2s', REC.cAlert],
  ['s2c', REC.sAlert],
];

function checkOutput(o: TlsOutput) {
  assert.deepEqual(
    o.notes.filter((n) => n.code === 'TLS_INTERNAL_ERROR'),
    [],
  );
  assert.ok(!(o.decrypted && o.undecryptable), 'decrypted and undecryptable are exclusive');
  if (o.appData) assert.ok(o.appData instanceof Uint8Array);
}

function mutate(r: () => number, rec: Uint8Array): Uint8Array {
  const m = Uint8Array.from(rec);
  const kind = Math.floor(r() * 4);
  if (kind === 0) {
    // flip 1..4 bytes
    for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++) m[Math.floor(r() * m.length)] ^= 1 + Math.floor(r() * 255);
    return m;
  }
  if (kind === 1) return m.subarray(0, Math.floor(r() * m.length)); // truncate
  if (kind === 2) {
    // set a byte to an extreme (lengths, types)
    m[Math.floor(r() * m.length)] = r() < 0.5 ? 0 : 0xff;
    return m;
  }
  // splice random bytes in
  const at = Math.floor(r() * m.length);
  const junk = Uint8Array.from({ length: Math.floor(r() * 16) }, () => Math.floor(r() * 256));
  return Uint8Array.from([...m.subarray(0, at), ...junk, ...m.subarray(at)]);
}

test('handshake parser: every prefix of a ClientHello/ServerHello body, and 3000 mutations, never throw', () => {
  const bodies = [CH.subarray(4), REC.sh.subarray(9)];
  for (const body of bodies) {
    for (let i = 0; i <= body.length; i++) {
      for (const type of [1, 2, 8, 24]) parseHandshakeMessage(type, body.subarray(0, i));
    }
  }
  const r = rng(7);
  for (let i = 0; i < 3000; i++) {
    const base = bodies[i % 2];
    const m = mutate(r, base);
    const msg = parseHandshakeMessage(1 + (i % 2), m);
    assert.equal(msg.length, m.length);
  }
});

test('handshake reassembler: random fragmentation delivers the same messages; oversized lengths stop cleanly', () => {
  const r = rng(11);
  const stream = Uint8Array.from([...CH, ...REC.sh.subarray(5), 0x63, 0, 0, 0]);
  for (let round = 0; round < 200; round++) {
    const re = new HandshakeReassembler();
    const names: string[] = [];
    let pos = 0;
    while (pos < stream.length) {
      const n = 1 + Math.floor(r() * 64);
      for (const m of re.push(stream.subarray(pos, pos + n)).messages) names.push(m.name);
      pos += n;
    }
    assert.deepEqual(names, ['client_hello', 'server_hello', 'unknown_99']);
    assert.equal(re.pending, 0);
  }
  const re = new HandshakeReassembler();
  const res = re.push(Uint8Array.of(1, 0xff, 0xff, 0xff, 0));
  assert.ok(res.problem);
  assert.equal(re.broken, true);
  assert.deepEqual(re.push(CH).messages, [], 'a broken direction ignores the rest');
});

test('TlsSession: the RFC 8448 trace with one record mutated, 1500 rounds, never throws', () => {
  const keylog = parseKeyLog(keyLogText());
  const r = rng(12345);
  const started = Date.now();
  for (let round = 0; round < 1500; round++) {
    const s = new TlsSession(keylog);
    const victim = Math.floor(r() * TRACE.length);
    for (let i = 0; i < TRACE.length; i++) {
      const [dir, rec] = TRACE[i];
      const bytes = i === victim ? mutate(r, rec) : rec;
      if (bytes.length < 5) continue;
      const [type, version, body] = splitRecord(bytes);
      checkOutput(s.onRecord(dir, type, version, body));
    }
    s.info();
  }
  assert.ok(Date.now() - started < 60000, 'bounded time');
});

test('TlsSession: every truncation of every trace record, fed in order, never throws', () => {
  const keylog = parseKeyLog(keyLogText());
  for (let k = 0; k < TRACE.length; k++) {
    const [dirK, recK] = TRACE[k];
    for (let cut = 5; cut <= recK.length; cut += recK.length > 300 ? 7 : 1) {
      const s = new TlsSession(keylog);
      for (let i = 0; i < k; i++) {
        const [dir, rec] = TRACE[i];
        checkOutput(s.onRecord(dir, ...splitRecord(rec)));
      }
      const [type, version] = splitRecord(recK);
      const o = s.onRecord(dirK, type, version, recK.subarray(5, cut));
      checkOutput(o);
      if (cut < recK.length && o.encrypted)
        assert.ok(o.undecryptable, `truncated protected record ${k} at ${cut} is undecryptable`);
    }
  }
});

test('TlsSession: 4000 random records of random types and directions never throw', () => {
  const r = rng(99);
  const keylog = parseKeyLog(keyLogText());
  let s = new TlsSession(keylog);
  for (let i = 0; i < 4000; i++) {
    if (i % 50 === 0) {
      s = new TlsSession(keylog);
      // Half of the sessions get a real handshake first so the encrypted paths are fuzzed too.
      if (r() < 0.5) {
        s.onRecord('c2s', ...splitRecord(chRecord()));
        s.onRecord('s2c', ...splitRecord(REC.sh));
      }
    }
    const types = [20, 21, 22, 23, 24, 0, 255];
    const type = types[Math.floor(r() * types.length)];
    const body = Uint8Array.from({ length: Math.floor(r() * 80) }, () => Math.floor(r() * 256));
    if (type === 22 && body.length > 4 && r() < 0.5) body[0] = 1 + Math.floor(r() * 24); // plausible handshake types
    checkOutput(s.onRecord(r() < 0.5 ? 'c2s' : 's2c', type, 0x0303, body));
  }
});

test('key log parser: every truncation of a valid log and 2000 random/mutated texts never throw', () => {
  const valid = `${keyLogText()}\n# comment\nCLIENT_RANDOM ${'ab'.repeat(32)} ${'cd'.repeat(48)}\n`;
  for (let i = 0; i <= valid.length; i++) {
    const log = parseKeyLog(valid.slice(0, i));
    for (const p of log.problems) assert.ok(p.line !== undefined && p.line >= 1);
  }
  const r = rng(4242);
  const alphabet = 'CLIENT_RANDOM SERVER_TRAFFIC_SECRET_0 0123456789abcdefXYZ \t\r\n#\u0000\u00e9';
  for (let i = 0; i < 2000; i++) {
    let t: string;
    if (i % 2 === 0) {
      t = Array.from({ length: Math.floor(r() * 300) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
    } else {
      const chars = [...valid];
      for (let k = 0, n = 1 + Math.floor(r() * 8); k < n; k++)
        chars[Math.floor(r() * chars.length)] = alphabet[Math.floor(r() * alphabet.length)];
      t = chars.join('');
    }
    const log = parseKeyLog(t, 'fuzz');
    assert.ok(log.entries >= 0 && log.entries <= 6);
    for (const p of log.problems) assert.equal(p.file, 'fuzz');
  }
});
