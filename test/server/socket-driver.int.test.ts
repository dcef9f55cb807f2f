// One socket's driver against real sockets: what a displaced desktop is told, in the form Cisco's SDK acts on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { CLOSE } from '../../src/protocol/close-codes.ts';
import { type NotifsServer, startNotifsServer } from '../../src/server/notifs-server.ts';
import { until } from './helpers.ts';

let s: NotifsServer;
before(async () => {
  s = await startNotifsServer({ keepaliveMs: 1000, silenceMs: 5000, sweepMs: 20 });
});
after(() => s.close());

async function openDesktop(agentId: string, clientId: string) {
  const res = await fetch(`${s.url}/v1/notification/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer agent:${agentId}` },
    body: JSON.stringify({ clientId, force: true }),
  });
  const { webSocketUrl } = (await res.json()) as { webSocketUrl: string };
  const ws = new WebSocket(webSocketUrl);
  const messages: string[] = [];
  ws.on('message', (d) => messages.push(d.toString()));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await until(() => messages.some((m) => m.includes('"Welcome"')), 5000, `Welcome for ${clientId}`);
  return { ws, messages, closed };
}

test('multi-login: the displaced socket gets top-level AGENT_MULTI_LOGIN (app type in data), then 4409', async () => {
  const first = await openDesktop('ml-agent', 'desk-1');
  const second = await openDesktop('ml-agent', 'desk-2');
  assert.equal(await first.closed, CLOSE.MULTI_LOGIN);
  const notice = first.messages.map((m) => JSON.parse(m)).find((m) => m.type === 'AGENT_MULTI_LOGIN');
  assert.deepEqual(notice, {
    type: 'AGENT_MULTI_LOGIN',
    data: {
      type: 'AgentMultiLoginCloseSession',
      agentId: 'ml-agent',
      reason: 'another desktop logged in as this agent',
    },
  });
  assert.ok(!second.messages.some((m) => m.includes('MULTI_LOGIN')), 'the newer desktop is not told anything');
  assert.equal(second.ws.readyState, WebSocket.OPEN);
  second.ws.close();
});
