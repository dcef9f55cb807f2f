// The fault tests' TCP balancer: round robin per connection, cut() by target, drops for dead or missing targets.
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { TcpBalancer } from './tcp-balancer.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** A server that answers every chunk with "<name>:<chunk>". */
async function namedEcho(name: string): Promise<number> {
  const s = createServer((c) => {
    c.on('error', () => {});
    c.on('data', (d) => c.write(`${name}:${d}`));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as { port: number }).port;
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => resolve(c));
    c.once('error', reject);
  });
}

function ask(c: Socket, text: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer to ${text}`)), timeoutMs);
    c.once('data', (d) => {
      clearTimeout(t);
      resolve(String(d));
    });
    c.write(text);
  });
}

/** Resolves once the socket is closed, with the bytes it received meanwhile (bounded). */
function ended(c: Socket, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('socket was not closed')), timeoutMs);
    let got = '';
    c.on('data', (d) => {
      got += d;
    });
    c.on('error', () => {});
    c.once('close', () => {
      clearTimeout(t);
      resolve(got);
    });
  });
}

test('round robin per connection; several requests on one connection stay on its target', async () => {
  const a = await namedEcho('a');
  const b = await namedEcho('b');
  const lb = await TcpBalancer.start([a, b]);
  try {
    const c1 = await connect(lb.port);
    const c2 = await connect(lb.port);
    const c3 = await connect(lb.port);
    assert.equal(await ask(c1, 'x'), 'a:x');
    assert.equal(await ask(c2, 'y'), 'b:y');
    assert.equal(await ask(c3, 'z'), 'a:z');
    assert.equal(await ask(c2, 'again'), 'b:again', 'a kept-alive connection keeps its target');
    assert.equal(lb.connections(a), 2);
    assert.equal(lb.connections(b), 1);
    for (const c of [c1, c2, c3]) c.destroy();
  } finally {
    await lb.close();
  }
});

test('cut(target) drops only that target’s connections; cut() drops all', async () => {
  const a = await namedEcho('a');
  const b = await namedEcho('b');
  const lb = await TcpBalancer.start([a, b]);
  try {
    const ca = await connect(lb.port);
    const cb = await connect(lb.port);
    assert.equal(await ask(ca, '1'), 'a:1');
    assert.equal(await ask(cb, '2'), 'b:2');
    const caEnded = ended(ca);
    assert.equal(lb.cut(a), 1);
    assert.equal(await caEnded, '', 'closed with nothing more');
    assert.equal(await ask(cb, '3'), 'b:3', 'the other target’s connection survives');
    const cbEnded = ended(cb);
    assert.equal(lb.cut(), 1);
    assert.equal(await cbEnded, '');
    assert.equal(lb.connections(), 0);
  } finally {
    await lb.close();
  }
});

test('a dead target or no target: the client is dropped; setTargets moves new connections', async () => {
  const a = await namedEcho('a');
  const dead = await namedEcho('dead');
  servers.pop()!.close(); // nothing listens on `dead` any more
  await new Promise((r) => setTimeout(r, 0));
  const lb = await TcpBalancer.start([dead]);
  try {
    // The drop may even beat the client's own connect callback: watch the socket from its creation.
    assert.equal(await ended(createConnection({ host: '127.0.0.1', port: lb.port })), '');
    assert.equal(lb.stats.upstreamFailed, 1);
    lb.setTargets([]);
    assert.equal(await ended(createConnection({ host: '127.0.0.1', port: lb.port })), '');
    assert.equal(lb.stats.noTarget, 1);
    lb.setTargets([a]);
    const c3 = await connect(lb.port);
    assert.equal(await ask(c3, 'ok'), 'a:ok');
    c3.destroy();
  } finally {
    await lb.close();
  }
});

test('a target closing cleanly ends the client gracefully, after its last bytes', async () => {
  const s = createServer((c) => c.end('bye'));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const lb = await TcpBalancer.start([(s.address() as { port: number }).port]);
  try {
    const c = await connect(lb.port);
    assert.equal(await ended(c), 'bye');
  } finally {
    await lb.close();
  }
});

test('hold() stops server → client bytes on current connections only; cut() then ends them', async () => {
  const a = await namedEcho('a');
  const lb = await TcpBalancer.start([a]);
  try {
    const c1 = await connect(lb.port);
    assert.equal(await ask(c1, '1'), 'a:1');
    assert.equal(lb.hold(), 1);
    await assert.rejects(ask(c1, '2', 300), /no answer/, 'the answer is held');
    const c2 = await connect(lb.port);
    assert.equal(await ask(c2, 'new'), 'a:new', 'a new connection is not held');
    const c1Ended = ended(c1);
    assert.equal(lb.cut(a), 2);
    assert.equal(await c1Ended, '', 'the held bytes are never delivered');
  } finally {
    await lb.close();
  }
});

test('upgrades are matched to the node that answered their subscribe: same node or another node', async () => {
  let next = 0;
  const fakeNotifs = async () => {
    const s = createServer((c) => {
      c.on('error', () => {});
      c.on('data', (d) => {
        const id = `sub${String(++next).padStart(8, '0')}`;
        if (String(d).startsWith('POST '))
          c.write(`HTTP/1.1 200 OK\r\n\r\n{"webSocketUrl":"ws://x","subscriptionId":"${id}"}`);
        else c.write('upgraded');
      });
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as { port: number }).port;
  };
  const lb = await TcpBalancer.start([await fakeNotifs(), await fakeNotifs()]);
  try {
    const http = await connect(lb.port); // → node 1 (kept alive for both subscribes)
    const a1 = await ask(http, 'POST /v1/notification/subscribe HTTP/1.1\r\n\r\n');
    const a2 = await ask(http, 'POST /v1/notification/subscribe HTTP/1.1\r\n\r\n');
    const id1 = /"subscriptionId":"(\w+)"/.exec(a1)![1];
    const id2 = /"subscriptionId":"(\w+)"/.exec(a2)![1];
    const ws1 = await connect(lb.port); // → node 2: another node
    await ask(ws1, `GET /v1/notification/subscription/${id1} HTTP/1.1\r\n\r\n`);
    const ws2 = await connect(lb.port); // → node 1: the same node
    await ask(ws2, `GET /v1/notification/subscription/${id2} HTTP/1.1\r\n\r\n`);
    assert.equal(lb.stats.crossNodeUpgrades, 1);
    assert.equal(lb.stats.sameNodeUpgrades, 1);
    for (const c of [http, ws1, ws2]) c.destroy();
  } finally {
    await lb.close();
  }
});
