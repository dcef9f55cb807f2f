// TCP flows: symmetric flow keys, per-direction counters, handshake/close state (Zeek's conn_state and history
// vocabulary) and the Wireshark analysis flags of every segment. Sans-IO: decoded packets in, per-packet results
// out; the caller turns them into events. One FlowTable per capture.

import type { DecodedPacket } from '../packet.ts';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet.ts';
import { Ipv4FlowIndex, ipv4Number, isIpv4Text } from './flow-index.ts';
import {
  A_FAST_RETRANSMISSION,
  A_RETRANSMISSION,
  A_SPURIOUS_RETRANSMISSION,
  type AnalysisOut,
  analyzeSegment,
  type ConnTiming,
  newSeqState,
  noteWindowScale,
  type SeqState,
  scaledWindow,
} from './tcp-analysis.ts';

/** Index into Flow.dirs: 0 = client → server (c2s), 1 = server → client (s2c). */
export type DirIndex = 0 | 1;

export interface DirStats {
  ip: string;
  port: number;
  packets: number;
  /** IP-level bytes are not known for truncated captures; these are TCP payload bytes as on the wire. */
  payloadBytes: number;
  /** Frame bytes (origLen). */
  frameBytes: number;
  dataSegments: number;
  synSeen: boolean;
  finSeen: boolean;
  rstSeen: boolean;
  /** Typical TTL of this sender: the most frequent TTL among its non-RST packets (bounded histogram). */
  ttlCounts: Map<number, number>;
  lastIpId: number;
  lastIpIdSet: boolean;
  /** Analysis state (Wireshark). */
  seq: SeqState;
  /** Highest relative ACK this side sent (acknowledging the other direction), -1 = none yet. */
  maxRelAck: number;
  /** Count of each analysis flag in this direction. */
  flagCounts: Map<number, number>;
}

export interface Flow {
  /** Sequence number of the flow in the capture (0-based, like tcp.stream). */
  id: number;
  /** Canonical key `client:port-server:port` (IPv6 in brackets). */
  key: string;
  dirs: [DirStats, DirStats];
  /** How the client side was decided: 'syn' | 'port' | 'http' (after a swap). */
  clientBy: 'syn' | 'syn-ack' | 'port' | 'http';
  firstTs: number;
  lastTs: number;
  firstFrame: number;
  lastFrame: number;
  firstOffset: number;
  timing: ConnTiming;
  /** Zeek-style history letters, in order (uppercase = client). */
  history: string;
  /** Letters already in `history`: bit (letter index + 16 × dir), see HIST_LETTERS. */
  historyMask: number;
  /** The handshake completed (SYN, SYN-ACK seen). */
  established: boolean;
  /** Who sent the first FIN / RST (dir index), -1 = none. */
  firstFinBy: number;
  firstRstBy: number;
  /** The flow ended (RST seen, or FIN both ways); a new SYN on the same ports then starts a new flow. */
  closed: boolean;
  /** Free slot for the application layer (capture-events keeps its stream decoders here). */
  app: unknown;
}

export interface SegmentResult {
  flow: Flow;
  dir: DirIndex;
  /** This packet created the flow. */
  isNew: boolean;
  analysis: AnalysisOut;
  /** Relative seq (0 = ISN+1) of the first payload byte. */
  relSeq: number;
  /** Relative ACK (acknowledging the other direction) if the ACK flag is set, else -1. */
  relAck: number;
  /** The ACK moved forward (relAck > previous maximum). */
  ackAdvanced: boolean;
  /** For RST/FIN: the typical TTL of this sender before this packet (0 = unknown) and whether IP-ID jumped. */
  expectedTtl: number;
  ipIdJump: boolean;
}

function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function flowKey(clientIp: string, clientPort: number, serverIp: string, serverPort: number): string {
  return `${endpoint(clientIp, clientPort)}-${endpoint(serverIp, serverPort)}`;
}

function newDir(ip: string, port: number): DirStats {
  return {
    ip,
    port,
    packets: 0,
    payloadBytes: 0,
    frameBytes: 0,
    dataSegments: 0,
    synSeen: false,
    finSeen: false,
    rstSeen: false,
    ttlCounts: new Map(),
    lastIpId: 0,
    lastIpIdSet: false,
    seq: newSeqState(),
    maxRelAck: -1,
    flagCounts: new Map(),
  };
}

/** The most frequent TTL in the histogram (ties → the larger, i.e. the nearer-to-origin value). */
export function typicalTtl(d: DirStats): number {
  let best = 0;
  let bestN = 0;
  for (const [ttl, n] of d.ttlCounts) {
    if (n > bestN || (n === bestN && ttl > best)) {
      best = ttl;
      bestN = n;
    }
  }
  return best;
}

/** Zeek's conn_state for a flow (see docs/capture.md). */
export function connState(f: Flow): string {
  const c = f.dirs[0];
  const s = f.dirs[1];
  const cSyn = (f.historyMask & histBit(0, 's')) !== 0;
  const sSynAck = (f.historyMask & histBit(1, 'h')) !== 0;
  if (!cSyn && !sSynAck) return 'OTH';
  if (cSyn && !sSynAck) {
    if (s.rstSeen) return 'REJ';
    if (c.rstSeen) return 'RSTOS0';
    if (c.finSeen) return 'SH';
    return 'S0';
  }
  if (!cSyn && sSynAck) {
    if (s.rstSeen) return 'RSTRH';
    if (s.finSeen) return 'SHR';
    return 'OTH';
  }
  if (f.firstRstBy === 0) return 'RSTO';
  if (f.firstRstBy === 1) return 'RSTR';
  if (c.finSeen && s.finSeen) return 'SF';
  if (c.finSeen) return 'S2';
  if (s.finSeen) return 'S3';
  return 'S1';
}

const EPHEMERAL_MIN = 1024;
const HIST_LETTERS = 'shadfrtw';
const histBit = (dir: DirIndex, letter: string): number => 1 << (HIST_LETTERS.indexOf(letter) + 16 * dir);
const A_RETRANSMISSION_ANY = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION;

export class FlowTable {
  /** Directional lookup src → dst → (sport·65536 + dport) → flow; both directions point at the same flow.
   *  IPv4 (nearly every packet) goes through one numeric open-addressing table; IPv6 through nested maps on the
   *  decoder's interned address strings. Neither builds a key string per packet. */
  private readonly v4 = new Ipv4FlowIndex<Flow>();
  private readonly byAddr = new Map<string, Map<string, Map<number, Flow>>>();

  // One-entry cache: consecutive packets often belong to the same flow and direction.
  private lastSrc = '';
  private lastDst = '';
  private lastPorts = -1;
  private lastFlow: Flow | undefined = undefined;

  private lookup(pkt: DecodedPacket, ports: number): Flow | undefined {
    const src = pkt.srcIp;
    const dst = pkt.dstIp;
    if (ports === this.lastPorts && src === this.lastSrc && dst === this.lastDst) return this.lastFlow;
    let f: Flow | undefined;
    if (pkt.srcIp4Of === src && pkt.dstIp4Of === dst) {
      // Decoded IPv4: the decoder's numbers (same bits as ipv4Number of the text).
      f = this.v4.get(pkt.srcIp4 as number, pkt.dstIp4 as number, ports | 0);
    } else if (isIpv4Text(src)) f = this.v4.get(ipv4Number(src), ipv4Number(dst), ports | 0);
    else f = this.byAddr.get(src)?.get(dst)?.get(ports);
    this.lastSrc = src;
    this.lastDst = dst;
    this.lastPorts = ports;
    this.lastFlow = f;
    return f;
  }

  private index(src: string, dst: string, ports: number, flow: Flow): void {
    this.lastPorts = -1;
    if (isIpv4Text(src)) {
      this.v4.set(ipv4Number(src), ipv4Number(dst), ports | 0, flow);
      return;
    }
    let a = this.byAddr.get(src);
    if (!a) this.byAddr.set(src, (a = new Map()));
    let b = a.get(dst);
    if (!b) a.set(dst, (b = new Map()));
    b.set(ports, flow);
  }
  /** Every flow in creation order (including closed ones whose ports were reused). */
  readonly flows: Flow[] = [];
  private readonly out: SegmentResult = {
    flow: undefined as unknown as Flow,
    dir: 0,
    isNew: false,
    analysis: { flags: 0, dupAckNum: 0, dupAckFrame: 0 },
    relSeq: 0,
    relAck: -1,
    ackAdvanced: false,
    expectedTtl: 0,
    ipIdJump: false,
  };

  private created = 0;

  /** Number of flows ever created (including expired ones). */
  get size(): number {
    return this.created;
  }

  /**
   * Drop flows that ended (FIN both ways or RST) and saw no packet for `graceMs` of capture time; `onExpire` sees
   * each one first. Keeps memory proportional to the *open* flows in long captures. A packet of an expired flow
   * arriving later starts a new (mid-stream) flow.
   */
  expire(now: number, graceMs: number, onExpire: (f: Flow) => void): number {
    let w = 0;
    let n = 0;
    const flows = this.flows;
    for (let i = 0; i < flows.length; i++) {
      const f = flows[i];
      if (f.closed && now - f.lastTs > graceMs) {
        this.unindex(f);
        onExpire(f);
        n++;
      } else flows[w++] = f;
    }
    flows.length = w;
    return n;
  }

  private unindex(f: Flow): void {
    const [c, s] = f.dirs;
    this.remove(c.ip, s.ip, c.port * 65536 + s.port, f);
    this.remove(s.ip, c.ip, s.port * 65536 + c.port, f);
  }

  private remove(src: string, dst: string, ports: number, f: Flow): void {
    this.lastPorts = -1;
    if (isIpv4Text(src)) {
      this.v4.deleteIf(ipv4Number(src), ipv4Number(dst), ports | 0, f);
      return;
    }
    const a = this.byAddr.get(src);
    const b = a?.get(dst);
    if (!a || !b || b.get(ports) !== f) return;
    b.delete(ports);
    if (b.size === 0) a.delete(dst);
    if (a.size === 0) this.byAddr.delete(src);
  }

  /**
   * Account one TCP packet (pkt.l4 === 6). The returned object is reused for the next call.
   */
  add(pkt: DecodedPacket): SegmentResult {
    const t = pkt.tcp;
    const rec = pkt.record;
    const flags = t.flags;
    const ports = pkt.srcPort * 65536 + pkt.dstPort;
    let flow = this.lookup(pkt, ports);
    let isNew = false;
    if (flow !== undefined && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      // A SYN with a different ISN than this side used so far: the ports were reused, a new connection starts
      // (Wireshark: a new tcp.stream). The same ISN again is a retransmitted SYN of the same connection.
      const d = flow.dirs[0].ip === pkt.srcIp && flow.dirs[0].port === pkt.srcPort ? flow.dirs[0] : flow.dirs[1];
      if (d.seq.baseSet && d.seq.baseSeq !== t.seq) flow = undefined;
    }
    if (flow === undefined) {
      flow = this.create(pkt);
      isNew = true;
    }
    const dirIdx: DirIndex = flow.dirs[0].ip === pkt.srcIp && flow.dirs[0].port === pkt.srcPort ? 0 : 1;
    const fwd = flow.dirs[dirIdx];
    const rev = flow.dirs[dirIdx ^ 1];
    const out = this.out;
    out.flow = flow;
    out.dir = dirIdx;
    out.isNew = isNew;

    const ts = rec.ts;
    flow.lastTs = ts;
    flow.lastFrame = rec.frame;
    fwd.packets++;
    fwd.frameBytes += rec.origLen;
    const seglen = pkt.payloadLen;
    if (seglen > 0) {
      fwd.payloadBytes += seglen;
      fwd.dataSegments++;
    }

    // TTL / IP-ID: compare FIN/RST with the sender's earlier packets before counting this one.
    out.expectedTtl = 0;
    out.ipIdJump = false;
    if (flags & (TCP_RST | TCP_FIN)) {
      out.expectedTtl = typicalTtl(fwd);
      if (pkt.l3 === 4 && fwd.lastIpIdSet && pkt.ipId !== 0) {
        const delta = (pkt.ipId - fwd.lastIpId) & 0xffff;
        out.ipIdJump = delta > 1024 && delta < 0xfc00;
      }
    }
    if ((flags & TCP_RST) === 0 && (fwd.packets <= 64 || (fwd.packets & 63) === 0 || flags & TCP_FIN)) {
      // Bounded histogram, sampled (first 64 packets, then every 64th): at most 16 distinct TTLs per sender.
      const n = fwd.ttlCounts.get(pkt.ttl);
      if (n !== undefined) fwd.ttlCounts.set(pkt.ttl, n + 1);
      else if (fwd.ttlCounts.size < 16) fwd.ttlCounts.set(pkt.ttl, 1);
    }
    if (pkt.l3 === 4) {
      fwd.lastIpId = pkt.ipId;
      fwd.lastIpIdSet = true;
    }

    // Handshake timing for Wireshark's out-of-order threshold (iRTT).
    if (flags & TCP_SYN && (flags & TCP_ACK) === 0) flow.timing.mruSyn = ts;
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_ACK && flow.timing.mruSyn !== 0 && flow.timing.firstRtt === 0) {
      flow.timing.firstRtt = ts - flow.timing.mruSyn;
    }

    noteWindowScale(fwd.seq, rev.seq, flags, t.wscale);
    const window = scaledWindow(fwd.seq, flags, t.window);
    analyzeSegment(fwd.seq, rev.seq, flow.timing, t.seq, t.ack, seglen, flags, window, ts, rec.frame, out.analysis);
    const af = out.analysis.flags;
    if (af !== 0) {
      for (let bit = 1; bit <= af; bit <<= 1) {
        if (af & bit) fwd.flagCounts.set(bit, (fwd.flagCounts.get(bit) ?? 0) + 1);
      }
    }

    out.relSeq = (t.seq - fwd.seq.baseSeq - 1) >>> 0;
    out.ackAdvanced = false;
    out.relAck = -1;
    if (flags & TCP_ACK && rev.seq.baseSet) {
      const rel = (t.ack - rev.seq.baseSeq - 1) >>> 0;
      // Treat values in the top half of the space as "before the base" (e.g. ACK of the SYN = -1 → not data).
      out.relAck = rel > 0x7fffffff ? -1 : rel;
      if (out.relAck > fwd.maxRelAck) {
        fwd.maxRelAck = out.relAck;
        out.ackAdvanced = true;
      }
    }

    // State and Zeek history.
    if (flags & TCP_SYN) {
      fwd.synSeen = true;
      if (flags & TCP_ACK) {
        this.hist(flow, dirIdx, 'h');
        if (flow.dirs[dirIdx ^ 1].synSeen) flow.established = true;
      } else this.hist(flow, dirIdx, 's');
    } else if (flags & TCP_ACK && seglen === 0 && (flags & (TCP_FIN | TCP_RST)) === 0) {
      this.hist(flow, dirIdx, 'a');
    }
    if (seglen > 0) this.hist(flow, dirIdx, 'd');
    if (af & A_RETRANSMISSION_ANY) this.hist(flow, dirIdx, 't');
    if (t.window === 0 && (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0) this.hist(flow, dirIdx, 'w');
    if (flags & TCP_FIN) {
      if (!fwd.finSeen && flow.firstFinBy < 0) flow.firstFinBy = dirIdx;
      fwd.finSeen = true;
      this.hist(flow, dirIdx, 'f');
      if (rev.finSeen) flow.closed = true;
    }
    if (flags & TCP_RST) {
      if (flow.firstRstBy < 0) flow.firstRstBy = dirIdx;
      fwd.rstSeen = true;
      flow.closed = true;
      this.hist(flow, dirIdx, 'r');
    }
    return out;
  }

  /** Make `dir` the client (used when an HTTP request shows the flow's orientation was guessed wrong). */
  swap(flow: Flow, clientBy: Flow['clientBy']): void {
    flow.dirs = [flow.dirs[1], flow.dirs[0]];
    flow.clientBy = clientBy;
    flow.key = flowKey(flow.dirs[0].ip, flow.dirs[0].port, flow.dirs[1].ip, flow.dirs[1].port);
    if (flow.firstFinBy >= 0) flow.firstFinBy ^= 1;
    if (flow.firstRstBy >= 0) flow.firstRstBy ^= 1;
    let h = '';
    for (const ch of flow.history) h += ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
    flow.history = `${h}^`;
    flow.historyMask = ((flow.historyMask & 0xffff) << 16) | (flow.historyMask >>> 16);
  }

  private hist(flow: Flow, dir: DirIndex, letter: string): void {
    const bit = histBit(dir, letter);
    if (flow.historyMask & bit) return;
    flow.historyMask |= bit;
    flow.history += dir === 0 ? letter.toUpperCase() : letter;
  }

  private create(pkt: DecodedPacket): Flow {
    const flags = pkt.tcp.flags;
    let clientIsSrc: boolean;
    let clientBy: Flow['clientBy'];
    if ((flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
      clientIsSrc = true;
      clientBy = 'syn';
    } else if ((flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK)) {
      clientIsSrc = false;
      clientBy = 'syn-ack';
    } else {
      // Mid-stream: the ephemeral (higher, ≥ 1024) port is the client's.
      const s = pkt.srcPort;
      const d = pkt.dstPort;
      clientIsSrc = s === d ? pkt.srcIp > pkt.dstIp : s >= EPHEMERAL_MIN && d < EPHEMERAL_MIN ? true : s > d;
      if (d >= EPHEMERAL_MIN && s < EPHEMERAL_MIN) clientIsSrc = false;
      clientBy = 'port';
    }
    const src = newDir(pkt.srcIp, pkt.srcPort);
    const dst = newDir(pkt.dstIp, pkt.dstPort);
    const dirs: [DirStats, DirStats] = clientIsSrc ? [src, dst] : [dst, src];
    const rec = pkt.record;
    const flow: Flow = {
      id: this.created++,
      key: flowKey(dirs[0].ip, dirs[0].port, dirs[1].ip, dirs[1].port),
      dirs,
      clientBy,
      firstTs: rec.ts,
      lastTs: rec.ts,
      firstFrame: rec.frame,
      lastFrame: rec.frame,
      firstOffset: rec.offset,
      timing: { mruSyn: 0, firstRtt: 0 },
      history: '',
      historyMask: 0,
      established: false,
      firstFinBy: -1,
      firstRstBy: -1,
      closed: false,
      app: undefined,
    };
    this.flows.push(flow);
    this.index(pkt.srcIp, pkt.dstIp, pkt.srcPort * 65536 + pkt.dstPort, flow);
    this.index(pkt.dstIp, pkt.srcIp, pkt.dstPort * 65536 + pkt.srcPort, flow);
    return flow;
  }
}
