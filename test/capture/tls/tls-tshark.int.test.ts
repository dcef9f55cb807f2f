// Cross-check against Wireshark: a real TLS connection on 127.0.0.1 is captured with tcpdump; TlsSession decrypts
// the records rebuilt from the pcap, tshark decrypts the same pcap with the same key log, and both must yield the
// plaintext that was sent.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import tls from 'node:tls';
import { parseKeyLog } from '../../../src/capture/tls/keylog.ts';
import { TlsSession } from '../../../src/capture/tls/tls-session.ts';
import { bothFinned, readTcpSegments, tcpChunks } from './pcap-lite.ts';
import { type Cert, clientExchange, makeCert, requireTool, splitRecords, within } from './tls-lab.ts';

let cert: Cert;
before(() => {
  requireTool('tcpdump', ['--version'], 'tcpdump');
  requireTool('tshark', ['--version'], 'tshark');
  cert = makeCert();
});
after(() => cert?.cleanup());

// Not HTTP-looking, so tshark hands the decrypted bytes to its `data` dissector (field data.data).
const CLIENT_MSGS = [
  Buffer.from('{"keepalive":"true"}'),
  Buffer.from(Array.from({ length: 30000 }, (_, i) => (i * 13 + 5) & 0xff)),
  Buffer.from('{"keepalive":"true"}'),
];
const SERVER_MSGS = [Buffer.from('{"type":"Welcome","data":{"agentId":"a1"}}'), Buffer.from('{"keepalive":"true"}')];

async function startTcpdump(pcap: string, port: number): Promise<ChildProcess> {
  // -Z root: the temp dir is private to root; --immediate-mode -U: packets reach the file as they are seen.
  const td = spawn('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-Z', 'root', '-w', pcap, `tcp port ${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  await within(
    new Promise<void>((resolve, reject) => {
      td.stderr?.on('data', (d) => {
        err += d.toString();
        if (err.includes('listening on')) resolve();
      });
      td.on('exit', (code) => reject(new Error(`tcpdump exited (${code}): ${err}`)));
    }),
    10000,
    'tcpdump to report "listening on"',
  );
  return td;
}

async function capturedConnection(opts: tls.ConnectionOptions) {
  const totalC = CLIENT_MSGS.reduce((n, m) => n + m.length, 0);
  const totalS = SERVER_MSGS.reduce((n, m) => n + m.length, 0);
  const srv = tls.createServer({ key: cert.key, cert: cert.cert }, (sock) => {
    let got = 0;
    sock.on('data', (d) => {
      got += d.length;
      if (got === totalC) for (const m of SERVER_MSGS) sock.write(m);
    });
    sock.on('end', () => sock.end());
    sock.on('error', () => {});
  });
  srv.listen(0, '127.0.0.1');
  await within(once(srv, 'listening'), 5000, 'TLS server listening');
  const port = (srv.address() as AddressInfo).port;
  const pcap = join(cert.dir, `cap-${port}.pcap`);
  const td = await startTcpdump(pcap, port);
  const keylog: string[] = [];
  try {
    const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
    await clientExchange(c, CLIENT_MSGS, totalS, keylog);
    c.end();
    await within(once(c, 'close'), 5000, 'client socket close');
    // Wait until the capture file holds both FINs (bounded), then stop tcpdump.
    for (let i = 0; ; i++) {
      if (bothFinned(readTcpSegments(readFileSync(pcap)), port)) break;
      if (i >= 200) throw new Error('capture never showed both FINs within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    td.kill('SIGINT');
    await within(once(td, 'exit'), 10000, 'tcpdump to exit');
    srv.close();
  }
  const keylogPath = join(cert.dir, `keylog-${port}.txt`);
  writeFileSync(keylogPath, keylog.join(''));
  return { pcap, port, keylogPath, keylog: keylog.join('') };
}

/** tshark over the capture with the key log, printing the given fields tab-separated. */
function tsharkFields(pcap: string, keylogPath: string, fields: string[], filter?: string) {
  const args = ['-r', pcap, '-o', `tls.keylog_file:${keylogPath}`, ...(filter ? ['-Y', filter] : []), '-T', 'fields'];
  return spawnSync('tshark', [...args, ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
}

function tsharkPlaintext(pcap: string, keylogPath: string, serverPort: number) {
  const r = tsharkFields(pcap, keylogPath, ['tcp.srcport', 'data.data'], 'data.data');
  assert.equal(r.status, 0, `tshark failed: ${r.stderr}`);
  const parts: { c2s: string[]; s2c: string[] } = { c2s: [], s2c: [] };
  for (const line of r.stdout.split('\n')) {
    const [port, data] = line.split('\t');
    if (!data) continue;
    parts[Number(port) === serverPort ? 's2c' : 'c2s'].push(data.replaceAll(',', ''));
  }
  return { c2s: Buffer.from(parts.c2s.join(''), 'hex'), s2c: Buffer.from(parts.s2c.join(''), 'hex') };
}

/** One line per frame (number, source port, TCP length, protocol column, info) for a failure message. */
function tsharkFrames(pcap: string, keylogPath: string): string {
  const fields = ['frame.number', 'tcp.srcport', 'tcp.len', '_ws.col.Protocol', '_ws.col.Info'];
  const r = tsharkFields(pcap, keylogPath, fields);
  return `${r.stdout}${r.stderr}`.slice(0, 4000);
}

function ourPlaintext(pcap: string, keylog: string, serverPort: number) {
  const segments = readTcpSegments(readFileSync(pcap));
  const chunks = tcpChunks(segments, serverPort);
  const summary = `${segments.length} segments, SYN flags ${segments.filter((x) => x.flags & 2).map((x) => x.flags)}, chunks ${chunks.map((c) => `${c.dir}:${c.data.length}`)}`;
  assert.ok(chunks.length >= 6, `capture holds the connection (${summary})`);
  const session = new TlsSession(parseKeyLog(keylog));
  const outs = splitRecords(chunks).map((r) => session.onRecord(r.dir, r.type, r.version, r.body));
  assert.deepEqual(
    outs.filter((o) => o.undecryptable).map((o) => o.undecryptable),
    [],
    summary,
  );
  assert.ok(
    outs.some((o) => o.handshake.some((m) => m.clientHello)),
    `ClientHello seen (${summary})`,
  );
  const app = (dir: string) =>
    Buffer.concat(outs.filter((o) => o.dir === dir && o.appData).map((o) => o.appData as Uint8Array));
  return { c2s: app('c2s'), s2c: app('s2c'), info: session.info() };
}

for (const [name, opts] of [
  ['TLS 1.3 TLS_AES_128_GCM_SHA256', { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' }],
  ['TLS 1.2 ECDHE-RSA-CHACHA20-POLY1305', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-CHACHA20-POLY1305' }],
] as const) {
  test(`tshark and TlsSession decrypt the same plaintext from a tcpdump capture (${name})`, async () => {
    const sentC = Buffer.concat(CLIENT_MSGS);
    const sentS = Buffer.concat(SERVER_MSGS);
    // Our decoder must be exact on every capture. tshark is the reference, but once in a CI run (not reproducible
    // in 144 further connections, alone or under CPU load) it decrypted no client bytes from a capture ours read in full; so the
    // cross-check takes a fresh capture, at most three, and names what tshark saw if it never agrees.
    const misses: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const run = await capturedConnection(opts as tls.ConnectionOptions);
      const ours = ourPlaintext(run.pcap, run.keylog, run.port);
      assert.ok(ours.c2s.equals(sentC), `TlsSession c2s plaintext (${ours.c2s.length} bytes) equals what was sent`);
      assert.ok(ours.s2c.equals(sentS), `TlsSession s2c plaintext (${ours.s2c.length} bytes) equals what was sent`);
      assert.match(ours.info.versionName, /^TLS 1\.[23]$/);
      const theirs = tsharkPlaintext(run.pcap, run.keylogPath, run.port);
      if (theirs.c2s.equals(ours.c2s) && theirs.s2c.equals(ours.s2c)) return;
      misses.push(
        `capture ${attempt}: tshark c2s ${theirs.c2s.length} / s2c ${theirs.s2c.length} bytes; frames:\n${tsharkFrames(run.pcap, run.keylogPath)}`,
      );
    }
    assert.fail(`tshark never decrypted the same plaintext as TlsSession:\n${misses.join('\n')}`);
  });
}
