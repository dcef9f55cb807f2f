// Notifs close(): every desktop gets the 4001 close frame and the close handshake completes before the server
// destroys anything (the lab saw desktops get an RST instead when sockets were destroyed right after the frame).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import { type NotifsServer, startNotifsServer } from '../../src/server/notifs-server.ts';

interface Desktop {
  ws: WebSocket;
  /** The close code and reason this desktop observed, and any socket error (an RST shows as ECONNRESET). */
  closed: Promise<{ code: number; reason: string; errors: string[] }>;
}

/** Subscribe over HTTP, open the socket, and wait (bounded) for the Welcome. */
async function connectDesktop(s: NotifsServer, agentId: string): Promise<Desktop> {
  const res = await fetch(`${s.url}/v1/notification/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.tokenFor(agentId)}` },
    body: JSON.stringify({ force: true, isKeepAliveEnabled: true, clientType: 'test', allowMultiLogin: false }),
  });
  assert.equal(res.status, 200);
  const { webSocketUrl } = (await res.json()) as { webSocketUrl: string };
  const ws = new WebSocket(webSocketUrl);
  const errors: string[] = [];
  ws.on('error', (e) => errors.push(String((e as NodeJS.ErrnoException).code ?? e.message)));
  const closed = new Promise<{ code: number; reason: string; errors: string[] }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${agentId}: socket did not close within 10 s`)), 10_000);
    ws.on('close', (code, reason) => {
      clearTimeout(t);
      resolve({ code, reason: reason.toString(), errors });
    });
  });
  closed.catch(() => {});
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${agentId}: no Welcome within 5 s`)), 5000);
    ws.once('message', (d) => {
      clearTimeout(t);
      assert.match(d.toString(), /welcome/i);
      resolve();
    });
  });
  return { ws, closed };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(t));
}

test('close(): every connected desktop observes the 4001 close frame, not a reset', async () => {
  // The server's own record of each socket's end: 4001 = the desktop's close echo arrived (handshake complete);
  // 1006 = the server destroyed the socket first.
  const ends: unknown[] = [];
  const s = await startNotifsServer({
    keepaliveMs: 1000,
    silenceMs: 5000,
    log: (r) => {
      if (r.event === 'disconnect') ends.push(r.code);
    },
  });
  // Several desktops at once: the RST race showed up when many sockets were destroyed together.
  const desktops = await Promise.all(Array.from({ length: 12 }, (_, i) => connectDesktop(s, `agent-${i}`)));
  assert.equal(s.connections(), 12);
  // Desktops talking while the server shuts down: data the server has not read when it destroys a socket is
  // what turns the end into an RST.
  for (const d of desktops) for (let k = 0; k < 20; k++) d.ws.send('{"type":"keepalive"}');
  await within(s.close(), 10_000, 'server close()');
  for (const [i, d] of desktops.entries()) {
    const { code, reason, errors } = await d.closed;
    assert.equal(code, CLOSE.SERVER_SHUTDOWN, `agent-${i} saw close code ${code} (${errors.join(', ')})`);
    assert.equal(reason, 'server shutting down');
    assert.deepEqual(errors, [], `agent-${i} saw socket errors`);
  }
  // close() resolved only after the handshakes: every socket ended with the desktop's echo, none was destroyed.
  assert.equal(s.connections(), 0);
  assert.deepEqual(ends, Array(12).fill(CLOSE.SERVER_SHUTDOWN));
});

test('close(): a desktop that never answers the close frame is destroyed after closeGraceMs', async () => {
  const s = await startNotifsServer({ keepaliveMs: 1000, silenceMs: 5000, closeGraceMs: 200 });
  const mute = await connectDesktop(s, 'agent-mute');
  const polite = await connectDesktop(s, 'agent-polite');
  // The mute desktop reads nothing more, so it never sees the frame nor answers it.
  (mute.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
  await within(s.close(), 5000, 'server close() with a mute desktop');
  assert.equal((await polite.closed).code, CLOSE.SERVER_SHUTDOWN);
  // The server did not wait for the mute one past the grace period: its socket is gone on the server's side.
  assert.equal(s.connections(), 0);
  mute.ws.terminate();
  await mute.closed;
});
