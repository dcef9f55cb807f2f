// Real TLS connections (Node's TLS = OpenSSL) through a recording relay on 127.0.0.1; the recorded records are fed to
// TlsSession with the key log the client wrote via its `keylog` event, and every plaintext byte must come back.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { parseKeyLog } from '../../../src/capture/tls/keylog.ts';
import { type TlsOutput, TlsSession, type TlsSessionOptions } from '../../../src/capture/tls/tls-session.ts';
import {
  type Cert,
  clientExchange,
  makeCert,
  type Record,
  requireTool,
  splitRecords,
  startRelay,
  within,
} from './tls-lab.ts';

let cert: Cert;
before(() => {
  cert = makeCert();
});
after(() => cert?.cleanup());

const KEEPALIVE = Buffer.from('{"keepalive":"true"}');
const WELCOME = Buffer.from('{"type":"Welcome","data":{"agentId":"agent-7"}}');
// 40 000 bytes: spans several 16 KiB records.
const BIG = Buffer.from(Array.from({ length: 40000 }, (_, i) => (i * 7 + 3) & 0xff));
const CLIENT_MSGS = [KEEPALIVE, Buffer.from('GET /v1/notification/subscription/abc HTTP/1.1\r\n\r\n'), BIG, KEEPALIVE];
const SERVER_MSGS = [WELCOME, KEEPALIVE, BIG.subarray(0, 20000), KEEPALIVE];

interface Run {
  keylog: string;
  records: Record[];
  cipher: string;
  protocol: string | null;
}

async function runNodePair(server: tls.TlsOptions, client: tls.ConnectionOptions): Promise<Run> {
  const totalC = CLIENT_MSGS.reduce((n, m) => n + m.length, 0);
  const totalS = SERVER_MSGS.reduce((n, m) => n + m.length, 0);
  const srv = tls.createServer({ key: cert.key, cert: cert.cert, ALPNProtocols: ['lifeline'], ...server }, (sock) => {
    let got = 0;
    sock.on('data', (d) => {
      got += d.length;
      if (got === totalC) for (const m of SERVER_MSGS) sock.write(m);
    });
    sock.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1');
  await within(once(srv, 'listening'), 5000, 'TLS server listening');
  const relay = await startRelay((srv.address() as AddressInfo).port);
  const keylog: string[] = [];
  const c = tls.connect({
    host: '127.0.0.1',
    port: relay.port,
    servername: 'notifs.test',
    rejectUnauthorized: false,
    ALPNProtocols: ['lifeline'],
    ...client,
  });
  await clientExchange(c, CLIENT_MSGS, totalS, keylog);
  const cipher = c.getCipher().standardName;
  const protocol = c.getProtocol();
  c.end();
  await within(relay.closed, 5000, 'both relay legs to close');
  relay.close();
  srv.close();
  return { keylog: keylog.join(''), records: splitRecords(relay.chunks), cipher, protocol };
}

function decryptAll(keylogText: string, records: Record[], options?: TlsSessionOptions) {
  const session = new TlsSession(parseKeyLog(keylogText, 'node-keylog'), options);
  const outs: TlsOutput[] = records.map((r) => session.onRecord(r.dir, r.type, r.version, r.body));
  const app = (dir: string) =>
    Buffer.concat(outs.filter((o) => o.dir === dir && o.appData).map((o) => o.appData as Uint8Array));
  return { session, outs, c2s: app('c2s'), s2c: app('s2c') };
}

function assertAllRecovered(run: Run, suiteName: string, version: string) {
  assert.ok(run.keylog.length > 0, 'the client wrote key log lines');
  const { session, outs, c2s, s2c } = decryptAll(run.keylog, run.records);
  const bad = outs.filter((o) => o.undecryptable || o.notes.length > 0);
  assert.deepEqual(
    bad.map((o) => [o.dir, o.undecryptable, o.notes]),
    [],
    'every record decrypts, no notes',
  );
  assert.ok(Buffer.concat(CLIENT_MSGS).equals(c2s), 'client → server plaintext recovered byte-exact');
  assert.ok(Buffer.concat(SERVER_MSGS).equals(s2c), 'server → client plaintext recovered byte-exact');
  const info = session.info();
  assert.equal(info.versionName, version);
  assert.equal(info.cipherSuiteName, suiteName);
  assert.equal(info.cipherSuiteName, run.cipher, 'same suite as the TLS stack reports');
  assert.equal(info.sni, 'notifs.test');
  assert.equal(info.alpn, 'lifeline');
  assert.ok(info.decryptedRecords >= 6);
  // The connection ends with an encrypted close_notify from the client.
  assert.ok(outs.some((o) => o.dir === 'c2s' && o.alert?.name === 'close_notify' && o.alert.encrypted));
  return { session, outs };
}

for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
  test(`TLS 1.3 ${suite}: Node client ↔ Node server, every byte decrypted`, async () => {
    const run = await runNodePair(
      // Node configures TLS 1.3 suites through `ciphers` as well.
      { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: suite },
      { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: suite },
    );
    assert.equal(run.protocol, 'TLSv1.3');
    const { outs } = assertAllRecovered(run, suite, 'TLS 1.3');
    // Encrypted handshake seen: EncryptedExtensions … Finished, and the server's NewSessionTicket.
    const names = outs.flatMap((o) => o.handshake.map((m) => `${o.dir}:${m.name}`));
    for (const n of [
      's2c:encrypted_extensions',
      's2c:certificate',
      's2c:finished',
      'c2s:finished',
      's2c:new_session_ticket',
    ])
      assert.ok(names.includes(n), `${n} decrypted and parsed`);
  });
}

for (const [openssl, iana] of [
  ['ECDHE-RSA-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  ['ECDHE-RSA-AES256-GCM-SHA384', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  ['ECDHE-RSA-CHACHA20-POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
]) {
  test(`TLS 1.2 ${openssl}: Node client ↔ Node server, every byte decrypted`, async () => {
    const run = await runNodePair(
      { maxVersion: 'TLSv1.2', ciphers: openssl },
      { maxVersion: 'TLSv1.2', ciphers: openssl },
    );
    assert.equal(run.protocol, 'TLSv1.2');
    assert.match(run.keylog, /^CLIENT_RANDOM /m);
    const { outs } = assertAllRecovered(run, iana, 'TLS 1.2');
    // The encrypted Finished of both sides is decrypted and parsed after ChangeCipherSpec.
    const fin = outs.filter((o) => o.decrypted && o.handshake.some((m) => m.name === 'finished')).map((o) => o.dir);
    assert.deepEqual(fin.sort(), ['c2s', 's2c']);
  });
}

test('TLS 1.3 KeyUpdate (openssl s_client "K": update and request one back) is followed in both directions', async () => {
  requireTool('openssl', ['version'], 'openssl');
  const keylog: string[] = [];
  const lines: string[] = [];
  let onLine: () => void = () => {};
  const srv = tls.createServer({ key: cert.key, cert: cert.cert, minVersion: 'TLSv1.3' }, (sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        sock.write(`echo:${line}\n`);
        onLine();
        i = buf.indexOf('\n');
      }
    });
    sock.on('error', () => {});
  });
  srv.on('keylog', (line) => keylog.push(line.toString('latin1')));
  srv.listen(0, '127.0.0.1');
  await within(once(srv, 'listening'), 5000, 'TLS server listening');
  const relay = await startRelay((srv.address() as AddressInfo).port);
  const waitLines = (n: number) =>
    within(
      new Promise<void>((resolve) => {
        onLine = () => lines.length >= n && resolve();
        onLine();
      }),
      10000,
      `${n} line(s) at the server`,
    );
  const cli = spawn(
    'openssl',
    ['s_client', '-connect', `127.0.0.1:${relay.port}`, '-tls1_3', '-servername', 'notifs.test'],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  // s_client reads stdin a buffer at a time and treats a buffer starting with K/k as a command: wait until the
  // relay has forwarded the client's KeyUpdate record before writing the next line, so the two never share a read.
  const waitClientRecord = () =>
    within(
      new Promise<void>((resolve) => {
        relay.onChunk = (c) => c.dir === 'c2s' && resolve();
      }),
      10000,
      's_client to send its KeyUpdate',
    );
  try {
    cli.stdin.write('before-update\n');
    await waitLines(1);
    let sent = waitClientRecord();
    cli.stdin.write('K\n'); // KeyUpdate with update_requested: the server must update its sending key too
    await sent;
    cli.stdin.write('after-update-1\n');
    await waitLines(2);
    sent = waitClientRecord();
    cli.stdin.write('k\n'); // KeyUpdate, no request
    await sent;
    cli.stdin.write('after-update-2\n');
    await waitLines(3);
    cli.stdin.end();
    await within(relay.closed, 10000, 'both relay legs to close');
  } finally {
    cli.kill();
    relay.close();
    srv.close();
  }
  assert.deepEqual(lines, ['before-update', 'after-update-1', 'after-update-2']);
  const records = splitRecords(relay.chunks);
  const { session, outs, c2s, s2c } = decryptAll(keylog.join(''), records);
  assert.deepEqual(
    outs.filter((o) => o.undecryptable).map((o) => [o.dir, o.undecryptable]),
    [],
  );
  assert.equal(c2s.toString('latin1'), 'before-update\nafter-update-1\nafter-update-2\n');
  assert.equal(s2c.toString('latin1'), 'echo:before-update\necho:after-update-1\necho:after-update-2\n');
  const ku = outs.filter((o) => o.keyUpdated).map((o) => `${o.dir}:${o.handshake[0]?.keyUpdate?.updateRequested}`);
  assert.deepEqual(ku, ['c2s:true', 's2c:false', 'c2s:false']);
  assert.deepEqual(session.info().keyUpdates, { c2s: 2, s2c: 1 });
});

for (const ver of ['TLSv1.2', 'TLSv1.3'] as const) {
  test(`resumed session (${ver}${ver === 'TLSv1.2' ? ' abbreviated handshake' : ' PSK'}) decrypts with the key log the client wrote`, async () => {
    const srv = tls.createServer({ key: cert.key, cert: cert.cert, maxVersion: ver }, (sock) => {
      sock.on('data', (d) => sock.write(`pong:${d.toString('latin1')}`));
      sock.on('end', () => sock.end());
      sock.on('error', () => {});
    });
    srv.listen(0, '127.0.0.1');
    await within(once(srv, 'listening'), 5000, 'TLS server listening');
    const port = (srv.address() as AddressInfo).port;
    let session: Buffer | undefined;
    try {
      for (let i = 0; i < 2; i++) {
        const relay = await startRelay(port);
        const keylog: string[] = [];
        const c = tls.connect({
          host: '127.0.0.1',
          port: relay.port,
          rejectUnauthorized: false,
          maxVersion: ver,
          session,
        });
        c.on('keylog', (l) => keylog.push(l.toString('latin1')));
        c.on('session', (s) => {
          session = s;
        });
        const pong = new Promise<void>((resolve, reject) => {
          let got = '';
          c.on('data', (d) => {
            got += d.toString('latin1');
            if (got === `pong:ping-${i}`) resolve();
          });
          c.on('error', reject);
        });
        await within(once(c, 'secureConnect'), 5000, 'TLS handshake');
        c.write(`ping-${i}`);
        await within(pong, 5000, 'pong');
        const reused = c.isSessionReused();
        c.end();
        await within(relay.closed, 5000, 'both relay legs to close');
        relay.close();
        assert.equal(reused, i === 1, `connection ${i} ${i === 1 ? 'resumed' : 'full handshake'}`);
        const r = decryptAll(keylog.join(''), splitRecords(relay.chunks));
        assert.deepEqual(
          r.outs.filter((o) => o.undecryptable).map((o) => o.undecryptable),
          [],
        );
        assert.equal(r.c2s.toString('latin1'), `ping-${i}`);
        assert.equal(r.s2c.toString('latin1'), `pong:ping-${i}`);
        if (i === 1 && ver === 'TLSv1.3') {
          const names = r.outs.filter((o) => o.dir === 's2c').flatMap((o) => o.handshake.map((m) => m.name));
          assert.ok(!names.includes('certificate'), 'PSK resumption: no Certificate in the server flight');
        }
      }
    } finally {
      srv.close();
    }
  });
}
