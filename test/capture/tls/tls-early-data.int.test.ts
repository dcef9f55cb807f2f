// TLS 1.3 0-RTT with real OpenSSL: s_server accepts early data, s_client resumes a saved session and sends early
// data; the second connection's records (through the recording relay) are decrypted with s_client's key log.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseKeyLog } from '../../../src/capture/tls/keylog.ts';
import { TlsSession } from '../../../src/capture/tls/tls-session.ts';
import { type Cert, makeCert, splitRecords, startRelay, within } from './tls-lab.ts';

let cert: Cert;
before(() => {
  cert = makeCert();
});
after(() => cert?.cleanup());

async function startServer(dir: string): Promise<{ proc: ChildProcess; port: number; output: () => string }> {
  const proc = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      '127.0.0.1:0',
      '-key',
      join(dir, 'key.pem'),
      '-cert',
      join(dir, 'cert.pem'),
      '-tls1_3',
      '-early_data',
      '-naccept',
      '2',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  const port = await within(
    new Promise<number>((resolve, reject) => {
      proc.stdout?.on('data', (d) => {
        out += d.toString('latin1');
        const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      proc.on('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${out}`)));
    }),
    10000,
    'openssl s_server to print its port',
  ).catch((e) => {
    proc.kill();
    throw e;
  });
  return { proc, port, output: () => out };
}

test('TLS 1.3 0-RTT early data (openssl s_client -early_data) is decrypted, then the handshake and data', async () => {
  const dir = cert.dir;
  const sess = join(dir, 'sess.pem');
  const early = join(dir, 'early.txt');
  writeFileSync(early, 'early-hello\n');
  const children: ChildProcess[] = [];
  const srv = await startServer(dir);
  children.push(srv.proc);
  try {
    // Connection 1: full handshake, save the session ticket.
    const c1 = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${srv.port}`, '-tls1_3', '-sess_out', sess], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    children.push(c1);
    c1.stdin?.write('first\n');
    // The ticket arrives after the handshake; s_client writes it to -sess_out then (bounded wait for the file).
    for (let i = 0; !existsSync(sess) || readFileSync(sess).length === 0; i++) {
      if (i >= 200) throw new Error('s_client never wrote the session ticket (10 s)');
      await new Promise((r) => setTimeout(r, 50));
    }
    c1.stdin?.end();
    await within(once(c1, 'exit'), 10000, 'first s_client to exit');

    // Connection 2, recorded: resumption with early data.
    const relay = await startRelay(srv.port);
    const keylogPath = join(dir, 'early.keylog');
    const c2 = spawn(
      'openssl',
      [
        's_client',
        '-connect',
        `127.0.0.1:${relay.port}`,
        '-tls1_3',
        '-sess_in',
        sess,
        '-early_data',
        early,
        '-keylogfile',
        keylogPath,
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    let clientOut = '';
    c2.stdout?.on('data', (d) => {
      clientOut += d.toString('latin1');
    });
    children.push(c2);
    const c2exit = once(c2, 'exit');
    c2.stdin?.end('second\n');
    await within(relay.closed, 10000, 'the recorded connection to close');
    relay.close();
    // Everything needed is recorded once the connection has closed; s_client sometimes lingers after a stdin EOF,
    // so it gets a bounded grace period and is then stopped (cleanup, not a correctness wait).
    await within(c2exit, 5000, 'second s_client to exit').catch(() => c2.kill());
    assert.match(clientOut, /Early data was accepted/, 'the server accepted 0-RTT');

    const keylogText = readFileSync(keylogPath, 'latin1');
    assert.match(keylogText, /^CLIENT_EARLY_TRAFFIC_SECRET /m);
    const session = new TlsSession(parseKeyLog(keylogText, keylogPath));
    const outs = splitRecords(relay.chunks).map((r) => session.onRecord(r.dir, r.type, r.version, r.body));
    assert.deepEqual(
      outs.filter((o) => o.undecryptable).map((o) => o.undecryptable),
      [],
    );
    const c2s = Buffer.concat(outs.filter((o) => o.dir === 'c2s' && o.appData).map((o) => o.appData as Uint8Array));
    assert.equal(c2s.toString('latin1'), 'early-hello\nsecond\n');
    const names = outs.flatMap((o) => o.handshake.map((m) => `${o.dir}:${m.name}`));
    assert.ok(names.includes('c2s:end_of_early_data'), 'EndOfEarlyData decrypted with the early key');
    assert.ok(names.includes('c2s:finished'));
    const ee = outs.flatMap((o) => o.handshake).find((m) => m.encryptedExtensions);
    assert.equal(ee?.encryptedExtensions?.earlyData, true);
    assert.equal(session.info().versionName, 'TLS 1.3');
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill();
  }
});
