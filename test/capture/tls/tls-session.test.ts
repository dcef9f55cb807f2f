import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cipherSuite } from '../../../src/capture/tls/cipher-suites.ts';
import { mergeKeyLogInto, parseKeyLog } from '../../../src/capture/tls/keylog.ts';
import { HS_TYPE } from '../../../src/capture/tls/tls-handshake.ts';
import { type Direction, TlsSession } from '../../../src/capture/tls/tls-session.ts';
import { tls12KeyBlock } from '../../../src/capture/tls/tls12-keys.ts';
import { nextTrafficSecret } from '../../../src/capture/tls/tls13-keys.ts';
import {
  bytes,
  clientHello,
  encryptedExtensions,
  handshake,
  hex,
  record,
  seal12,
  seal13,
  serverHello,
} from './builders.ts';
import { APP_PAYLOAD, CLIENT_RANDOM_HEX, chRecord, keyLogText, REC, splitRecord } from './rfc8448.ts';

function feed(s: TlsSession, dir: Direction, rec: Uint8Array) {
  return s.onRecord(dir, ...splitRecord(rec));
}

test('RFC 8448 §3 trace: handshake parsed, encrypted flight, Finished key switch, app data and alerts decrypted', () => {
  const s = new TlsSession(parseKeyLog(keyLogText()));
  const ch = feed(s, 'c2s', chRecord());
  assert.equal(ch.encrypted, false);
  assert.equal(ch.handshake[0].type, HS_TYPE.CLIENT_HELLO);
  assert.equal(ch.handshake[0].clientHello?.sni, 'server');
  assert.deepEqual(ch.handshake[0].clientHello?.supportedVersions, [0x0304]);
  assert.deepEqual(ch.handshake[0].clientHello?.cipherSuites, [0x1301, 0x1303, 0x1302]);

  const sh = feed(s, 's2c', REC.sh);
  assert.equal(sh.handshake[0].serverHello?.version, 0x0304);
  assert.equal(sh.handshake[0].serverHello?.legacyVersion, 0x0303);
  assert.equal(sh.handshake[0].serverHello?.cipherSuite, 0x1301);

  const flight = feed(s, 's2c', REC.flight);
  assert.equal(flight.undecryptable, undefined);
  assert.equal(flight.decrypted, true);
  assert.equal(flight.contentType, 22);
  assert.deepEqual(
    flight.handshake.map((m) => m.name),
    ['encrypted_extensions', 'certificate', 'certificate_verify', 'finished'],
  );

  const cfin = feed(s, 'c2s', REC.cFin);
  assert.equal(cfin.decrypted, true);
  assert.deepEqual(
    cfin.handshake.map((m) => m.name),
    ['finished'],
  );
  assert.equal(cfin.seq, 0n);

  const nst = feed(s, 's2c', REC.nst);
  assert.deepEqual(
    nst.handshake.map((m) => m.name),
    ['new_session_ticket'],
    'server switched to its application key after its Finished',
  );
  assert.equal(nst.seq, 0n);

  const capp = feed(s, 'c2s', REC.cApp);
  assert.equal(capp.contentType, 23);
  assert.deepEqual(capp.appData, APP_PAYLOAD);
  const sapp = feed(s, 's2c', REC.sApp);
  assert.deepEqual(sapp.appData, APP_PAYLOAD);
  assert.equal(sapp.seq, 1n);

  const ca = feed(s, 'c2s', REC.cAlert);
  assert.deepEqual(ca.alert, { level: 1, description: 0, name: 'close_notify', encrypted: true });
  assert.equal(ca.contentType, 21);
  assert.equal(ca.recordType, 23);
  const sa = feed(s, 's2c', REC.sAlert);
  assert.equal(sa.alert?.name, 'close_notify');

  const info = s.info();
  assert.equal(info.versionName, 'TLS 1.3');
  assert.equal(info.cipherSuiteName, 'TLS_AES_128_GCM_SHA256');
  assert.equal(info.clientRandom, CLIENT_RANDOM_HEX);
  assert.equal(info.sni, 'server');
  assert.equal(info.keysFound, true);
  assert.equal(info.decryptedRecords, 7);
  assert.equal(info.undecryptableRecords, 0);
});

test('no key log entry: every protected record is NO_KEYS, plaintext handshake still parsed', () => {
  const s = new TlsSession(parseKeyLog(''));
  feed(s, 'c2s', chRecord());
  feed(s, 's2c', REC.sh);
  for (const [dir, rec] of [
    ['s2c', REC.flight],
    ['c2s', REC.cFin],
    ['c2s', REC.cApp],
  ] as const) {
    const o = feed(s, dir, rec);
    assert.equal(o.encrypted, true);
    assert.equal(o.decrypted, false);
    assert.equal(o.undecryptable?.reason, 'NO_KEYS');
    assert.match(o.undecryptable?.message ?? '', /HANDSHAKE_TRAFFIC_SECRET/);
  }
  assert.equal(s.info().sni, 'server');
  assert.equal(s.info().keysFound, false);
});

test('capture started mid-connection: keys found by trial, or MISSING_HANDSHAKE when none match or search is off', () => {
  const found = new TlsSession(parseKeyLog(keyLogText()));
  const o = feed(found, 'c2s', REC.cApp);
  assert.deepEqual(o.appData, APP_PAYLOAD);
  assert.deepEqual(
    o.notes.map((n) => n.code),
    ['TLS_MIDSTREAM_KEYS'],
  );
  assert.equal(feed(found, 's2c', REC.sApp).seq, 1n, 'server side found at its own sequence number');
  assert.equal(found.info().midstream, true);
  assert.equal(found.info().clientRandom, CLIENT_RANDOM_HEX);

  const off = new TlsSession(parseKeyLog(keyLogText()), { midstream: false });
  assert.equal(feed(off, 'c2s', REC.cApp).undecryptable?.reason, 'MISSING_HANDSHAKE');
  const none = new TlsSession(parseKeyLog(''));
  assert.equal(feed(none, 'c2s', REC.cApp).undecryptable?.reason, 'MISSING_HANDSHAKE');
  assert.equal(feed(none, 's2c', REC.sApp).undecryptable?.reason, 'MISSING_HANDSHAKE');
  assert.match(
    feed(none, 'c2s', REC.cApp).undecryptable?.message ?? '',
    /no key log secret matched/,
    'two full searches per connection, whatever the direction',
  );
});

test('wrong secret: AUTH_FAILED and the sequence number does not move', () => {
  const bad = keyLogText().replace(
    /SERVER_HANDSHAKE_TRAFFIC_SECRET (\S+) \S+/,
    `SERVER_HANDSHAKE_TRAFFIC_SECRET $1 ${'00'.repeat(32)}`,
  );
  const s = new TlsSession(parseKeyLog(bad));
  feed(s, 'c2s', chRecord());
  feed(s, 's2c', REC.sh);
  const o = feed(s, 's2c', REC.flight);
  assert.equal(o.undecryptable?.reason, 'AUTH_FAILED');
  // The server's application records still decrypt: the trial of the next stage's key finds them.
  const nst = feed(s, 's2c', REC.nst);
  assert.equal(nst.decrypted, true);
  assert.equal(nst.handshake[0]?.name, 'new_session_ticket');
});

test('a protected record missing from the capture costs only itself (sequence lookahead)', () => {
  const s = new TlsSession(parseKeyLog(keyLogText()));
  feed(s, 'c2s', chRecord());
  feed(s, 's2c', REC.sh);
  feed(s, 's2c', REC.flight);
  feed(s, 'c2s', REC.cFin);
  // NST (server seq 0) lost; the server's app data is seq 1.
  const sapp = feed(s, 's2c', REC.sApp);
  assert.deepEqual(sapp.appData, APP_PAYLOAD);
  assert.equal(sapp.seq, 1n);
  assert.deepEqual(
    sapp.notes.map((n) => n.code),
    ['TLS_RECORDS_MISSING'],
  );
  assert.equal(feed(s, 's2c', REC.sAlert).alert?.name, 'close_notify');
});

test('key log holding only the application secrets still decrypts application data', () => {
  const only = keyLogText()
    .split('\n')
    .filter((l) => l.includes('TRAFFIC_SECRET_0'))
    .join('\n');
  const s = new TlsSession(parseKeyLog(only));
  feed(s, 'c2s', chRecord());
  feed(s, 's2c', REC.sh);
  assert.equal(feed(s, 's2c', REC.flight).undecryptable?.reason, 'NO_KEYS');
  assert.equal(feed(s, 'c2s', REC.cFin).undecryptable?.reason, 'NO_KEYS');
  assert.equal(feed(s, 's2c', REC.nst).decrypted, true);
  assert.deepEqual(feed(s, 'c2s', REC.cApp).appData, APP_PAYLOAD);
});

test('handshake messages spanning records and several in one record (plaintext)', () => {
  const s = new TlsSession(parseKeyLog(keyLogText()));
  const rec = chRecord();
  const body = rec.subarray(5);
  // ClientHello split over three records.
  const a = s.onRecord('c2s', 22, 0x0301, body.subarray(0, 3));
  const b = s.onRecord('c2s', 22, 0x0301, body.subarray(3, 100));
  const c = s.onRecord('c2s', 22, 0x0301, body.subarray(100));
  assert.equal(a.handshake.length, 0);
  assert.equal(b.handshake.length, 0);
  assert.equal(c.handshake[0]?.clientHello?.sni, 'server');
  // Two messages in one record: ServerHello followed by a (fake) second message.
  const sh = REC.sh.subarray(5);
  const two = new Uint8Array([...sh, 0x63, 0, 0, 1, 0xaa]);
  const o = s.onRecord('s2c', 22, 0x0303, two);
  assert.deepEqual(
    o.handshake.map((m) => m.name),
    ['server_hello', 'unknown_99'],
  );
});

test('TLS 1.3 compat-mode ChangeCipherSpec is passed through without changing keys', () => {
  const s = new TlsSession(parseKeyLog(keyLogText()));
  feed(s, 'c2s', chRecord());
  feed(s, 's2c', REC.sh);
  const ccs = s.onRecord('s2c', 20, 0x0303, Uint8Array.of(1));
  assert.equal(ccs.changeCipherSpec, true);
  assert.equal(ccs.encrypted, false);
  assert.equal(feed(s, 's2c', REC.flight).decrypted, true);
  assert.equal(s.onRecord('c2s', 20, 0x0303, Uint8Array.of(1)).changeCipherSpec, true);
  assert.equal(feed(s, 'c2s', REC.cFin).decrypted, true);
});

test('unsupported cipher suite is reported as UNSUPPORTED_CIPHER with its name', () => {
  const s = new TlsSession(parseKeyLog(keyLogText()));
  feed(s, 'c2s', chRecord());
  const sh = Uint8Array.from(REC.sh);
  sh[5 + 4 + 2 + 32 + 1] = 0x13;
  sh[5 + 4 + 2 + 32 + 2] = 0x04; // TLS_AES_128_CCM_SHA256
  feed(s, 's2c', sh);
  const o = feed(s, 's2c', REC.flight);
  assert.equal(o.undecryptable?.reason, 'UNSUPPORTED_CIPHER');
  assert.match(o.undecryptable?.message ?? '', /TLS_AES_128_CCM_SHA256/);
});

test('plaintext alert before encryption is reported', () => {
  const s = new TlsSession(parseKeyLog(''));
  feed(s, 'c2s', chRecord());
  const o = s.onRecord('s2c', 21, 0x0303, Uint8Array.of(2, 40));
  assert.deepEqual(o.alert, { level: 2, description: 40, name: 'handshake_failure', encrypted: false });
  assert.equal(o.encrypted, false);
});

// ---- Constructed sessions (builders.ts seals records independently of the decrypting code) ----

const CR = bytes(32, 0xc1);
const SR = bytes(32, 0x5e);
const text = (s: string) => Uint8Array.from(Buffer.from(s));

function keylog13(secrets: {
  cHs?: Uint8Array;
  sHs?: Uint8Array;
  cAp: Uint8Array;
  sAp: Uint8Array;
  cEarly?: Uint8Array;
}) {
  const lines = [
    secrets.cHs && `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${hex(CR)} ${hex(secrets.cHs)}`,
    secrets.sHs && `SERVER_HANDSHAKE_TRAFFIC_SECRET ${hex(CR)} ${hex(secrets.sHs)}`,
    `CLIENT_TRAFFIC_SECRET_0 ${hex(CR)} ${hex(secrets.cAp)}`,
    `SERVER_TRAFFIC_SECRET_0 ${hex(CR)} ${hex(secrets.sAp)}`,
    secrets.cEarly && `CLIENT_EARLY_TRAFFIC_SECRET ${hex(CR)} ${hex(secrets.cEarly)}`,
  ];
  return parseKeyLog(lines.filter(Boolean).join('\n'));
}

const rec = (s: TlsSession, dir: Direction, r: Uint8Array) => s.onRecord(dir, ...splitRecord(r));

for (const suite of [0x1301, 0x1302, 0x1303]) {
  test(`KeyUpdate in both directions, repeated (suite 0x${suite.toString(16)})`, () => {
    const hl = cipherSuite(suite)?.hash === 'sha384' ? 48 : 32;
    const k = { cHs: bytes(hl, 1), sHs: bytes(hl, 2), cAp: bytes(hl, 3), sAp: bytes(hl, 4) };
    const s = new TlsSession(keylog13(k));
    rec(
      s,
      'c2s',
      record(22, clientHello({ random: CR, suites: [suite], versions: [0x0304], sni: 'api.wxcc-us1.cisco.com' })),
    );
    rec(s, 's2c', record(22, serverHello({ random: SR, suite, version: 0x0304 })));
    const flight = Uint8Array.from([...encryptedExtensions({ alpn: 'http/1.1' }), ...handshake(20, bytes(hl, 9))]);
    assert.deepEqual(
      rec(s, 's2c', seal13(suite, k.sHs, 0, 22, flight)).handshake.map((m) => m.name),
      ['encrypted_extensions', 'finished'],
    );
    assert.equal(rec(s, 'c2s', seal13(suite, k.cHs, 0, 22, handshake(20, bytes(hl, 8)))).decrypted, true);
    assert.equal(s.info().alpn, 'http/1.1');

    let c: Uint8Array = k.cAp;
    let sv: Uint8Array = k.sAp;
    assert.deepEqual(rec(s, 'c2s', seal13(suite, c, 0, 23, text('a0'))).appData, text('a0'));
    // Client KeyUpdate(update_requested) at seq 1, then its data under the next secret from seq 0.
    const ku = rec(s, 'c2s', seal13(suite, c, 1, 22, handshake(24, [1])));
    assert.equal(ku.keyUpdated, true);
    assert.equal(ku.handshake[0].keyUpdate?.updateRequested, true);
    c = nextTrafficSecret(cipherSuite(suite)?.hash ?? 'sha256', c);
    assert.deepEqual(rec(s, 'c2s', seal13(suite, c, 0, 23, text('a1'), 5)).appData, text('a1'), 'padding stripped');
    // Server data, then its KeyUpdate(not requested), then data under its next secret.
    assert.deepEqual(rec(s, 's2c', seal13(suite, sv, 0, 23, text('b0'))).appData, text('b0'));
    assert.equal(rec(s, 's2c', seal13(suite, sv, 1, 22, handshake(24, [0]))).keyUpdated, true);
    sv = nextTrafficSecret(cipherSuite(suite)?.hash ?? 'sha256', sv);
    assert.deepEqual(rec(s, 's2c', seal13(suite, sv, 0, 23, text('b1'))).appData, text('b1'));
    // Two more client updates in a row: the first at seq 1 (after a1), the second at seq 0 of the new key.
    for (let i = 0; i < 2; i++) {
      assert.equal(rec(s, 'c2s', seal13(suite, c, 1 - i, 22, handshake(24, [0]))).keyUpdated, true);
      c = nextTrafficSecret(cipherSuite(suite)?.hash ?? 'sha256', c);
    }
    assert.deepEqual(rec(s, 'c2s', seal13(suite, c, 0, 23, text('a3'))).appData, text('a3'));
    assert.deepEqual(s.info().keyUpdates, { c2s: 3, s2c: 1 });
    // The old secret no longer decrypts.
    assert.equal(rec(s, 'c2s', seal13(suite, k.cAp, 2, 23, text('old'))).undecryptable?.reason, 'AUTH_FAILED');
  });
}

test('HelloRetryRequest: second ClientHello and compat CCS, then the real ServerHello keys the session', () => {
  const k = { cHs: bytes(32, 1), sHs: bytes(32, 2), cAp: bytes(32, 3), sAp: bytes(32, 4) };
  const s = new TlsSession(keylog13(k));
  const ch = clientHello({ random: CR, suites: [0x1301], versions: [0x0304] });
  rec(s, 'c2s', record(22, ch, 0x0301));
  const hrrRandom = Uint8Array.from(
    Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
  );
  const hrr = rec(s, 's2c', record(22, serverHello({ random: hrrRandom, suite: 0x1301, version: 0x0304 })));
  assert.equal(hrr.handshake[0].serverHello?.helloRetryRequest, true);
  assert.equal(rec(s, 'c2s', record(20, [1])).changeCipherSpec, true);
  rec(s, 'c2s', record(22, ch));
  rec(s, 's2c', record(22, serverHello({ random: SR, suite: 0x1301, version: 0x0304 })));
  assert.equal(rec(s, 's2c', seal13(0x1301, k.sHs, 0, 22, handshake(20, bytes(32, 0)))).decrypted, true);
  assert.equal(rec(s, 'c2s', seal13(0x1301, k.cHs, 0, 22, handshake(20, bytes(32, 0)))).decrypted, true);
  assert.deepEqual(rec(s, 'c2s', seal13(0x1301, k.cAp, 0, 23, text('hi'))).appData, text('hi'));
  const info = s.info();
  assert.equal(info.helloRetryRequest, true);
  assert.equal(info.serverRandom, hex(SR));
});

test('0-RTT: early data before the ServerHello decrypts by trial of the offered suites; EndOfEarlyData switches', () => {
  const k = { cEarly: bytes(48, 7), cHs: bytes(48, 1), sHs: bytes(48, 2), cAp: bytes(48, 3), sAp: bytes(48, 4) };
  const s = new TlsSession(keylog13(k));
  rec(
    s,
    'c2s',
    record(22, clientHello({ random: CR, suites: [0x1301, 0x1303, 0x1302], versions: [0x0304], earlyData: true })),
  );
  const e0 = rec(s, 'c2s', seal13(0x1302, k.cEarly, 0, 23, text('early-0')));
  assert.deepEqual(e0.appData, text('early-0'), 'SHA-384 secret → only TLS_AES_256_GCM_SHA384 fits');
  assert.deepEqual(rec(s, 'c2s', seal13(0x1302, k.cEarly, 1, 23, text('early-1'))).appData, text('early-1'));
  rec(s, 's2c', record(22, serverHello({ random: SR, suite: 0x1302, version: 0x0304 })));
  const ee = rec(s, 's2c', seal13(0x1302, k.sHs, 0, 22, encryptedExtensions({ earlyData: true })));
  assert.equal(ee.handshake[0].encryptedExtensions?.earlyData, true);
  assert.deepEqual(
    rec(s, 'c2s', seal13(0x1302, k.cEarly, 2, 22, handshake(5, []))).handshake[0]?.name,
    'end_of_early_data',
  );
  assert.equal(rec(s, 'c2s', seal13(0x1302, k.cHs, 0, 22, handshake(20, bytes(48, 0)))).decrypted, true);
  assert.deepEqual(rec(s, 'c2s', seal13(0x1302, k.cAp, 0, 23, text('app'))).appData, text('app'));
});

test('0-RTT without CLIENT_EARLY_TRAFFIC_SECRET: NO_KEYS for the early records, the rest decrypts', () => {
  const k = { cHs: bytes(32, 1), sHs: bytes(32, 2), cAp: bytes(32, 3), sAp: bytes(32, 4) };
  const s = new TlsSession(keylog13(k));
  rec(s, 'c2s', record(22, clientHello({ random: CR, suites: [0x1301], versions: [0x0304], earlyData: true })));
  const e0 = rec(s, 'c2s', seal13(0x1301, bytes(32, 9), 0, 23, text('early')));
  assert.equal(e0.undecryptable?.reason, 'NO_KEYS');
  assert.match(e0.undecryptable?.message ?? '', /CLIENT_EARLY_TRAFFIC_SECRET/);
  rec(s, 's2c', record(22, serverHello({ random: SR, suite: 0x1301, version: 0x0304 })));
  // Server rejected 0-RTT (no early_data in EncryptedExtensions): the client goes straight to handshake keys.
  assert.equal(rec(s, 's2c', seal13(0x1301, k.sHs, 0, 22, encryptedExtensions({}))).decrypted, true);
  assert.equal(rec(s, 'c2s', seal13(0x1301, k.cHs, 0, 22, handshake(20, bytes(32, 0)))).decrypted, true);
  assert.deepEqual(rec(s, 'c2s', seal13(0x1301, k.cAp, 0, 23, text('app'))).appData, text('app'));
});

for (const suite of [0xc02f, 0xc030, 0xcca8, 0x009c]) {
  test(`TLS 1.2 constructed session (suite 0x${suite.toString(16)}): CCS per direction, Finished, data, alert`, () => {
    const cs = cipherSuite(suite);
    assert.ok(cs);
    const master = bytes(48, 0x4d);
    const s = new TlsSession(parseKeyLog(`CLIENT_RANDOM ${hex(CR)} ${hex(master)}`));
    rec(s, 'c2s', record(22, clientHello({ random: CR, suites: [suite], alpn: ['h2', 'http/1.1'] })));
    const flight = Uint8Array.from([
      ...serverHello({ random: SR, suite, alpn: ['http/1.1'] }),
      ...handshake(11, [0, 0, 0]),
      ...handshake(14, []),
    ]);
    assert.deepEqual(
      rec(s, 's2c', record(22, flight)).handshake.map((m) => m.name),
      ['server_hello', 'certificate', 'server_hello_done'],
    );
    rec(s, 'c2s', record(22, handshake(16, [0, 1, 0xaa])));
    const kb = tls12KeyBlock(cs, master, CR, SR);
    assert.equal(rec(s, 'c2s', record(20, [1])).changeCipherSpec, true);
    const cf = rec(s, 'c2s', seal12(suite, kb.clientKey, kb.clientIv, 0, 22, handshake(20, bytes(12, 1))));
    assert.deepEqual(
      cf.handshake.map((m) => m.name),
      ['finished'],
    );
    rec(s, 's2c', record(20, [1]));
    assert.equal(
      rec(s, 's2c', seal12(suite, kb.serverKey, kb.serverIv, 0, 22, handshake(20, bytes(12, 2)))).decrypted,
      true,
    );
    assert.deepEqual(
      rec(s, 'c2s', seal12(suite, kb.clientKey, kb.clientIv, 1, 23, text('GET /'))).appData,
      text('GET /'),
    );
    assert.deepEqual(
      rec(s, 's2c', seal12(suite, kb.serverKey, kb.serverIv, 1, 23, text('200 OK'))).appData,
      text('200 OK'),
    );
    const alert = rec(s, 's2c', seal12(suite, kb.serverKey, kb.serverIv, 2, 21, Uint8Array.of(1, 0)));
    assert.deepEqual(alert.alert, { level: 1, description: 0, name: 'close_notify', encrypted: true });
    assert.equal(s.info().alpn, 'http/1.1');
    assert.equal(s.info().versionName, 'TLS 1.2');
    // A record sealed with the wrong direction's key fails authentication.
    assert.equal(
      rec(s, 'c2s', seal12(suite, kb.serverKey, kb.serverIv, 2, 23, text('x'))).undecryptable?.reason,
      'AUTH_FAILED',
    );
  });
}

test('TLS 1.2 without the CLIENT_RANDOM line: NO_KEYS after ChangeCipherSpec; CBC suite: UNSUPPORTED_CIPHER', () => {
  const s = new TlsSession(parseKeyLog(''));
  rec(s, 'c2s', record(22, clientHello({ random: CR, suites: [0xc02f] })));
  rec(s, 's2c', record(22, serverHello({ random: SR, suite: 0xc02f })));
  rec(s, 'c2s', record(20, [1]));
  const o = rec(s, 'c2s', record(22, bytes(40, 1)));
  assert.equal(o.undecryptable?.reason, 'NO_KEYS');
  assert.match(o.undecryptable?.message ?? '', /CLIENT_RANDOM/);

  const cbc = new TlsSession(parseKeyLog(`CLIENT_RANDOM ${hex(CR)} ${hex(bytes(48, 1))}`));
  rec(cbc, 'c2s', record(22, clientHello({ random: CR, suites: [0xc013] })));
  rec(cbc, 's2c', record(22, serverHello({ random: SR, suite: 0xc013 })));
  rec(cbc, 's2c', record(20, [1]));
  const u = rec(cbc, 's2c', record(22, bytes(64, 2)));
  assert.equal(u.undecryptable?.reason, 'UNSUPPORTED_CIPHER');
  assert.match(u.undecryptable?.message ?? '', /TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA/);
  assert.equal(rec(cbc, 's2c', record(23, bytes(64, 2))).undecryptable?.reason, 'UNSUPPORTED_CIPHER');
});

test('key log merged after the session started is picked up (secrets block later in the capture)', () => {
  const k = { cHs: bytes(32, 1), sHs: bytes(32, 2), cAp: bytes(32, 3), sAp: bytes(32, 4) };
  const keylog = parseKeyLog('');
  const s = new TlsSession(keylog);
  rec(s, 'c2s', record(22, clientHello({ random: CR, suites: [0x1301], versions: [0x0304] })));
  rec(s, 's2c', record(22, serverHello({ random: SR, suite: 0x1301, version: 0x0304 })));
  assert.equal(
    rec(s, 's2c', seal13(0x1301, k.sHs, 0, 22, handshake(20, bytes(32, 0)))).undecryptable?.reason,
    'NO_KEYS',
  );
  mergeKeyLogInto(keylog, keylog13(k));
  // The next server record is its application data (seq 0 of the application key).
  assert.deepEqual(rec(s, 's2c', seal13(0x1301, k.sAp, 0, 23, text('late'))).appData, text('late'));
  assert.equal(rec(s, 'c2s', seal13(0x1301, k.cHs, 0, 22, handshake(20, bytes(32, 0)))).decrypted, true);
});

test('directions reversed by the caller: the ClientHello sender is taken as the client, with a note', () => {
  const s = new TlsSession(parseKeyLog(keyLogText()));
  const flip = (d: Direction): Direction => (d === 'c2s' ? 's2c' : 'c2s');
  const ch = s.onRecord('s2c', ...splitRecord(chRecord()));
  assert.deepEqual(
    ch.notes.map((n) => n.code),
    ['TLS_DIRECTION_SWAPPED'],
  );
  assert.equal(ch.dir, 's2c', 'outputs keep the caller’s direction');
  feed(s, flip('s2c'), REC.sh);
  assert.equal(feed(s, flip('s2c'), REC.flight).decrypted, true);
  assert.equal(feed(s, flip('c2s'), REC.cFin).decrypted, true);
  const app = feed(s, flip('c2s'), REC.cApp);
  assert.deepEqual(app.appData, APP_PAYLOAD);
  assert.equal(app.dir, 's2c');
  assert.equal(s.info().directionSwapped, true);
});

test('mid-stream: long-running connection (AES-GCM any seq, ChaCha20 small seq), decoys, swap, KeyUpdate', () => {
  const decoys = Array.from({ length: 20 }, (_, i) => {
    const r = hex(bytes(32, 0x80 + i));
    return `CLIENT_TRAFFIC_SECRET_0 ${r} ${hex(bytes(32, i))}\nSERVER_TRAFFIC_SECRET_0 ${r} ${hex(bytes(48, i))}`;
  });
  for (const [suite, cSeq, sSeq] of [
    [0x1301, 40000, 39990],
    [0x1302, 123456789, 5],
    [0x1303, 60, 17],
  ]) {
    const hl = suite === 0x1302 ? 48 : 32;
    const cAp = bytes(hl, 0xa1);
    const sAp = bytes(hl, 0xb2);
    const real = `CLIENT_TRAFFIC_SECRET_0 ${hex(CR)} ${hex(cAp)}\nSERVER_TRAFFIC_SECRET_0 ${hex(CR)} ${hex(sAp)}`;
    const s = new TlsSession(parseKeyLog([...decoys, real].join('\n')), { midstream: { maxSeqChacha: 64 } });
    // The caller has the directions reversed: the client's records arrive as 's2c'.
    const c0 = rec(s, 's2c', seal13(suite, cAp, cSeq, 23, text('{"keepalive":"true"}')));
    assert.deepEqual(c0.appData, text('{"keepalive":"true"}'), `suite ${suite}`);
    assert.deepEqual(c0.notes.map((n) => n.code).sort(), ['TLS_DIRECTION_SWAPPED', 'TLS_MIDSTREAM_KEYS']);
    assert.deepEqual(rec(s, 'c2s', seal13(suite, sAp, sSeq, 23, text('welcome'))).appData, text('welcome'));
    assert.deepEqual(rec(s, 's2c', seal13(suite, cAp, cSeq + 1, 23, text('k2'))).appData, text('k2'));
    // KeyUpdate from the server side, then data under its next secret.
    assert.equal(rec(s, 'c2s', seal13(suite, sAp, sSeq + 1, 22, handshake(24, [0]))).keyUpdated, true);
    const next = nextTrafficSecret(hl === 48 ? 'sha384' : 'sha256', sAp);
    assert.deepEqual(rec(s, 'c2s', seal13(suite, next, 0, 23, text('after'))).appData, text('after'));
    const info = s.info();
    assert.equal(info.midstream, true);
    assert.equal(info.clientRandom, hex(CR));
    assert.equal(info.cipherSuite, suite);
    assert.equal(info.directionSwapped, true);
    assert.equal(info.undecryptableRecords, 0);
  }
});

test('lost records beyond the lookahead: TLS 1.3 AES-GCM and TLS 1.2 GCM resynchronise; ChaCha20 does not', () => {
  for (const suite of [0x1301, 0x1302, 0x1303]) {
    const hl = suite === 0x1302 ? 48 : 32;
    const k = { cHs: bytes(hl, 1), sHs: bytes(hl, 2), cAp: bytes(hl, 3), sAp: bytes(hl, 4) };
    const s = new TlsSession(keylog13(k));
    rec(s, 'c2s', record(22, clientHello({ random: CR, suites: [suite], versions: [0x0304] })));
    rec(s, 's2c', record(22, serverHello({ random: SR, suite, version: 0x0304 })));
    rec(s, 's2c', seal13(suite, k.sHs, 0, 22, handshake(20, bytes(hl, 0))));
    assert.deepEqual(rec(s, 's2c', seal13(suite, k.sAp, 0, 23, text('k0'))).appData, text('k0'));
    const jump = rec(s, 's2c', seal13(suite, k.sAp, 1000, 23, text('k1000')));
    if (suite === 0x1303) {
      assert.equal(jump.undecryptable?.reason, 'AUTH_FAILED');
      assert.deepEqual(
        rec(s, 's2c', seal13(suite, k.sAp, 3, 23, text('k3'))).appData,
        text('k3'),
        'lookahead still works',
      );
    } else {
      assert.deepEqual(jump.appData, text('k1000'));
      assert.equal(jump.seq, 1000n);
      assert.match(jump.notes.find((n) => n.code === 'TLS_RECORDS_MISSING')?.message ?? '', /^999 /);
      assert.deepEqual(rec(s, 's2c', seal13(suite, k.sAp, 1001, 23, text('k1001'))).appData, text('k1001'));
    }
  }
  const cs = cipherSuite(0xc02f);
  assert.ok(cs);
  const master = bytes(48, 0x4d);
  const s = new TlsSession(parseKeyLog(`CLIENT_RANDOM ${hex(CR)} ${hex(master)}`));
  rec(s, 'c2s', record(22, clientHello({ random: CR, suites: [0xc02f] })));
  rec(s, 's2c', record(22, serverHello({ random: SR, suite: 0xc02f })));
  rec(s, 's2c', record(20, [1]));
  const kb = tls12KeyBlock(cs, master, CR, SR);
  assert.equal(
    rec(s, 's2c', seal12(0xc02f, kb.serverKey, kb.serverIv, 0, 22, handshake(20, bytes(12, 2)))).decrypted,
    true,
  );
  const jump = rec(s, 's2c', seal12(0xc02f, kb.serverKey, kb.serverIv, 500, 23, text('late')));
  assert.deepEqual(jump.appData, text('late'));
  assert.equal(jump.seq, 500n);
});

test('TLS 1.2 with a ChangeCipherSpec and Finished lost from the capture: application data still decrypts', () => {
  const cs = cipherSuite(0xc030);
  assert.ok(cs);
  const master = bytes(48, 0x33);
  const s = new TlsSession(parseKeyLog(`CLIENT_RANDOM ${hex(CR)} ${hex(master)}`));
  rec(s, 'c2s', record(22, clientHello({ random: CR, suites: [0xc030] })));
  rec(s, 's2c', record(22, serverHello({ random: SR, suite: 0xc030 })));
  const kb = tls12KeyBlock(cs, master, CR, SR);
  // Client CCS and Finished (seq 0) missing; its first application record is seq 1.
  const o = rec(s, 'c2s', seal12(0xc030, kb.clientKey, kb.clientIv, 1, 23, text('subscribe')));
  assert.deepEqual(o.appData, text('subscribe'));
  assert.deepEqual(
    o.notes.map((n) => n.code),
    ['TLS_CCS_MISSING'],
  );
  assert.deepEqual(rec(s, 'c2s', seal12(0xc030, kb.clientKey, kb.clientIv, 2, 23, text('k'))).appData, text('k'));
});
