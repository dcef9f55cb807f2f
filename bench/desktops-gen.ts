// Writes a real-shaped Notifs capture for the diagnose benchmark: many desktops (127.1.x.y) on plain ws:// to one
// server (127.0.0.1:80), {"keepalive":"true"} both ways every 4 s (each side its own phase and jitter), notifications
// of 0.3–3 KB JSON from the server (segmented at 1460 bytes), every data segment ACKed, and reconnects: connections
// live ~2 min on average and end by a close handshake + FIN, a bare FIN, or a RST (mix at close()); 15 % of attempts
// fail (SYN answered by RST, or the upgrade never answered). Deterministic (seeded); time-ordered.
// Usage: node --import tsx bench/desktops-gen.ts OUT.pcap SIZE_MIB [DESKTOPS=500]
import { ACK, FIN, lcg, PcapOut, PSH, RST, SYN } from './pcap-out.ts';

const out = process.argv[2];
const sizeMiB = Number(process.argv[3] ?? 1024);
const desktops = Number(process.argv[4] ?? 500);
if (!out || !Number.isFinite(sizeMiB) || sizeMiB <= 0 || !(desktops > 0)) {
  process.stderr.write('usage: desktops-gen.ts OUT.pcap SIZE_MIB [DESKTOPS]\n');
  process.exit(2);
}
const target = sizeMiB * 2 ** 20;
const rnd = lcg(16);
const pcap = new PcapOut(out);
const filler = Buffer.alloc(1460, 0x20);
const SERVER = (127 << 24) | 1;
const PORT = 80;
const KEEPALIVE_US = 4_000_000;
const MSS = 1460;

// ---------------------------------------------------------------- WebSocket frames
const upgrade = Buffer.from(
  'GET /v1/notification/subscription/bench HTTP/1.1\r\nHost: api.wxcc-us1.cisco.com\r\nUpgrade: websocket\r\n' +
    'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);
const switching = Buffer.from(
  'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
);
const MASK = [1, 2, 3, 4];
function frame(opcode: number, payload: Buffer, masked: boolean): Buffer {
  const n = payload.length;
  const head = n < 126 ? [0x80 | opcode, n] : [0x80 | opcode, 126, n >> 8, n & 0xff];
  if (masked) head[1] |= 0x80;
  const parts: Buffer[] = [Buffer.from(head)];
  if (masked) parts.push(Buffer.from(MASK), Buffer.from(payload.map((x, i) => x ^ MASK[i & 3])));
  else parts.push(payload);
  return Buffer.concat(parts);
}
const KA = Buffer.from('{"keepalive":"true"}');
const kaClient = frame(1, KA, true);
const kaServer = frame(1, KA, false);
const welcome = frame(1, Buffer.from('{"type":"Welcome","data":{"agentId":"bench","subscriptionId":"s-1"}}'), false);
const closeBody = (code: number) => Buffer.from([code >> 8, code & 0xff]);
const TYPES = ['AgentStateChange', 'AgentContactAssigned', 'AgentContactEnded', 'AgentOfferContact', 'RoutingUpdate'];
/** Notifications: a fixed pool of sizes 0.3–3 KB (building one per message would dominate the generator). */
const notifs: Buffer[] = [];
for (let i = 0; i < 64; i++) {
  const size = 300 + Math.floor(rnd() * 2700);
  const type = TYPES[i % TYPES.length];
  const head = `{"type":"${type}","data":{"interactionId":"${(i * 7919).toString(16)}","pad":"`;
  const body = head + 'x'.repeat(Math.max(0, size - head.length - 4)) + '"}}';
  notifs.push(frame(1, Buffer.from(body), false));
}

// ---------------------------------------------------------------- desktops
interface Desktop {
  ip: number;
  port: number;
  cseq: number;
  sseq: number;
  /** 'idle' waits to connect; 'up' carries messages; 'hung' sent the upgrade and never heard back. */
  state: 'idle' | 'up' | 'hung';
  nextC: number;
  nextS: number;
  nextN: number;
  closeAt: number;
  connectAt: number;
}

let now = 1_700_000_000_000_000;
/** Every packet goes out at or after the last one: the file stays time-ordered. */
function pkt(d: Desktop, c2s: boolean, flags: number, payload: Buffer | null, len = payload?.length ?? 0): void {
  now += 1 + Math.floor(rnd() * 40);
  if (c2s) pcap.packet(now, d.ip, SERVER, d.port, PORT, d.cseq, d.sseq, flags, payload, len, 64, filler);
  else pcap.packet(now, SERVER, d.ip, PORT, d.port, d.sseq, d.cseq, flags, payload, len, 64, filler);
}
/** One side sends `data` (segmented), the other ACKs each segment. */
function send(d: Desktop, c2s: boolean, data: Buffer): void {
  for (let o = 0; o < data.length; o += MSS) {
    const seg = data.subarray(o, Math.min(data.length, o + MSS));
    pkt(d, c2s, ACK | PSH, seg);
    if (c2s) d.cseq += seg.length;
    else d.sseq += seg.length;
    pkt(d, !c2s, ACK, null);
  }
}
function exp(meanUs: number): number {
  return Math.floor(-Math.log(1 - rnd()) * meanUs);
}

function connect(d: Desktop, t: number): void {
  d.port = 20000 + Math.floor(rnd() * 40000);
  d.cseq = Math.floor(rnd() * 2 ** 32);
  d.sseq = Math.floor(rnd() * 2 ** 32);
  pkt(d, true, SYN, null);
  const fail = rnd();
  if (fail < 0.08) {
    // Refused: the server (or a middlebox) answers the SYN with a RST.
    d.cseq++;
    pkt(d, false, RST | ACK, null);
    d.connectAt = t + 1_000_000 + exp(2_000_000);
    return;
  }
  d.cseq++;
  pkt(d, false, SYN | ACK, null);
  d.sseq++;
  pkt(d, true, ACK, null);
  send(d, true, upgrade);
  if (fail < 0.15) {
    // The upgrade is never answered: the desktop gives up after 10 s.
    d.state = 'hung';
    d.closeAt = t + 10_000_000;
    return;
  }
  send(d, false, switching);
  send(d, false, welcome);
  d.state = 'up';
  d.nextC = t + Math.floor(rnd() * KEEPALIVE_US);
  d.nextS = t + Math.floor(rnd() * KEEPALIVE_US);
  d.nextN = t + exp(4_000_000);
  d.closeAt = t + 5_000_000 + exp(120_000_000);
}

/**
 * Ends: 25 % RST from the server side, 40 % the desktop's close handshake (1000) then its FIN, 12 % the server's
 * close handshake (1000), 3 % the server closing for silence (4000), 20 % a bare desktop FIN (page gone).
 */
function close(d: Desktop, t: number): void {
  const how = d.state === 'hung' ? 0.9 : rnd();
  if (how < 0.25) {
    pkt(d, false, RST | ACK, null);
  } else {
    if (how < 0.65) {
      send(d, true, frame(8, closeBody(1000), true));
      send(d, false, frame(8, closeBody(1000), false));
    } else if (how < 0.77) {
      send(d, false, frame(8, closeBody(1000), false));
      send(d, true, frame(8, closeBody(1000), true));
    } else if (how < 0.8) {
      send(d, false, frame(8, closeBody(4000), false));
    }
    const desktopFirst = how < 0.65 || how >= 0.8;
    pkt(d, desktopFirst, FIN | ACK, null);
    if (desktopFirst) d.cseq++;
    else d.sseq++;
    pkt(d, !desktopFirst, FIN | ACK, null);
    if (desktopFirst) d.sseq++;
    else d.cseq++;
    pkt(d, desktopFirst, ACK, null);
  }
  d.state = 'idle';
  d.connectAt = t + 1_000_000 + exp(3_000_000);
}

// The next thing a desktop does, and when.
function nextAt(d: Desktop): number {
  if (d.state === 'idle') return d.connectAt;
  if (d.state === 'hung') return d.closeAt;
  return Math.min(d.nextC, d.nextS, d.nextN, d.closeAt);
}
function act(d: Desktop): void {
  const t = nextAt(d);
  if (t > now) now = t;
  if (d.state === 'idle') {
    connect(d, t);
    return;
  }
  if (t === d.closeAt) {
    close(d, t);
    return;
  }
  const jitter = () => Math.floor((rnd() - 0.5) * 100_000);
  if (t === d.nextC) {
    send(d, true, kaClient);
    d.nextC = t + KEEPALIVE_US + jitter();
  } else if (t === d.nextS) {
    send(d, false, kaServer);
    d.nextS = t + KEEPALIVE_US + jitter();
  } else {
    send(d, false, notifs[Math.floor(rnd() * notifs.length)]);
    d.nextN = t + exp(4_000_000);
  }
}

// A binary min-heap of desktops by their next action time.
const heap: { at: number; d: Desktop }[] = [];
function pushHeap(d: Desktop): void {
  const item = { at: nextAt(d), d };
  let i = heap.push(item) - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heap[p].at <= item.at) break;
    heap[i] = heap[p];
    i = p;
  }
  heap[i] = item;
}
function popHeap(): Desktop {
  const top = heap[0];
  const last = heap.pop()!;
  if (heap.length > 0) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const c = l + 1 < heap.length && heap[l + 1].at < heap[l].at ? l + 1 : l;
      if (heap[c].at >= last.at) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
  }
  return top.d;
}

const start = now;
for (let i = 0; i < desktops; i++) {
  const d: Desktop = {
    ip: (127 << 24) | (1 << 16) | (i + 1),
    port: 0,
    cseq: 0,
    sseq: 0,
    state: 'idle',
    nextC: 0,
    nextS: 0,
    nextN: 0,
    closeAt: 0,
    connectAt: start + Math.floor(rnd() * KEEPALIVE_US),
  };
  pushHeap(d);
}
let connections = 0;
while (pcap.size < target) {
  const d = popHeap();
  if (d.state === 'idle') connections++;
  act(d);
  pushHeap(d);
}
pcap.close();
process.stdout.write(
  `${out}: ${pcap.packets} packets, ${desktops} desktops, ${connections} connection attempts, ` +
    `${((now - start) / 1e6).toFixed(0)} s of capture, ${(pcap.written / 2 ** 20).toFixed(0)} MiB\n`,
);
