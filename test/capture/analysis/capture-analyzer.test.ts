import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureAnalyzer } from '../../../src/capture/analysis/capture-analyzer.ts';
import type { TimelineEvent } from '../../../src/events/types.ts';
import { scenarios } from './scenarios.ts';
import { decodedOf, TcpScript } from './synth.ts';
import { cat, wsFrame } from './ws-build.ts';

function run(s: TcpScript, opts: { allFlows?: boolean; maxEvents?: number } = {}): CaptureAnalyzer {
  const a = new CaptureAnalyzer({ source: 't.pcap', ...opts });
  for (const d of s.decoded()) a.add(d);
  a.finish();
  return a;
}
const kinds = (es: TimelineEvent[]) => es.map((e) => e.kind);

test('events of an interesting flow: open, data, acks, anomalies with relative seq, close', () => {
  const a = run(scenarios.retransmission());
  const ev = a.events;
  // The handshake's ACK acknowledges no data (relative 0): no tcp-ack. A packet's anomaly precedes its tcp-data.
  assert.deepEqual(kinds(ev), ['conn-open', 'tcp-data', 'tcp-anomaly', 'tcp-data', 'tcp-ack']);
  const anomaly = ev.find((e) => e.kind === 'tcp-anomaly');
  assert.deepEqual(anomaly?.kind === 'tcp-anomaly' && [anomaly.flag, anomaly.seq, anomaly.dir, anomaly.conn], [
    'retransmission',
    0,
    'c2s',
    '10.0.0.1:50000-10.0.0.2:443',
  ]);
  const ack = ev.at(-1);
  assert.deepEqual(ack?.kind === 'tcp-ack' && [ack.dir, ack.ack], ['s2c', 100]);
  assert.equal(ev[0].offset, 24);
});

test('non-web ports: no per-packet events, but the flow is summarised and anomalies counted', () => {
  const s = new TcpScript({ sport: 5432 }).handshake();
  const p = s.send('c', 'x'.repeat(10));
  s.at(300);
  s.send('c', 'x'.repeat(10), { seq: p.seq });
  const a = run(s);
  assert.deepEqual(a.events, []);
  assert.deepEqual(a.anomalyCounts, { retransmission: 1 });
  const m = a.meta() as { flows: { total: number; list: { key: string; interesting: boolean }[] } };
  assert.equal(m.flows.total, 1);
  assert.deepEqual(
    m.flows.list.map((f) => [f.key, f.interesting]),
    [['10.0.0.1:50000-10.0.0.2:5432', false]],
  );
  // allFlows turns per-packet events on for every flow.
  assert.ok(run(s, { allFlows: true }).events.some((e) => e.kind === 'tcp-anomaly'));
});

test('a WebSocket captured mid-stream (no SYN, no Upgrade) is recognised from its frames', () => {
  const s = new TcpScript({ cport: 52000, sport: 443 });
  s.send('s', wsFrame(1, '{"keepalive":"true"}'));
  s.send('c', wsFrame(1, '{"keepalive":"true"}', { mask: [9, 8, 7, 6] }));
  s.send('s', cat(wsFrame(1, '{"type":"AgentStateChange"}'), wsFrame(8, new Uint8Array([3, 233]))));
  const a = run(s);
  const msgs = a.events.filter((e) => e.kind === 'ws-message');
  assert.deepEqual(
    msgs.map((m) => (m.kind === 'ws-message' ? [m.dir, m.cls] : [])),
    [
      ['s2c', 'keepalive'],
      ['c2s', 'keepalive'],
      ['s2c', 'notification'],
    ],
  );
  const ws = a.wsFlows()[0];
  assert.equal(ws.midStream, true);
  assert.deepEqual(ws.close && [ws.close.by, ws.close.code], ['server', 1001]);
});

test('plain ws:// with an Upgrade split over segments and a gap: messages after the gap still decode', () => {
  const s = new TcpScript({ sport: 80 }).handshake();
  const req =
    'GET /v1/notification/subscription/1 HTTP/1.1\r\nHost: api.wxcc-us1.cisco.com\r\nUpgrade: websocket\r\n\r\n';
  s.send('c', req.slice(0, 20));
  s.send('c', req.slice(20));
  s.send('s', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
  s.send('s', wsFrame(1, '{"type":"Welcome","data":{}}'));
  // One server segment never reaches the capture; the next one starts a fresh frame.
  s.s.next = (s.s.next + wsFrame(1, '{"keepalive":"true"}').length) >>> 0;
  s.send('s', wsFrame(1, '{"keepalive":"true"}'));
  s.fin('s');
  s.fin('c');
  const a = run(s);
  const open = a.events.find((e) => e.kind === 'conn-open' && e.layer === 'ws');
  assert.equal(open?.kind === 'conn-open' && open.url, 'ws://api.wxcc-us1.cisco.com/v1/notification/subscription/1');
  const cls = a.events.flatMap((e) => (e.kind === 'ws-message' ? [e.cls] : []));
  assert.deepEqual(cls, ['welcome', 'keepalive']);
  assert.deepEqual(
    a.problems.map((p) => p.code),
    ['TCP_STREAM_GAP'],
  );
  assert.ok(a.events.some((e) => e.kind === 'tcp-anomaly' && e.flag === 'lost-segment'));
});

test('the event cap keeps the first events and says so once', () => {
  const a = run(scenarios.middleboxReset(), { maxEvents: 5 });
  assert.equal(a.events.length, 5);
  assert.deepEqual(
    a.problems.map((p) => p.code),
    ['CAPTURE_EVENTS_CAPPED'],
  );
  assert.ok(a.droppedEvents > 0);
});

test('closed flows are folded into summaries after 10 s of capture time; counts stay exact', () => {
  const a = new CaptureAnalyzer({ source: 't.pcap', maxEvents: 0 });
  let t0 = 1_700_000_000_000;
  for (let i = 0; i < 70; i++) {
    const s = new TcpScript({ t0, cport: 40000 + i, sport: i % 2 ? 443 : 5000 }).handshake();
    s.send('s', 'y'.repeat(100 + i));
    s.fin('s');
    s.fin('c');
    for (const d of s.decoded()) a.add(d);
    t0 += 1000;
  }
  // Pad to 65536 packets so the periodic expiry runs.
  const filler = new TcpScript({ t0, cport: 65000, sport: 6000 });
  for (let i = 0; a.packets < 65536 && i < 70000; i++) a.add(decodedOf(filler.raw('c', {}), a.packets + 1));
  assert.ok(a.table.flows.length < 71, `live flows ${a.table.flows.length}`);
  const m = a.meta() as {
    flows: { total: number; byState: Record<string, number>; interesting: number; list: unknown[] };
  };
  assert.equal(m.flows.total, 71);
  assert.equal(m.flows.byState.SF, 70);
  assert.equal(m.flows.interesting, 35);
});

test('mid-stream flow whose high-port side sends the HTTP request: sides are swapped and events relabelled', () => {
  // Ports guess the client wrongly: the "client" is the listener on 60000, the desktop uses port 3000.
  const s = new TcpScript({ cport: 60000, sport: 3000 });
  s.send('c', 'x'); // 60000 → 3000 first: an opaque byte (the end of something earlier)
  s.ackBy('s');
  s.send('s', 'GET /ws HTTP/1.1\r\nHost: notifs\r\nUpgrade: websocket\r\n\r\n');
  s.send('c', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
  s.send('c', wsFrame(1, '{"type":"Welcome"}'));
  const a = run(s, { allFlows: true });
  const f = a.table.flows[0];
  assert.equal(f.key, '10.0.0.2:3000-10.0.0.1:60000');
  assert.equal(f.clientBy, 'http');
  const msg = a.events.find((e) => e.kind === 'ws-message');
  assert.deepEqual(msg?.kind === 'ws-message' && [msg.dir, msg.cls, msg.conn], ['s2c', 'welcome', f.key]);
  // The first data event (60000 → 3000) is now labelled s2c under the new key.
  const first = a.events.find((e) => e.kind === 'tcp-data');
  assert.deepEqual(first && [first.conn, first.dir], [f.key, 's2c']);
});

test('a bulk transfer keeps at most 50 000 tcp-data/tcp-ack events and says so; anomalies still flow', () => {
  const s = new TcpScript().handshake();
  const a = new CaptureAnalyzer({ source: 't.pcap' });
  for (const d of s.decoded()) a.add(d);
  // One reused packet object, advanced like a stream of 100-byte server segments.
  const d = decodedOf(s.raw('s', { payload: new Uint8Array(100) }), 4);
  let seq = d.tcp.seq;
  for (let i = 0; i < 60_000; i++) {
    d.tcp.seq = seq >>> 0;
    d.record.frame = 4 + i;
    d.record.ts += 0.01;
    a.add(d);
    seq += 100;
  }
  d.tcp.seq = (seq - 200) >>> 0; // one retransmission at the end
  d.record.ts += 500;
  a.add(d);
  const data = a.events.filter((e) => e.kind === 'tcp-data').length;
  assert.equal(data, 50_000);
  assert.deepEqual(
    a.problems.map((p) => p.code),
    ['CAPTURE_FLOW_EVENTS_CAPPED'],
  );
  assert.ok(a.events.some((e) => e.kind === 'tcp-anomaly' && e.flag === 'retransmission'));
});
