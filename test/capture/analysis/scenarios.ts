// Synthetic TCP edge cases, one conversation each, shared by the unit tests (expected flags written by hand) and the
// tshark comparison (the same packets written to a pcap and read by tshark).

import { TcpScript } from './synth.ts';

const KB = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill);

export const scenarios: Record<string, () => TcpScript> = {
  retransmission(): TcpScript {
    const s = new TcpScript().handshake();
    s.at(1);
    const p = s.send('c', KB(100));
    s.at(200);
    s.send('c', KB(100), { seq: p.seq }); // RTO retransmission, 200 ms later
    s.at(1);
    s.ackBy('s');
    return s;
  },
  outOfOrder(): TcpScript {
    const s = new TcpScript().handshake();
    s.at(1);
    const a = s.send('c', KB(100));
    const bSeq = (a.seq + 100) >>> 0;
    // Third segment arrives first (lost-segment), then the second one 0.1 ms later (out-of-order).
    s.raw('c', { seq: (bSeq + 100) >>> 0, payload: KB(100), flags: 0x18 });
    s.c.next = (bSeq + 200) >>> 0;
    s.at(0.1);
    s.raw('c', { seq: bSeq, payload: KB(100), flags: 0x18 });
    s.at(1);
    s.ackBy('s');
    return s;
  },
  dupAcksFastRetransmission(): TcpScript {
    const s = new TcpScript().handshake();
    s.at(1);
    s.send('s', KB(100));
    s.ackBy('c');
    const lostSeq = s.s.next;
    s.s.next = (s.s.next + 100) >>> 0; // segment "lost" before the capture point
    s.at(1);
    s.send('s', KB(100)); // lost-segment flag
    s.at(0.5);
    s.raw('c', {}); // dup ack #1 (acks up to the hole)
    s.at(0.5);
    s.send('s', KB(100));
    s.raw('c', {}); // dup ack #2
    s.at(0.5);
    s.raw('c', {}); // dup ack #3
    s.at(1);
    s.send('s', KB(100), { seq: lostSeq }); // fast retransmission
    s.at(1);
    s.ackBy('c');
    return s;
  },
  zeroWindow(): TcpScript {
    const s = new TcpScript().handshake();
    s.at(1);
    s.send('s', KB(1000));
    s.at(1);
    s.c.window = 0;
    s.ackBy('c'); // zero window
    s.at(200);
    s.raw('s', { payload: KB(1), flags: 0x10 }); // zero-window probe (seq = next, 1 byte)
    s.at(1);
    s.raw('c', {}); // zero-window probe ack
    s.at(300);
    s.c.window = 65535;
    s.raw('c', {}); // window update
    s.at(1);
    s.send('s', KB(100));
    s.at(1);
    s.ackBy('c');
    return s;
  },
  keepAlive(): TcpScript {
    const s = new TcpScript().handshake();
    s.at(1);
    s.send('c', KB(10));
    s.at(1);
    s.ackBy('s');
    s.at(45_000);
    s.raw('c', { seq: (s.c.next - 1) >>> 0 }); // keep-alive
    s.at(1);
    s.raw('s', {}); // keep-alive ack
    s.at(45_000);
    s.raw('c', { seq: (s.c.next - 1) >>> 0, payload: KB(1, 0) }); // 1-byte keep-alive (Windows style)
    s.at(1);
    s.raw('s', {});
    return s;
  },
  ackedUnseen(): TcpScript {
    const s = new TcpScript().handshake();
    s.at(1);
    s.send('c', KB(100));
    s.c.next = (s.c.next + 100) >>> 0; // this segment never reaches the capture
    s.at(1);
    s.ackBy('s'); // acks 200 bytes, only 100 seen: ACKed unseen segment
    s.at(1);
    s.send('c', KB(50)); // and the client's next segment is beyond what we saw: previous segment not captured
    return s;
  },
  droppedResponse(): TcpScript {
    // Four request/response rounds; the first response never reaches the capture point. One hole: the client's ACK
    // of it and the server's next segment are flagged, then the ACK after that (tshark 4.0), and nothing later.
    const s = new TcpScript().handshake();
    for (let i = 0; i < 4; i++) {
      s.at(1);
      s.send('c', KB(50));
      s.at(0.1);
      s.ackBy('s');
      s.at(0.1);
      if (i === 0) s.s.next = (s.s.next + 200) >>> 0;
      else s.send('s', KB(200, 0x62));
      s.at(0.1);
      if (i === 0) s.ackBy('c');
      s.send('s', KB(300, 0x63));
      s.at(0.1);
      s.ackBy('c');
    }
    return s;
  },
  synFinResent(): TcpScript {
    // The client's SYN and FIN each sent twice within the out-of-order threshold (3 ms without an iRTT, then the iRTT): retransmissions, not out-of-order.
    const s = new TcpScript();
    s.raw('c', { seq: s.c.isn, ack: 0, flags: 0x02, mss: 1460 });
    s.at(0.5);
    s.raw('c', { seq: s.c.isn, ack: 0, flags: 0x02, mss: 1460 });
    s.c.next = s.c.isn + 1;
    s.s.acked = s.c.next;
    s.at(0.2);
    s.raw('s', { seq: s.s.isn, flags: 0x12, mss: 1460 });
    s.s.next = s.s.isn + 1;
    s.c.acked = s.s.next;
    s.at(0.2);
    s.raw('c', {});
    s.at(1);
    s.send('c', KB(10));
    s.at(1);
    s.ackBy('s');
    s.at(5);
    s.fin('c');
    s.at(0.1); // under the 0.4 ms iRTT, the out-of-order threshold
    s.raw('c', { seq: (s.c.next - 1) >>> 0, flags: 0x11 });
    s.at(1);
    s.ackBy('s');
    return s;
  },
  finResentAckingUnseen(): TcpScript {
    // The server's FIN is resent with an ACK beyond the client data seen (8 bytes never reached the capture, as when
    // a frame is shorter than its IP length): ACKed unseen segment, and the "reported" marker left in the client's
    // dup-ACK counter makes the resend a fast retransmission, as in tshark 4.0.17 (zeek-tcp-reassembly frames 8–12).
    const s = new TcpScript().handshake();
    s.at(1);
    s.send('c', KB(100));
    s.at(0.1);
    s.ackBy('s');
    s.at(0.1);
    const fin = s.fin('s');
    s.at(0.1);
    s.send('c', KB(100));
    s.c.next = (s.c.next + 8) >>> 0;
    s.at(0.1);
    s.s.acked = s.c.next;
    s.raw('s', { seq: fin.seq, flags: 0x11 });
    return s;
  },
  windowFull(): TcpScript {
    const s = new TcpScript().handshake();
    s.c.window = 300;
    s.at(1);
    s.ackBy('c');
    s.at(1);
    s.send('s', KB(100));
    s.send('s', KB(200)); // reaches the right edge of the client's 300-byte window
    s.at(1);
    s.ackBy('c');
    return s;
  },
  spurious(): TcpScript {
    const s = new TcpScript().handshake();
    s.at(1);
    const p = s.send('c', KB(100));
    s.at(1);
    s.ackBy('s');
    s.at(300);
    s.send('c', KB(100), { seq: p.seq }); // already acknowledged: spurious retransmission
    return s;
  },
  middleboxReset(): TcpScript {
    const s = new TcpScript().handshake();
    for (let i = 0; i < 5; i++) {
      s.at(4000);
      s.send('c', '{"keepalive":"true"}');
      s.at(1);
      s.send('s', '{"keepalive":"true"}');
      s.at(1);
      s.ackBy('c');
      s.ackBy('s');
    }
    s.at(2000);
    s.rst('s', { ttl: 250, ipId: 0 }); // a different TTL than the server's 57: a device between us forged it
    return s;
  },
  finClose(): TcpScript {
    const s = new TcpScript().handshake({ wscaleC: 7, wscaleS: 9 });
    s.at(1);
    s.send('c', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    s.at(1);
    s.send('s', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    s.at(1);
    s.ackBy('c');
    s.at(1);
    s.fin('s');
    s.at(1);
    s.fin('c');
    s.at(1);
    s.ackBy('s');
    return s;
  },
};
