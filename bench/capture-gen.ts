// Writes a big synthetic pcap for the capture benchmark: many interleaved TCP flows (TLS-looking on 443, HTTP on
// 8080, opaque bytes elsewhere) with a sprinkle of retransmissions and dup ACKs, plus a few plain ws:// flows on port
// 80 carrying {"keepalive":"true"} both ways every 4 s of capture time. Deterministic (seeded).
// Usage: node --import tsx bench/capture-gen.ts OUT.pcap SIZE_MIB
import { ACK, FIN, lcg, PcapOut, PSH, SYN } from './pcap-out.ts';

const out = process.argv[2];
const sizeMiB = Number(process.argv[3] ?? 1100);
if (!out || !Number.isFinite(sizeMiB) || sizeMiB <= 0) {
  process.stderr.write('usage: capture-gen.ts OUT.pcap SIZE_MIB\n');
  process.exit(2);
}
const target = sizeMiB * 2 ** 20;

const rnd = lcg(42);
const pcap = new PcapOut(out);

let tsUs = 1_700_000_000_000_000;
const filler = Buffer.alloc(1460);
for (let i = 0; i < filler.length; i++) filler[i] = (i * 31 + 7) & 0xff;

/** Append one packet, then move the clock on by 20–80 µs. */
function packet(
  src: number,
  dst: number,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  payload: Buffer | null,
  payloadLen: number,
  ttl: number,
): void {
  pcap.packet(tsUs, src, dst, sport, dport, seq, ack, flags, payload, payloadLen, ttl, filler);
  tsUs += 20 + Math.floor(rnd() * 60);
}

interface Flow {
  c: number;
  s: number;
  cp: number;
  sp: number;
  cseq: number;
  sseq: number;
  left: number;
  kind: 'tls' | 'http' | 'opaque';
  started: boolean;
  last?: { seq: number; len: number };
}

let flowCount = 0;
function newFlow(): Flow {
  flowCount++;
  const r = rnd();
  const kind = r < 0.4 ? 'tls' : r < 0.6 ? 'http' : 'opaque';
  return {
    c: (10 << 24) | (Math.floor(rnd() * 65536) << 8) | (1 + Math.floor(rnd() * 250)),
    s: (203 << 24) | (0 << 16) | (113 << 8) | (1 + Math.floor(rnd() * 250)),
    cp: 20000 + Math.floor(rnd() * 40000),
    sp: kind === 'tls' ? 443 : kind === 'http' ? 8080 : 5000 + Math.floor(rnd() * 1000),
    cseq: Math.floor(rnd() * 2 ** 32),
    sseq: Math.floor(rnd() * 2 ** 32),
    left: 20 + Math.floor(rnd() * 80),
    kind,
    started: false,
  };
}

const tlsRecord = Buffer.alloc(1460);
tlsRecord[0] = 23;
tlsRecord[1] = 3;
tlsRecord[2] = 3;
tlsRecord.writeUInt16BE(1455, 3);
const clientHello = Buffer.alloc(200);
clientHello.set([22, 3, 1, 0, 195, 1, 0, 0, 191, 3, 3]);
const httpGet = Buffer.from('GET /download HTTP/1.1\r\nHost: files.example\r\n\r\n');

function step(f: Flow): boolean {
  if (!f.started) {
    f.started = true;
    packet(f.c, f.s, f.cp, f.sp, f.cseq, 0, SYN, null, 0, 64);
    packet(f.s, f.c, f.sp, f.cp, f.sseq, f.cseq + 1, SYN | ACK, null, 0, 57);
    f.cseq++;
    f.sseq++;
    packet(f.c, f.s, f.cp, f.sp, f.cseq, f.sseq, ACK, null, 0, 64);
    const first = f.kind === 'tls' ? clientHello : f.kind === 'http' ? httpGet : filler.subarray(0, 100);
    packet(f.c, f.s, f.cp, f.sp, f.cseq, f.sseq, ACK | PSH, first, first.length, 64);
    f.cseq += first.length;
    return true;
  }
  if (f.left-- <= 0) {
    packet(f.s, f.c, f.sp, f.cp, f.sseq, f.cseq, FIN | ACK, null, 0, 57);
    packet(f.c, f.s, f.cp, f.sp, f.cseq, f.sseq + 1, FIN | ACK, null, 0, 64);
    packet(f.s, f.c, f.sp, f.cp, f.sseq + 1, f.cseq + 1, ACK, null, 0, 57);
    return false;
  }
  const r = rnd();
  if (r < 0.005 && f.last) {
    // Retransmission of the previous server segment.
    packet(f.s, f.c, f.sp, f.cp, f.last.seq, f.cseq, ACK, f.kind === 'tls' ? tlsRecord : filler, f.last.len, 57);
    return true;
  }
  if (r < 0.008) {
    packet(f.c, f.s, f.cp, f.sp, f.cseq, f.sseq, ACK, null, 0, 64); // duplicate ACK
  }
  const len = 1460;
  packet(f.s, f.c, f.sp, f.cp, f.sseq, f.cseq, ACK, f.kind === 'tls' ? tlsRecord : filler, len, 57);
  f.last = { seq: f.sseq, len };
  f.sseq += len;
  if (rnd() < 0.5) packet(f.c, f.s, f.cp, f.sp, f.cseq, f.sseq, ACK, null, 0, 64);
  return true;
}

// A few ws:// flows on port 80 alive for the whole capture.
interface WsFlow {
  c: number;
  s: number;
  cp: number;
  cseq: number;
  sseq: number;
  nextKa: number;
}
const wsFlows: WsFlow[] = [];
const upgrade = Buffer.from(
  'GET /v1/notification/subscription/bench HTTP/1.1\r\nHost: api.wxcc-us1.cisco.com\r\nUpgrade: websocket\r\n' +
    'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);
const switching = Buffer.from(
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
);
const ka = Buffer.from('{"keepalive":"true"}');
const kaServer = Buffer.concat([Buffer.from([0x81, ka.length]), ka]);
const kaClient = Buffer.concat([
  Buffer.from([0x81, 0x80 | ka.length, 1, 2, 3, 4]),
  Buffer.from(ka.map((x, i) => x ^ [1, 2, 3, 4][i & 3])),
]);
for (let i = 0; i < 3; i++) {
  const w: WsFlow = {
    c: (10 << 24) | (9 << 16) | (i + 1),
    s: (203 << 24) | (113 << 8) | 200,
    cp: 40000 + i,
    cseq: 1000,
    sseq: 9000,
    nextKa: tsUs,
  };
  packet(w.c, w.s, w.cp, 80, w.cseq, 0, SYN, null, 0, 64);
  packet(w.s, w.c, 80, w.cp, w.sseq, w.cseq + 1, SYN | ACK, null, 0, 57);
  w.cseq++;
  w.sseq++;
  packet(w.c, w.s, w.cp, 80, w.cseq, w.sseq, ACK | PSH, upgrade, upgrade.length, 64);
  w.cseq += upgrade.length;
  packet(w.s, w.c, 80, w.cp, w.sseq, w.cseq, ACK | PSH, switching, switching.length, 57);
  w.sseq += switching.length;
  wsFlows.push(w);
}

const active: Flow[] = [];
for (let i = 0; i < 200; i++) active.push(newFlow());
while (pcap.size < target) {
  const i = Math.floor(rnd() * active.length);
  if (!step(active[i])) active[i] = newFlow();
  for (const w of wsFlows) {
    if (tsUs >= w.nextKa) {
      w.nextKa = tsUs + 4_000_000;
      packet(w.c, w.s, w.cp, 80, w.cseq, w.sseq, ACK | PSH, kaClient, kaClient.length, 64);
      w.cseq += kaClient.length;
      packet(w.s, w.c, 80, w.cp, w.sseq, w.cseq, ACK | PSH, kaServer, kaServer.length, 57);
      w.sseq += kaServer.length;
      packet(w.c, w.s, w.cp, 80, w.cseq, w.sseq, ACK, null, 0, 64);
    }
  }
}
pcap.close();
process.stdout.write(
  `${out}: ${pcap.packets} packets, ${flowCount + wsFlows.length} flows, ${(pcap.written / 2 ** 20).toFixed(0)} MiB\n`,
);
