import assert from 'node:assert/strict';
import { test } from 'node:test';
import { A_ZERO_WINDOW_PROBE_ACK, FLAG_NAMES } from '../../../src/capture/analysis/tcp-analysis.ts';
import { connState, FlowTable, flowKey } from '../../../src/capture/analysis/tcp-flow.ts';
import { scenarios } from './scenarios.ts';
import { TcpScript } from './synth.ts';

function flagsOf(s: TcpScript): Record<number, string> {
  const ft = new FlowTable();
  const res: Record<number, string> = {};
  for (const d of s.decoded()) {
    const r = ft.add(d);
    const names: string[] = [];
    for (const [b, n] of FLAG_NAMES) if (r.analysis.flags & b) names.push(n);
    if (r.analysis.flags & A_ZERO_WINDOW_PROBE_ACK) names.push('zero-window-probe-ack');
    if (r.analysis.dupAckNum) names.push(`#${r.analysis.dupAckNum}`);
    if (names.length) res[d.record.frame] = names.join(',');
  }
  return res;
}

// Expected flags per frame, worked out from Wireshark's definitions (and confirmed by the tshark comparison test).
test('retransmission after an RTO', () => {
  assert.deepEqual(flagsOf(scenarios.retransmission()), { 5: 'retransmission' });
});
test('a hole then the missing segment: lost segment, then out-of-order', () => {
  assert.deepEqual(flagsOf(scenarios.outOfOrder()), { 5: 'lost-segment', 6: 'out-of-order' });
});
test('dup ACKs are numbered and a quick resend of the hole is a fast retransmission', () => {
  assert.deepEqual(flagsOf(scenarios.dupAcksFastRetransmission()), {
    6: 'lost-segment',
    7: 'dup-ack,#1',
    9: 'dup-ack,#2',
    10: 'dup-ack,#3',
    11: 'fast-retransmission',
  });
});
test('zero window, probe, probe ACK, window update', () => {
  assert.deepEqual(flagsOf(scenarios.zeroWindow()), {
    5: 'zero-window',
    6: 'zero-window-probe',
    7: 'zero-window,zero-window-probe-ack',
    8: 'window-update',
  });
});
test('keep-alives (0 and 1 byte) and their ACKs', () => {
  assert.deepEqual(flagsOf(scenarios.keepAlive()), {
    6: 'keep-alive',
    7: 'keep-alive-ack',
    8: 'keep-alive',
    9: 'keep-alive-ack',
  });
});
test('ACKed unseen segment', () => {
  assert.deepEqual(flagsOf(scenarios.ackedUnseen()), { 5: 'ack-lost-segment', 6: 'lost-segment' });
});
test('ACKed unseen segment once per hole: a dropped response, then three more rounds', () => {
  assert.deepEqual(flagsOf(scenarios.droppedResponse()), {
    6: 'ack-lost-segment',
    7: 'lost-segment',
    8: 'ack-lost-segment',
  });
});
test('a SYN and a FIN resent within the out-of-order threshold are retransmissions', () => {
  assert.deepEqual(flagsOf(scenarios.synFinResent()), { 2: 'retransmission', 8: 'retransmission' });
});
test('a FIN resent with an ACK of unseen data: ACKed unseen segment and fast retransmission', () => {
  assert.deepEqual(flagsOf(scenarios.finResentAckingUnseen()), { 8: 'fast-retransmission,ack-lost-segment' });
});
test('window full', () => {
  assert.deepEqual(flagsOf(scenarios.windowFull()), { 4: 'window-update', 6: 'window-full' });
});
test('spurious retransmission of acknowledged data', () => {
  assert.deepEqual(flagsOf(scenarios.spurious()), { 6: 'spurious-retransmission' });
});

test('flow key: SYN sender is the client; conn_state SF with history', () => {
  const s = scenarios.finClose();
  const ft = new FlowTable();
  for (const d of s.decoded()) ft.add(d);
  assert.equal(ft.size, 1);
  const f = ft.flows[0];
  assert.equal(f.key, '10.0.0.1:50000-10.0.0.2:443');
  assert.equal(f.clientBy, 'syn');
  assert.equal(connState(f), 'SF');
  assert.equal(f.history, 'ShADdfFa');
  assert.equal(f.dirs[0].seq.winScale, 7);
  assert.equal(f.dirs[1].seq.winScale, 9);
  assert.equal(f.dirs[0].payloadBytes, 27);
  assert.equal(f.firstFinBy, 1);
});

test('mid-stream flow: the ephemeral port is the client, state OTH', () => {
  const s = new TcpScript({ cport: 51000, sport: 443 });
  s.send('s', 'x');
  s.ackBy('c');
  const ft = new FlowTable();
  for (const d of s.decoded()) ft.add(d);
  assert.equal(ft.flows[0].key, '10.0.0.1:51000-10.0.0.2:443');
  assert.equal(ft.flows[0].clientBy, 'port');
  assert.equal(connState(ft.flows[0]), 'OTH');
});

test('IPv6 endpoints are bracketed in the key', () => {
  assert.equal(flowKey('2001:db8::1', 5000, '2001:db8::2', 443), '[2001:db8::1]:5000-[2001:db8::2]:443');
});

test('RST whose TTL differs from the server usual TTL is reported with the expected TTL', () => {
  const s = scenarios.middleboxReset();
  const ft = new FlowTable();
  const ds = s.decoded();
  let last = null as null | { ttl: number; expected: number; dir: number };
  for (const d of ds) {
    const r = ft.add(d);
    if (d.tcp.flags & 0x04) last = { ttl: d.ttl, expected: r.expectedTtl, dir: r.dir };
  }
  assert.deepEqual(last, { ttl: 250, expected: 57, dir: 1 });
  assert.equal(connState(ft.flows[0]), 'RSTR');
});

test('SYN answered by RST is REJ; SYN alone is S0; a new SYN after close starts a new flow', () => {
  const s = new TcpScript();
  s.raw('c', { seq: 1000, ack: 0, flags: 0x02 });
  s.at(1);
  s.raw('s', { seq: 0, ack: 1001, flags: 0x14 });
  s.at(1000);
  s.raw('c', { seq: 777, ack: 0, flags: 0x02 });
  const ft = new FlowTable();
  for (const d of s.decoded()) ft.add(d);
  assert.equal(ft.size, 2);
  assert.equal(connState(ft.flows[0]), 'REJ');
  assert.equal(connState(ft.flows[1]), 'S0');
});

test('relative seq/ack and ACK advance', () => {
  const s = new TcpScript().handshake();
  s.send('c', 'hello');
  s.ackBy('s');
  const ft = new FlowTable();
  const rs: { relSeq: number; relAck: number; adv: boolean }[] = [];
  for (const d of s.decoded()) {
    const r = ft.add(d);
    rs.push({ relSeq: r.relSeq, relAck: r.relAck, adv: r.ackAdvanced });
  }
  // Data: relative seq 0; the server's ACK acknowledges 5 bytes.
  assert.equal(rs[3].relSeq, 0);
  assert.deepEqual(rs[4], { relSeq: 0, relAck: 5, adv: true });
});
