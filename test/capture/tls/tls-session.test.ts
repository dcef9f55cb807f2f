import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKeyLog } from '../../../src/capture/tls/keylog.ts';
import { HS_TYPE } from '../../../src/capture/tls/tls-handshake.ts';
import { type Direction, TlsSession } from '../../../src/capture/tls/tls-session.ts';
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

test('capture started mid-connection: MISSING_HANDSHAKE', () => {
  const s = new TlsSession(parseKeyLog(keyLogText()));
  const o = feed(s, 'c2s', REC.cApp);
  assert.equal(o.undecryptable?.reason, 'MISSING_HANDSHAKE');
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
