// A receiver that stops reading: real zero windows, window-full segments, zero-window probes and window updates on
// loopback, captured with tcpdump and compared with tshark packet by packet.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { captureToEvents } from '../../src/capture/capture-events.ts';
import { ourFlags } from './analysis/compare.ts';
import { startTcpdump, waitFor } from './analysis/live.ts';
import { requireTool, tsharkFlags } from './analysis/tshark.ts';

let dir = '';
before(() => {
  requireTool('tcpdump', 'tcpdump');
  requireTool('tshark', 'tshark');
  dir = mkdtempSync(join(tmpdir(), 'lifeline-tcp-stall-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('receiver stops reading: zero window and friends agree with tshark; the anomalies are events', async () => {
  const file = join(dir, 'zw.pcap');
  let serverSock: Socket | undefined;
  const server = createServer((s) => {
    serverSock = s;
    s.pause(); // stop reading: the receive window fills up
  });
  server.listen(0, '127.0.0.1');
  await waitFor(server, 'listening');
  const port = (server.address() as { port: number }).port;
  // Headers are enough for TCP analysis; a small snaplen keeps tcpdump from dropping the 64 KiB segments.
  const cap = await startTcpdump(file, `tcp port ${port}`, 10_000, { snaplen: 128 });
  const total = 16 * 1024 * 1024;
  let received = 0;
  try {
    const client = connect(port, '127.0.0.1');
    await waitFor(client, 'connect');
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    for (let sent = 0; sent < total; sent += chunk.length) client.write(chunk);
    // The peer's window is closed once the client's socket cannot drain: wait for the capture to show a zero
    // window (bounded), then resume reading.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await ourFlags(file).catch(() => undefined);
      if (r && [...r.flags.values()].some((f) => f.includes('zero-window'))) break;
      if (Date.now() > deadline) throw new Error('no zero window appeared within 15 s');
      await new Promise((res) => setTimeout(res, 100));
    }
    const done = new Promise<void>((resolve) => {
      serverSock?.on('data', (d: Buffer) => {
        received += d.length;
        if (received >= total) resolve();
      });
    });
    serverSock?.resume();
    await done;
    const closed = waitFor(client, 'close');
    client.end();
    serverSock?.end();
    await closed;
  } finally {
    await cap.stop();
    server.close();
  }
  assert.equal(received, total);
  const ours = await ourFlags(file);
  const theirs = tsharkFlags(file);
  assert.deepEqual([...ours.flags], [...theirs]);
  const names = new Set([...ours.flags.values()].flatMap((f) => f.split(',')));
  assert.ok(names.has('zero-window'), `flags seen: ${[...names].join(' ')}`);
  assert.ok(names.has('window-update'), `flags seen: ${[...names].join(' ')}`);
  // The same facts reach the timeline (port is not a web port: allow all flows via the events of anomalies count).
  const r = await captureToEvents(file);
  const anomalies = r.meta.anomalies as Record<string, number>;
  assert.ok((anomalies['zero-window'] ?? 0) > 0);
});
