// A real wss:// session (self-signed certificate made with openssl), captured with tcpdump: TLS records and the
// keepalive rhythm without keys, WebSocket messages with the key log, both compared with tshark.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { captureToEvents } from '../../src/capture/capture-events.ts';
import type { TlsRecordEvent, WsMessageEvent } from '../../src/events/types.ts';
import { startTcpdump, waitFor } from './analysis/live.ts';
import { requireTool, tsharkOccurrences } from './analysis/tshark.ts';

let dir = '';
let file = '';
let keylog = '';
let port = 0;
const ROUNDS = 12;
const PERIOD = 150;

before(async () => {
  requireTool('tcpdump', 'tcpdump');
  requireTool('tshark', 'tshark');
  requireTool('openssl', 'openssl');
  dir = mkdtempSync(join(tmpdir(), 'lifeline-wss-live-'));
  file = join(dir, 'wss.pcap');
  keylog = join(dir, 'keys.log');
  writeFileSync(keylog, '');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=notifs.test',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const https = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
  https.on('keylog', (line: Buffer) => appendFileSync(keylog, line));
  const wss = new WebSocketServer({ server: https });
  https.listen(0, '127.0.0.1');
  await waitFor(https, 'listening');
  port = (https.address() as { port: number }).port;
  const cap = await startTcpdump(file, `tcp port ${port}`);
  try {
    const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws)));
    // ws passes TLS options through to tls.connect (servername → SNI), its types just do not list them all.
    const tlsOpts = { rejectUnauthorized: false, servername: 'notifs.test' } as import('ws').ClientOptions;
    const client = new WebSocket(`wss://127.0.0.1:${port}/v1/notification/subscription/xyz`, tlsOpts);
    const server = await serverSide;
    await waitFor(client, 'open');
    server.send(JSON.stringify({ type: 'Welcome', data: { agentId: 'agent-7' } }));
    await waitFor(client, 'message');
    // Keepalives both ways on a fixed rhythm: each round waits for the server's reply (bounded).
    for (let i = 0; i < ROUNDS; i++) {
      const reply = waitFor(client, 'message');
      const got = waitFor(server, 'message');
      client.send('{"keepalive":"true"}');
      await got;
      server.send('{"keepalive":"true"}');
      await reply;
      await new Promise((r) => setTimeout(r, PERIOD));
    }
    const closed = waitFor(client, 'close');
    client.close(1000, 'done');
    await closed;
  } finally {
    await cap.stop();
    wss.close();
    https.close();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('wss:// without keys: TLS records per direction equal tshark, SNI, keepalive rhythm measured', async () => {
  const r = await captureToEvents(file);
  const recs = r.events.filter((e): e is TlsRecordEvent => e.kind === 'tls-record');
  // TLS 1.3 protected records carry `tls.record.opaque_type` instead of `content_type`: compare the length
  // sequence per direction exactly and the content types as a multiset.
  const out = tsharkOccurrences(
    file,
    ['tcp.srcport', 'tls.record.length', 'tls.record.content_type', 'tls.record.opaque_type'],
    { decodeAs: `tcp.port==${port},tls`, filter: 'tls' },
  );
  const theirs = {
    c2s: { lens: [] as number[], types: [] as number[] },
    s2c: { lens: [] as number[], types: [] as number[] },
  };
  for (const line of out.split('\n').filter(Boolean)) {
    const [sp, lens, types, opaque] = line.split('\t');
    const d = theirs[Number(sp) === port ? 's2c' : 'c2s'];
    d.lens.push(...lens.split(',').map(Number));
    for (const t of [...types.split(','), ...opaque.split(',')]) if (t !== '') d.types.push(Number(t));
  }
  for (const d of ['c2s', 's2c'] as const) {
    const mine = recs.filter((e) => e.dir === d);
    assert.deepEqual(
      mine.map((e) => e.length),
      theirs[d].lens,
      `${d} record lengths`,
    );
    assert.deepEqual(mine.map((e) => e.contentType).sort(), theirs[d].types.sort(), `${d} record types`);
  }
  const tls = (
    r.meta.tlsFlows as {
      sni?: string;
      rhythm: { c2s: { periodMs: number; count: number; regularity: number }; s2c: { periodMs: number } };
    }[]
  )[0];
  assert.equal(tls.sni, 'notifs.test');
  assert.ok(tls.rhythm.c2s.count >= ROUNDS, `small c2s records ${tls.rhythm.c2s.count}`);
  // The round trip adds a little to the sleep; the measured period sits between PERIOD and PERIOD + 150 ms.
  assert.ok(
    tls.rhythm.c2s.periodMs >= PERIOD && tls.rhythm.c2s.periodMs < PERIOD + 150,
    `c2s period ${tls.rhythm.c2s.periodMs}`,
  );
  assert.ok(
    tls.rhythm.s2c.periodMs >= PERIOD && tls.rhythm.s2c.periodMs < PERIOD + 150,
    `s2c period ${tls.rhythm.s2c.periodMs}`,
  );
  assert.ok((r.meta.blindTo as string[]).includes('tls-content'));
  const open = r.events.find((e) => e.kind === 'conn-open' && e.layer === 'tls');
  assert.equal(open?.kind === 'conn-open' && open.host, 'notifs.test');
});

test('wss:// with the key log: decrypted WebSocket messages, same frames as tshark with the same keys', async () => {
  const r = await captureToEvents(file, { keylog });
  const msgs = r.events.filter((e): e is WsMessageEvent => e.kind === 'ws-message');
  assert.equal(msgs.filter((m) => m.dir === 'c2s' && m.cls === 'keepalive').length, ROUNDS);
  assert.equal(msgs.filter((m) => m.dir === 's2c' && m.cls === 'keepalive').length, ROUNDS);
  assert.equal(msgs.filter((m) => m.cls === 'welcome').length, 1);
  const open = r.events.find((e) => e.kind === 'conn-open' && e.layer === 'ws');
  assert.equal(open?.kind === 'conn-open' && open.url, 'wss://127.0.0.1:' + port + '/v1/notification/subscription/xyz');
  const out = tsharkOccurrences(file, ['tcp.srcport', 'websocket.opcode'], {
    keylog,
    decodeAs: `tcp.port==${port},tls`,
    filter: 'websocket',
  });
  const theirs = { c2s: 0, s2c: 0 };
  for (const line of out.split('\n').filter(Boolean)) {
    const [sp, ops] = line.split('\t');
    theirs[Number(sp) === port ? 's2c' : 'c2s'] += ops.split(',').filter((o) => o === '1').length;
  }
  assert.deepEqual(theirs, {
    c2s: msgs.filter((m) => m.dir === 'c2s' && m.opcode === 1).length,
    s2c: msgs.filter((m) => m.dir === 's2c' && m.opcode === 1).length,
  });
});

test('extract --keylog: the filtered pcapng carries the keys and tshark decrypts it without being given them', () => {
  const out = join(dir, 'notifs.pcapng');
  const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;
  const r = spawnSync(
    process.execPath,
    [bin, 'capture', 'extract', file, '--ip', '127.0.0.1', '--keylog', keylog, '-o', out, '--json'],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).secretsBlocks, 1);
  const ws = execFileSync(
    'tshark',
    ['-r', out, '-d', `tcp.port==${port},tls`, '-Y', 'websocket.opcode == 1', '-T', 'fields', '-e', 'frame.number'],
    {
      encoding: 'utf8',
    },
  );
  assert.ok(
    ws.split('\n').filter(Boolean).length >= ROUNDS * 2,
    'tshark decrypted the keepalives from the embedded keys',
  );
});
