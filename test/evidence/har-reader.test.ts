import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { TimelineEvent, WsMessageEvent } from '../../src/events/types.ts';
import { HarMapper, readHar } from '../../src/evidence/har-reader.ts';

const fx = (name: string) => new URL(`../fixtures/evidence/${name}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lifeline-har-'));
const msgs = (evs: TimelineEvent[]) => evs.filter((e): e is WsMessageEvent => e.kind === 'ws-message');

test('Chrome HAR: WebSocket messages with direction, class, type, position, and the upgrade time', async () => {
  const r = await readHar(fx('chrome-wxcc.har'));
  assert.equal(r.kind, 'har');
  assert.equal(r.format, 'har-chrome');
  assert.deepEqual(r.problems, []);
  const m = msgs(r.events);
  assert.equal(m.length, 9);
  assert.equal(m.filter((e) => e.dir === 'c2s').length, 3);
  assert.equal(m.filter((e) => e.dir === 's2c').length, 6);
  assert.deepEqual(
    m.map((e) => e.cls),
    ['welcome', 'keepalive', 'keepalive', 'notification', 'keepalive', 'keepalive', 'keepalive', 'other', 'multilogin'],
  );
  const welcome = m[0];
  assert.equal(welcome.ts, 1795597201200);
  assert.equal(welcome.epoch, 'e1');
  assert.equal(welcome.seq, 0);
  assert.equal(welcome.conn, '40107');
  const note = m[3];
  assert.equal(note.type, 'AgentStateChange');
  assert.equal(note.seq, 1);
  const bin = m.find((e) => e.opcode === 2);
  assert.equal(bin?.length, 5); // base64 "AAECAwQ=" is 5 bytes
  const open = r.events.find((e) => e.kind === 'conn-open');
  assert.ok(open && open.kind === 'conn-open');
  // startedDateTime 09:00:01.100 + blocked 2 + dns 3 + connect 20 + send 0.5 + wait 19.5 = +45 ms
  assert.equal(open.ts, Date.parse('2026-11-25T09:00:01.100Z') + 45);
  assert.equal(open.ip, '203.0.113.10');
  assert.equal(open.host, 'api.wxcc-eu1.cisco.com');
  // Readers keep the facts as they are; every command's output redacts them (src/redact.ts, test/redact.test.ts).
  assert.equal(open.url, 'wss://api.wxcc-eu1.cisco.com/v1/notification/subscription/9f1c?token=SECRET');
  const fail = r.events.find((e) => e.kind === 'conn-fail');
  assert.ok(fail && fail.kind === 'conn-fail');
  assert.equal(fail.stage, 'tcp');
  assert.equal(fail.error, 'net::ERR_CONNECTION_TIMED_OUT');
  assert.deepEqual(r.meta.dataCentres, ['eu1']);
  assert.equal(r.meta.wxcc, true);
  assert.equal(r.meta.lifeline, true);
  const conns = r.meta.connections as { conn: string; protocol?: string; timings?: Record<string, number> }[];
  assert.equal(conns.find((c) => c.conn === '40107')?.protocol, 'lifeline');
  assert.equal(conns.find((c) => c.conn === '40107')?.timings?.connect, 20);
  assert.ok(r.meta.blindTo?.includes('ws-control'));
  assert.ok((r.meta.firstTs ?? 0) <= (r.meta.lastTs ?? 0));
});

test('Firefox HAR: reads the upgrade, says it is blind to WebSocket messages', async () => {
  const r = await readHar(fx('firefox.har'));
  assert.equal(r.format, 'har-firefox');
  assert.equal(msgs(r.events).length, 0);
  assert.equal(r.events.filter((e) => e.kind === 'conn-open').length, 1);
  assert.ok(r.meta.blindTo?.includes('ws-messages'));
  const p = r.problems.find((x) => x.code === 'HAR_NO_WS_MESSAGES');
  assert.ok(p);
  assert.equal(p.severity, 'warning');
  assert.match(p.message, /Firefox/);
});

test('gzip HAR reads the same; a cut-off HAR keeps entries that completed, with the cut offset', async () => {
  const raw = readFileSync(fx('chrome-wxcc.har'));
  const gz = join(tmp, 'x.har.gz');
  writeFileSync(gz, gzipSync(raw));
  const a = await readHar(fx('chrome-wxcc.har'));
  const b = await readHar(gz);
  assert.equal(b.meta.gzip, true);
  assert.deepEqual(
    b.events.map((e) => [e.kind, e.ts]),
    a.events.map((e) => [e.kind, e.ts]),
  );
  // Cut inside the third entry: the first two are complete.
  const cutAt = raw.indexOf('"connection": "40200"');
  const cut = join(tmp, 'cut.har');
  writeFileSync(cut, raw.subarray(0, cutAt));
  const c = await readHar(cut);
  assert.equal(msgs(c.events).length, 9);
  const p = c.problems.find((x) => x.code === 'HAR_JSON_TRUNCATED');
  assert.ok(p);
  assert.equal(p.offset, cutAt);
  assert.equal(p.severity, 'error');
});

test('bad entries and messages become problems with the entry offset, never exceptions', () => {
  const m = new HarMapper('x.har');
  m.entry('not an object', 10);
  m.entry(
    {
      _resourceType: 'websocket',
      request: { url: 'wss://h/x' },
      response: { status: 101 },
      _webSocketMessages: [{ type: 'send' }, { type: 'weird', time: 1 }, 7],
    },
    20,
  );
  const r = m.finish({ log: { creator: { name: 'WebInspector' } } }, []);
  assert.ok(r.problems.some((p) => p.code === 'HAR_BAD_ENTRY' && p.offset === 10));
  assert.equal(r.problems.filter((p) => p.code === 'HAR_BAD_MESSAGE' && p.offset === 20).length, 3);
  assert.ok(r.problems.some((p) => p.code === 'HAR_BAD_TIME'));
});

test('message text is capped at 512 characters; error messages become conn-close', () => {
  const m = new HarMapper('y.har');
  const big = `{"type":"Big","data":"${'a'.repeat(5000)}"}`;
  m.entry(
    {
      _resourceType: 'websocket',
      connection: '1',
      startedDateTime: '2026-01-01T00:00:00Z',
      request: { url: 'wss://h/x' },
      response: { status: 101 },
      _webSocketMessages: [
        { type: 'receive', time: 1767225600.5, opcode: 1, data: big },
        { type: 'error', time: 1767225601, opcode: 1, data: 'net::ERR_CONNECTION_RESET' },
      ],
    },
    0,
  );
  const r = m.finish(undefined, []);
  const msg = msgs(r.events)[0];
  assert.equal(msg.text?.length, 512);
  assert.equal(msg.length, big.length);
  assert.equal(msg.type, 'Big');
  const close = r.events.find((e) => e.kind === 'conn-close');
  assert.ok(close && close.kind === 'conn-close' && close.how === 'error');
  assert.equal(close.reason, 'net::ERR_CONNECTION_RESET');
});

test('HAR writer named by log.creator.name: Safari, Charles, mitmproxy, Fiddler, unknown; each with its blind spots', async () => {
  const ws = (withFrames: boolean) => ({
    startedDateTime: '2026-11-25T10:00:00.000Z',
    request: { url: 'wss://api.wxcc-us1.cisco.com/v1/notification/subscription/s1' },
    response: { status: 101 },
    ...(withFrames
      ? { _webSocketMessages: [{ type: 'receive', time: 1795600801, opcode: 1, data: '{"keepalive":"true"}' }] }
      : {}),
  });
  const cases: [string, boolean, string, string[]][] = [
    ['WebKit Web Inspector', false, 'har-safari', ['ws-messages', 'ws-control', 'ws-close', 'tcp']],
    ['Charles Proxy', true, 'har-charles', ['browser-to-proxy', 'ws-control', 'ws-close', 'tcp']],
    ['mitmproxy', true, 'har-mitmproxy', ['browser-to-proxy', 'ws-control', 'ws-close', 'tcp']],
    ['Fiddler', true, 'har-fiddler', ['browser-to-proxy', 'ws-control', 'ws-close', 'tcp']],
    ['WebInspector', true, 'har-chrome', ['ws-control', 'ws-close', 'tcp']],
    ['SomeTool', true, 'har-other', ['ws-control', 'ws-close', 'tcp']],
  ];
  for (const [name, frames, format, blind] of cases) {
    const f = join(tmp, `${format}.har`);
    writeFileSync(
      f,
      JSON.stringify({ log: { version: '1.2', creator: { name, version: '1' }, entries: [ws(frames)] } }),
    );
    const r = await readHar(f);
    assert.equal(r.format, format, name);
    assert.deepEqual(r.meta.blindTo, blind, name);
    assert.equal(r.meta.creator, name);
    if (!frames) {
      const p = r.problems.find((x) => x.code === 'HAR_NO_WS_MESSAGES');
      assert.match(p?.message ?? '', /Safari Web Inspector did not include frames/);
    }
  }
});
