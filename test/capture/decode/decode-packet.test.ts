import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodePacket } from '../../../src/capture/decode/decode-packet.ts';
import { type CaptureRecord, newDecodedPacket, TCP_ACK, TCP_SYN } from '../../../src/capture/packet.ts';
import { ethernet, ipv4, ipv6, nullLink, sll, sll2, tcp, u32, udp } from './synth-packet.ts';

function rec(linkType: number, data: Uint8Array, caplen = data.length): CaptureRecord {
  return {
    ts: 0,
    tsNs: 0n,
    linkType,
    ifIndex: 0,
    section: 0,
    caplen,
    origLen: data.length,
    data: data.subarray(0, caplen),
    offset: 0,
    frame: 1,
  };
}

const text = (s: string) => new TextEncoder().encode(s);
const synOptions = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, ...u32(111), ...u32(222), 1, 3, 3, 7];
const v4tcp = ipv4({
  src: '192.168.1.10',
  dst: '10.0.0.1',
  proto: 6,
  ttl: 63,
  id: 77,
  payload: tcp({
    sport: 50000,
    dport: 443,
    seq: 0xfffffff0,
    ack: 5,
    flags: TCP_SYN | TCP_ACK,
    options: synOptions,
    payload: text('hello'),
  }),
});

describe('decodePacket', () => {
  const out = newDecodedPacket();

  it('Ethernet + IPv4 + TCP with options', () => {
    decodePacket(rec(1, ethernet(0x0800, v4tcp)), out);
    assert.equal(out.problem, '');
    assert.equal(out.truncated, false);
    assert.equal(out.l3, 4);
    assert.equal(out.srcIp, '192.168.1.10');
    assert.equal(out.dstIp, '10.0.0.1');
    assert.equal(out.ttl, 63);
    assert.equal(out.ipId, 77);
    assert.equal(out.l4, 6);
    assert.equal(out.srcPort, 50000);
    assert.equal(out.dstPort, 443);
    assert.equal(out.tcp.seq, 0xfffffff0);
    assert.equal(out.tcp.ack, 5);
    assert.equal(out.tcp.flags, TCP_SYN | TCP_ACK);
    assert.equal(out.tcp.mss, 1460);
    assert.equal(out.tcp.sackPermitted, true);
    assert.equal(out.tcp.hasTs, true);
    assert.equal(out.tcp.tsval, 111);
    assert.equal(out.tcp.tsecr, 222);
    assert.equal(out.tcp.wscale, 7);
    assert.equal(new TextDecoder().decode(out.payload), 'hello');
    assert.equal(out.payloadLen, 5);
  });

  it('interns addresses: equal addresses are the same string', () => {
    decodePacket(rec(1, ethernet(0x0800, v4tcp)), out);
    const a = out.srcIp;
    decodePacket(rec(1, ethernet(0x0800, v4tcp)), out);
    assert.equal(Object.is(a, out.srcIp), true);
  });

  it('walks 802.1Q and QinQ tags', () => {
    decodePacket(rec(1, ethernet(0x0800, v4tcp, [0x88a8, 0x8100])), out);
    assert.equal(out.l4, 6);
    assert.equal(out.dstPort, 443);
  });

  it('SLL, SLL2, RAW, IPV4, NULL (both byte orders) and LOOP reach the same TCP header', () => {
    const v6 = ipv6({ src: '2001:db8::1', dst: 'fe80::2', next: 17, payload: udp(5353, 53, text('q')) });
    const cases: [number, Uint8Array, number][] = [
      [113, sll(0x0800, v4tcp), 4],
      [276, sll2(0x86dd, v6), 6],
      [101, v4tcp, 4],
      [101, v6, 6],
      [228, v4tcp, 4],
      [229, v6, 6],
      [0, nullLink(2, v4tcp, true), 4],
      [0, nullLink(2, v4tcp, false), 4],
      [0, nullLink(30, v6, true), 6],
      [0, nullLink(24, v6, false), 6],
      [108, nullLink(28, v6, false), 6],
    ];
    for (const [lt, data, l3] of cases) {
      decodePacket(rec(lt, data), out);
      assert.equal(out.l3, l3, `link ${lt}`);
      assert.equal(out.problem, '', `link ${lt}`);
      if (l3 === 6) {
        assert.equal(out.srcIp, '2001:db8::1');
        assert.equal(out.dstIp, 'fe80::2');
        assert.equal(out.l4, 17);
        assert.equal(out.dstPort, 53);
      } else assert.equal(out.dstPort, 443);
    }
  });

  it('IPv6 extension headers: hop-by-hop, routing, destination options, AH, fragment', () => {
    const ext = [
      { type: 0, body: [0, 1, 4, 0, 0, 0, 0] },
      { type: 43, body: [0, 0, 0, 0, 0, 0, 0] },
      { type: 60, body: [0, 1, 4, 0, 0, 0, 0] },
      { type: 51, body: [2, 0, 0, ...u32(1), ...u32(2), ...u32(3)] }, // AH: (2+2)*4 = 16 bytes
      { type: 44, body: [0, 0, 0, ...u32(99)] }, // first fragment, M = 0 → offset 0
    ];
    const p = ipv6({ src: '::1', dst: '::ffff:a01:203', next: 6, ext, payload: tcp({ sport: 1, dport: 2 }) });
    decodePacket(rec(229, p), out);
    assert.equal(out.problem, '');
    assert.equal(out.fragment, true);
    assert.equal(out.l4, 6);
    assert.equal(out.dstPort, 2);
    assert.equal(out.srcIp, '::1');
    assert.equal(out.dstIp, '::ffff:10.1.2.3');
    const later = ipv6({
      src: '::1',
      dst: '::2',
      next: 6,
      ext: [{ type: 44, body: [0, 0x01, 0x00, ...u32(99)] }],
      payload: text('middle'),
    });
    decodePacket(rec(229, later), out);
    assert.equal(out.fragment, true);
    assert.equal(out.l4, 0);
    assert.equal(out.payloadLen, 6);
  });

  it('IPv4 fragments: first decoded with the flag, later ones not', () => {
    decodePacket(
      rec(228, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, mf: true, payload: udp(1, 53, text('x')) })),
      out,
    );
    assert.equal(out.fragment, true);
    assert.equal(out.l4, 17);
    decodePacket(
      rec(228, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, fragOffset: 10, payload: text('tail') })),
      out,
    );
    assert.equal(out.fragment, true);
    assert.equal(out.l4, 0);
  });

  it('IPv4 options (IHL > 5) and padding after total length', () => {
    const p = ipv4({
      src: '1.1.1.1',
      dst: '2.2.2.2',
      proto: 17,
      options: [1, 1, 1, 1, 7, 3, 4],
      payload: udp(9, 10, text('ab')),
    });
    const padded = new Uint8Array(p.length + 10);
    padded.set(p);
    decodePacket(rec(228, padded), out);
    assert.equal(out.l4, 17);
    assert.equal(new TextDecoder().decode(out.payload), 'ab');
  });

  it('truncation is a flag at every cut, never an exception', () => {
    const frame = ethernet(0x0800, v4tcp);
    for (let cut = 0; cut <= frame.length; cut++) {
      decodePacket(rec(1, frame, cut), out);
      if (cut < frame.length) assert.equal(out.truncated, true, `cut ${cut}`);
      else assert.equal(out.truncated, false);
      if (cut >= 14 + 20 + 40) assert.equal(out.l4, 6, `cut ${cut}: the TCP header is complete`);
      if (cut >= 14 + 20 + 40) assert.equal(out.payloadLen, 5);
    }
  });

  it('an IP length beyond the frame on the wire is cut to the frame (GSO, cut frame); a snaplen cut is not', () => {
    // The frame held 3 of the 5 payload bytes (origLen = what was on the wire): tshark's tcp.len is 3.
    const short = ethernet(0x0800, v4tcp).subarray(0, 14 + 20 + 40 + 3);
    decodePacket(rec(1, short), out);
    assert.equal(out.l4, 6);
    assert.equal(out.payloadLen, 3);
    assert.equal(out.payload.length, 3);
    assert.equal(out.truncated, false);
    assert.equal(out.problem, 'IP_LENGTH_EXCEEDS_FRAME');
    // Same bytes saved, but the wire frame was whole (snaplen): the IP length stands and the payload is cut.
    decodePacket({ ...rec(1, short), origLen: 14 + v4tcp.length }, out);
    assert.equal(out.payloadLen, 5);
    assert.equal(out.truncated, true);
    assert.equal(out.problem, '');
    // IPv6 payload length past the frame.
    const v6 = ipv6({ src: '::1', dst: '::2', next: 6, payload: tcp({ sport: 1, dport: 2, payload: text('abcdef') }) });
    decodePacket(rec(229, v6.subarray(0, v6.length - 4)), out);
    assert.equal(out.payloadLen, 2);
    assert.equal(out.problem, 'IP_LENGTH_EXCEEDS_FRAME');
  });

  it('bad headers set a problem code', () => {
    const bad = v4tcp.slice();
    bad[0] = 0x43; // IHL 3
    decodePacket(rec(228, bad), out);
    assert.equal(out.problem, 'IPV4_BAD_IHL');
    const badTcp = v4tcp.slice();
    badTcp[20 + 12] = 0x20; // TCP header length 8
    decodePacket(rec(228, badTcp), out);
    assert.equal(out.problem, 'TCP_BAD_HDRLEN');
    const badOpt = ipv4({
      src: '1.1.1.1',
      dst: '2.2.2.2',
      proto: 6,
      payload: tcp({ sport: 1, dport: 2, options: [2, 40, 0, 0] }),
    });
    decodePacket(rec(228, badOpt), out);
    assert.equal(out.problem, 'TCP_BAD_OPTION');
    assert.equal(out.l4, 6);
    decodePacket(rec(147, v4tcp), out);
    assert.equal(out.problem, 'LINK_UNSUPPORTED');
  });

  it('SACK blocks', () => {
    const p = ipv4({
      src: '1.1.1.1',
      dst: '2.2.2.2',
      proto: 6,
      payload: tcp({
        sport: 1,
        dport: 2,
        options: [1, 1, 5, 18, ...u32(100), ...u32(200), ...u32(0xfffffff0), ...u32(5)],
      }),
    });
    decodePacket(rec(228, p), out);
    assert.deepEqual(out.tcp.sack, [100, 200, 0xfffffff0, 5]);
    assert.equal(out.tcp.mss, -1);
    decodePacket(rec(228, v4tcp), out);
    assert.deepEqual(out.tcp.sack, []);
  });

  it('non-IP ethertypes decode to l3 = 0 without a problem', () => {
    decodePacket(rec(1, ethernet(0x0806, new Uint8Array(28))), out);
    assert.equal(out.l3, 0);
    assert.equal(out.problem, '');
  });
});
