// Real loopback captures (tcpdump) of WebSocket sessions with the `ws` library, read by Lifeline and by tshark.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { captureToEvents } from '../../src/capture/capture-events.ts';
import type { TimelineEvent, WsControlEvent, WsMessageEvent } from '../../src/events/types.ts';
import { ourFlags } from './analysis/compare.ts';
import { startTcpdump, waitFor } from './analysis/live.ts';
import { requireTool, tsharkConversations, tsharkCount, tsharkFlags, tsharkWebSocket } from './analysis/tshark.ts';

let dir = '';
before(() => {
  requireTool('tcpdump', 'tcpdump');
  requireTool('tshark', 'tshark');
  dir = mkdtempSync(join(tmpdir(), 'lifeline-ws-live-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** One ws:// session covering keepalives, fragments, masking, deflate, ping/pong and a close code. */
async function wsSession(file: string): Promise<number> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
  await waitFor(wss, 'listening');
  const port = (wss.address() as { port: number }).port;
  const cap = await startTcpdump(file, `tcp port ${port}`);
  try {
    const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws)));
    const client = new WebSocket(`ws://127.0.0.1:${port}/v1/notification/subscription/abc`, {
      perMessageDeflate: true,
    });
    const server = await serverSide;
    await waitFor(client, 'open');
    // Server: Welcome, then answer every client keepalive with one of its own.
    server.on('message', (data, isBinary) => {
      if (!isBinary && data.toString() === '{"keepalive":"true"}') server.send('{"keepalive":"true"}');
    });
    const got: string[] = [];
    client.on('message', (d) => got.push(d.toString()));
    server.send(JSON.stringify({ type: 'Welcome', data: { agentId: 'agent-1' } }));
    for (let i = 0; i < 5; i++) {
      const n = got.length;
      client.send('{"keepalive":"true"}');
      for (let k = 0; k < 100 && got.length === n; k++) await new Promise((r) => setTimeout(r, 10));
    }
    // A fragmented, compressed text message; an uncompressed notification; a ping; a big binary message.
    const fragmented = new Promise((r) => server.once('message', r));
    client.send('{"type":"Part', { fin: false });
    client.send('ial","data":{}}', { fin: true });
    await fragmented;
    server.send('{"type":"AgentStateChange","data":{"state":"Available"}}', { compress: false });
    server.ping('p');
    await waitFor(server, 'pong');
    const big = new Promise((r) => server.once('message', r));
    client.send(Buffer.alloc(70_000, 7));
    await big;
    const closed = waitFor(server, 'close');
    client.close(4000, 'bye');
    await closed;
    await waitFor(client, 'close');
  } finally {
    await cap.stop();
    wss.close();
  }
  return port;
}

let wsFile = '';
let wsPort = 0;
test('ws:// session: messages, classes, controls and close as the endpoints saw them', async () => {
  wsFile = join(dir, 'ws.pcap');
  wsPort = await wsSession(wsFile);
  const r = await captureToEvents(wsFile);
  assert.deepEqual(
    r.problems.filter((p) => p.severity === 'error'),
    [],
  );
  const msgs = r.events.filter((e): e is WsMessageEvent => e.kind === 'ws-message');
  const count = (dir: string, cls: string) => msgs.filter((m) => m.dir === dir && m.cls === cls).length;
  assert.equal(count('c2s', 'keepalive'), 5);
  assert.equal(count('s2c', 'keepalive'), 5);
  assert.equal(count('s2c', 'welcome'), 1);
  const partial = msgs.find((m) => m.type === 'Partial');
  assert.equal(partial?.text, '{"type":"Partial","data":{}}');
  assert.equal(partial?.dir, 'c2s');
  const note = msgs.find((m) => m.type === 'AgentStateChange');
  assert.equal(note?.cls, 'notification');
  const bin = msgs.find((m) => m.opcode === 2);
  assert.equal(bin?.length, 70_000);
  const ctl = r.events.filter((e): e is WsControlEvent => e.kind === 'ws-control');
  assert.deepEqual(
    ctl.map((c) => [c.dir, c.op, c.code ?? null]),
    [
      ['s2c', 'ping', null],
      ['c2s', 'pong', null],
      ['c2s', 'close', 4000],
      ['s2c', 'close', 4000],
    ],
  );
  const open = r.events.find((e) => e.kind === 'conn-open' && e.layer === 'ws');
  assert.equal(open?.kind === 'conn-open' && open.url, `ws://127.0.0.1:${wsPort}/v1/notification/subscription/abc`);
  const closes = r.events.filter((e) => e.kind === 'conn-close');
  assert.deepEqual(
    closes.map((c) => (c.kind === 'conn-close' ? [c.how, c.by, c.wsCode ?? null] : [])),
    [
      ['ws-close', 'desktop', 4000],
      ['fin', closes[1]?.kind === 'conn-close' ? closes[1].by : '', null],
    ],
  );
  const ws = (r.meta.wsFlows as { deflate: boolean; messages: { c2s: number } }[])[0];
  assert.equal(ws.deflate, true);
});

test('ws:// session agrees with tshark: packets, conversation, analysis flags, WebSocket frames', async () => {
  assert.ok(wsFile, 'previous test made the capture');
  const frames: { dir: string; opcode: number; len: number }[] = [];
  const { analyzeCapture } = await import('../../src/capture/capture-events.ts');
  const a = await analyzeCapture(wsFile, {
    keepEvents: false,
    onWsFrame: (_c, dir, opcode, len) => frames.push({ dir, opcode, len }),
  });
  assert.equal(a.meta.packets, tsharkCount(wsFile));
  const conv = tsharkConversations(wsFile);
  assert.equal(conv.length, 1);
  const flows = (a.meta.flows as { list: { packets: [number, number] }[] }).list;
  assert.equal(flows.length, 1);
  assert.equal(flows[0].packets[0] + flows[0].packets[1], conv[0].frames);
  const ours = await ourFlags(wsFile);
  assert.deepEqual([...ours.flags], [...tsharkFlags(wsFile)]);
  // WebSocket frames per direction, in order: opcode and wire payload length.
  const ts = tsharkWebSocket(wsFile, wsPort);
  const tsDir = (srcPort: number) => (srcPort === wsPort ? 's2c' : 'c2s');
  for (const d of ['c2s', 's2c']) {
    const mine = frames.filter((f) => f.dir === d).map((f) => [f.opcode, f.len]);
    const theirs = ts.filter((f) => tsDir(f.srcPort) === d).map((f) => [f.opcode, f.len]);
    assert.deepEqual(mine, theirs, `${d} frames`);
  }
  assert.equal(frames.length, 19); // c2s: 5 keepalives, 2 fragments, pong, binary, close; s2c: 9
});

function kinds(events: TimelineEvent[]): Record<string, number> {
  const k: Record<string, number> = {};
  for (const e of events) k[e.kind] = (k[e.kind] ?? 0) + 1;
  return k;
}

test('reset: the server resets the socket; the RST is attributed to the server with its usual TTL', async () => {
  const file = join(dir, 'reset.pcap');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await waitFor(wss, 'listening');
  const port = (wss.address() as { port: number }).port;
  const cap = await startTcpdump(file, `tcp port ${port}`);
  try {
    const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws)));
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    client.on('error', () => {});
    const server = await serverSide;
    await waitFor(client, 'open');
    server.send('{"keepalive":"true"}');
    await waitFor(client, 'message');
    const closed = waitFor(client, 'close');
    (server as unknown as { _socket: { resetAndDestroy(): void } })._socket.resetAndDestroy();
    await closed;
  } finally {
    await cap.stop();
    wss.close();
  }
  const r = await captureToEvents(file);
  const close = r.events.find((e) => e.kind === 'conn-close');
  assert.ok(close && close.kind === 'conn-close');
  assert.equal(close.how, 'rst');
  assert.equal(close.by, 'server');
  assert.equal(close.ttl, close.expectedTtl);
  const flows = (r.meta.flows as { list: { state: string }[] }).list;
  assert.equal(flows[0].state, 'RSTR');
  assert.equal(kinds(r.events)['ws-message'], 1);
  const ours = await ourFlags(file);
  assert.deepEqual([...ours.flags], [...tsharkFlags(file)]);
});

test('stall: the desktop stops sending keepalives while Notifs goes on; the timeline shows it', async () => {
  const file = join(dir, 'stall.pcap');
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await waitFor(wss, 'listening');
  const port = (wss.address() as { port: number }).port;
  const cap = await startTcpdump(file, `tcp port ${port}`);
  let stallAt = 0;
  try {
    const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws)));
    const client = new WebSocket(`ws://127.0.0.1:${port}/`);
    const server = await serverSide;
    await waitFor(client, 'open');
    // 6 rounds of both-way keepalives, then 6 server-only keepalives (the desktop is stalled).
    for (let i = 0; i < 12; i++) {
      if (i === 6) stallAt = Date.now();
      if (i < 6) client.send('{"keepalive":"true"}');
      server.send('{"keepalive":"true"}');
      await waitFor(client, 'message');
      await new Promise((r) => setTimeout(r, 20));
    }
    const closed = waitFor(client, 'close');
    server.close(1001, 'going away');
    await closed;
  } finally {
    await cap.stop();
    wss.close();
  }
  const r = await captureToEvents(file);
  const ka = r.events.filter((e): e is WsMessageEvent => e.kind === 'ws-message' && e.cls === 'keepalive');
  const c2s = ka.filter((m) => m.dir === 'c2s');
  const s2c = ka.filter((m) => m.dir === 's2c');
  assert.equal(c2s.length, 6);
  assert.equal(s2c.length, 12);
  assert.ok(
    c2s.every((m) => m.ts < stallAt + 1),
    'no desktop keepalive after the stall began',
  );
  assert.equal(s2c.filter((m) => m.ts >= stallAt - 1).length, 6);
  const close = r.events.find((e) => e.kind === 'conn-close' && e.how === 'ws-close');
  assert.deepEqual(close?.kind === 'conn-close' && [close.by, close.wsCode, close.reason], [
    'server',
    1001,
    'going away',
  ]);
  const ours = await ourFlags(file);
  assert.deepEqual([...ours.flags], [...tsharkFlags(file)]);
});

test('IPv6 loopback: the flow key brackets addresses and messages decode the same', async () => {
  const file = join(dir, 'v6.pcap');
  const wss = new WebSocketServer({ host: '::1', port: 0 });
  await waitFor(wss, 'listening');
  const port = (wss.address() as { port: number }).port;
  const cap = await startTcpdump(file, `tcp port ${port}`);
  try {
    const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', (ws) => resolve(ws)));
    const client = new WebSocket(`ws://[::1]:${port}/v6`);
    const server = await serverSide;
    await waitFor(client, 'open');
    server.send('{"keepalive":"true"}');
    await waitFor(client, 'message');
    const closed = waitFor(client, 'close');
    client.close(1000);
    await closed;
  } finally {
    await cap.stop();
    wss.close();
  }
  const r = await captureToEvents(file);
  const msg = r.events.find((e): e is WsMessageEvent => e.kind === 'ws-message');
  assert.equal(msg?.cls, 'keepalive');
  assert.match(msg?.conn ?? '', new RegExp(`^\\[::1\\]:\\d+-\\[::1\\]:${port}$`));
  assert.equal(r.meta.packets, tsharkCount(file));
  assert.deepEqual([...(await ourFlags(file)).flags], [...tsharkFlags(file)]);
  const ws = (r.meta.wsFlows as { rhythm?: { s2c: { count: number } } }[])[0];
  assert.equal(ws.rhythm?.s2c.count, 1);
});
