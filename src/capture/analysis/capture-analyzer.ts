// Decoded packets → flows, stream decoding and timeline events, for one capture. Describes, never judges
// (a RST's TTL is compared with the sender's usual TTL and reported; deciding what that means is diagnose's job).
// Memory is bounded for big captures: packet-level events (tcp-data, tcp-ack, tcp-anomaly, tls-record) are only
// produced for *interesting* flows (WebSocket, TLS, or a web server port); every flow is summarised in meta.

import type { DnsAnswerEvent, Problem, TimelineEvent } from '../../events/types.ts';
import { classifyMessage } from '../../protocol/classify.ts';
import type { DecodedPacket } from '../packet.ts';
import { TCP_FIN, TCP_RST, TCP_SYN } from '../packet.ts';
import { AppStream, type Side, type TlsRecordHook } from './app-stream.ts';
import { FLAG_NAMES } from './tcp-analysis.ts';
import { connState, type Flow, FlowTable } from './tcp-flow.ts';
import { TcpReassembler } from './tcp-reassembly.ts';
import { decodeText } from './ws-stream.ts';

/** Server ports whose flows get packet-level events even before their content is recognised. */
export const INTERESTING_PORTS = new Set([80, 443, 8080, 8443]);

export interface DnsAnswer {
  name: string;
  addresses: string[];
  cnames?: string[];
  rcode?: number;
}

export interface AnalyzerOptions {
  /** File name stamped on events and problems. */
  source: string;
  /** Per-connection TLS decryption (returns null when no keys). */
  tlsHook?: (flow: Flow) => TlsRecordHook | null;
  /** DNS response decoder for UDP port 53 payloads (null = not a response / undecodable). */
  dns?: (payload: Uint8Array) => DnsAnswer[] | null;
  /** Hard cap on events kept (default 2 000 000); beyond it events are counted, not kept. */
  maxEvents?: number;
  /** Packet-level events for every flow, not only interesting ones (small captures, tests). */
  allFlows?: boolean;
  /** Every WebSocket frame as parsed (flow key, direction, opcode, wire payload length, frame number). */
  onWsFrame?: (conn: string, dir: 'c2s' | 's2c', opcode: number, length: number, frame: number) => void;
}

interface FlowApp {
  interesting: boolean;
  /** 1 after the sides were swapped (an HTTP request came from the side first taken for the server). */
  flip: 0 | 1;
  /** Index in `events` of this flow's first event (for relabelling after a swap); -1 = none yet. */
  firstEvent: number;
  app?: AppStream;
  reasm?: [TcpReassembler | undefined, TcpReassembler | undefined];
  /** Decoding given up (not HTTP/TLS/WebSocket): no more reassembly. */
  off: boolean;
  closeEmitted: boolean;
  wsOpen: boolean;
  wsHost?: string;
  wsPath?: string;
  wsSecure: boolean;
  wsMidStream: boolean;
  wsDeflate: boolean;
  wsMessages: [number, number];
  wsByClass: Record<string, number>;
  wsLastMessageTs: [number, number];
  wsClose?: { by: string; code?: number; reason?: string; ts: number };
  firstClose?: { how: string; by: string; ts: number; ttl?: number; expectedTtl?: number };
  gaps: number;
  gapBytes: number;
  httpStatus?: number;
  /** Packets that produced tcp-data/tcp-ack events so far. */
  segEvents: number;
}

export interface FlowSummary {
  key: string;
  client: string;
  server: string;
  state: string;
  history: string;
  clientBy: string;
  firstTs: number;
  lastTs: number;
  packets: [number, number];
  payloadBytes: [number, number];
  app: string;
  interesting: boolean;
  sni?: string;
  close?: { how: string; by: string; ts: number; ttl?: number; expectedTtl?: number };
  anomalies: Record<string, number>;
  gaps: number;
}

export interface WsFlowSummary {
  key: string;
  host?: string;
  path?: string;
  secure: boolean;
  midStream: boolean;
  deflate: boolean;
  messages: { c2s: number; s2c: number };
  byClass: Record<string, number>;
  close?: { by: string; code?: number; reason?: string; ts: number };
  /** Rhythm of small messages (plain ws) or small TLS records (wss), same measure as for TLS flows. */
  rhythm?: ReturnType<AppStream['rhythm']['result']>;
}

export interface TlsFlowSummary {
  key: string;
  sni?: string;
  records: number;
  appRecords: number;
  decryptedRecords: number;
  rhythm: ReturnType<AppStream['rhythm']['result']>;
}

const DIRS = ['c2s', 's2c'] as const;
/** Closed flows are folded into summaries after this much capture time without packets. */
const EXPIRE_CLOSED_MS = 10_000;
const MAX_INTERESTING = 500;
/**
 * tcp-data/tcp-ack events kept per flow unless it is a WebSocket: a Notifs socket sends ~1 segment per 2 s each way
 * (hours fit), a bulk download on 443 would otherwise fill the event budget.
 */
const MAX_SEGMENT_EVENTS_PER_FLOW = 50_000;
const MAX_TLS = 1000;
const TOP_OTHERS = 20;

const flowBytes = (f: FlowSummary): number => f.payloadBytes[0] + f.payloadBytes[1];

export class CaptureAnalyzer {
  readonly events: TimelineEvent[] = [];
  readonly problems: Problem[] = [];
  readonly table = new FlowTable();
  packets = 0;
  bytes = 0;
  firstTs = Number.POSITIVE_INFINITY;
  lastTs = Number.NEGATIVE_INFINITY;
  nonIp = 0;
  udp = 0;
  otherL4 = 0;
  truncated = 0;
  decodeProblems: Record<string, number> = {};
  droppedEvents = 0;
  readonly anomalyCounts: Record<string, number> = {};
  readonly dnsNames = new Map<string, { addresses: Set<string>; firstTs: number; cnames: string[] }>();
  private curOffset = 0;
  /** Summaries of expired flows (bounded), and their state counts. */
  private readonly retiredState: Record<string, number> = {};
  private readonly retiredInteresting: FlowSummary[] = [];
  private retiredOthers: FlowSummary[] = [];
  private readonly retiredWs: WsFlowSummary[] = [];
  private readonly retiredTls: TlsFlowSummary[] = [];
  private retiredInterestingCount = 0;
  /** Wireshark's frame.number of the packet being added (events built as literals carry it from the start). */
  private curFrame = 0;
  private readonly maxEvents: number;
  private readonly problemCounts = new Map<string, number>();

  /** Events are kept (captureToEvents) — when false (inspect) no event object is even built. */
  private readonly keep: boolean;

  constructor(private readonly opts: AnalyzerOptions) {
    this.maxEvents = opts.maxEvents ?? 2_000_000;
    this.keep = this.maxEvents > 0;
  }

  add(pkt: DecodedPacket): void {
    const rec = pkt.record;
    this.packets++;
    this.bytes += rec.origLen;
    const ts = rec.ts;
    if (ts < this.firstTs) this.firstTs = ts;
    if (ts > this.lastTs) this.lastTs = ts;
    this.curOffset = rec.offset;
    this.curFrame = rec.frame;
    if (pkt.truncated) this.truncated++;
    if (pkt.problem !== '') this.decodeProblems[pkt.problem] = (this.decodeProblems[pkt.problem] ?? 0) + 1;
    if (pkt.l3 === 0) {
      this.nonIp++;
      return;
    }
    if ((this.packets & 0xffff) === 0) this.table.expire(ts, EXPIRE_CLOSED_MS, (f) => this.retire(f));
    if (pkt.l4 === 6) this.tcp(pkt);
    else if (pkt.l4 === 17) {
      this.udp++;
      if ((pkt.srcPort === 53 || pkt.srcPort === 5353) && this.opts.dns) this.dns(pkt);
    } else this.otherL4++;
  }

  private push(e: TimelineEvent): void {
    if (this.maxEvents === 0) return; // summaries only (inspect)
    if (this.events.length >= this.maxEvents) {
      if (this.droppedEvents++ === 0) {
        this.problem('CAPTURE_EVENTS_CAPPED', `more than ${this.maxEvents} events: later events are counted only`);
      }
      return;
    }
    this.events.push(e);
  }

  /** Record a problem; after 20 of the same code only the count grows (meta.problemCounts). */
  problem(code: string, message: string, severity: 'error' | 'warning' = 'warning'): void {
    const n = (this.problemCounts.get(code) ?? 0) + 1;
    this.problemCounts.set(code, n);
    if (n > 20) return;
    this.problems.push({ code, message, file: this.opts.source, offset: this.curOffset, severity });
  }

  private dns(pkt: DecodedPacket): void {
    let answers: DnsAnswer[] | null = null;
    try {
      answers = this.opts.dns?.(pkt.payload) ?? null;
    } catch {
      answers = null;
    }
    if (!answers) return;
    for (const a of answers) {
      const e: DnsAnswerEvent = {
        kind: 'dns-answer',
        ts: pkt.record.ts,
        source: this.opts.source,
        sourceKind: 'capture',
        offset: pkt.record.offset,
        name: a.name,
        addresses: a.addresses,
      };
      if (a.cnames?.length) e.cnames = a.cnames;
      if (a.rcode !== undefined) e.rcode = a.rcode;
      this.push(e);
      let n = this.dnsNames.get(a.name.toLowerCase());
      if (!n) {
        n = { addresses: new Set(), firstTs: pkt.record.ts, cnames: a.cnames ?? [] };
        this.dnsNames.set(a.name.toLowerCase(), n);
      }
      for (const ad of a.addresses) n.addresses.add(ad);
    }
  }

  private fa(flow: Flow): FlowApp {
    let a = flow.app as FlowApp | undefined;
    if (a === undefined) {
      a = {
        interesting: this.opts.allFlows === true || INTERESTING_PORTS.has(flow.dirs[1].port),
        flip: 0,
        firstEvent: -1,
        off: false,
        closeEmitted: false,
        wsOpen: false,
        wsSecure: false,
        wsMidStream: false,
        wsDeflate: false,
        wsMessages: [0, 0],
        wsByClass: {},
        wsLastMessageTs: [0, 0],
        gaps: 0,
        gapBytes: 0,
        segEvents: 0,
      };
      flow.app = a;
    }
    return a;
  }

  /** Where this flow's events begin (a later swap of its sides relabels them from there). */
  private noteFirstEvent(flow: Flow): void {
    const a = flow.app as FlowApp | undefined;
    if (a && a.firstEvent < 0) a.firstEvent = this.events.length;
  }

  private base(
    flow: Flow,
    ts: number,
    dir?: Side,
  ): { ts: number; source: string; sourceKind: 'capture'; conn: string; offset: number; dir?: 'c2s' | 's2c' } {
    this.noteFirstEvent(flow);
    const b: { ts: number; source: string; sourceKind: 'capture'; conn: string; offset: number; dir?: 'c2s' | 's2c' } =
      {
        ts,
        source: this.opts.source,
        sourceKind: 'capture',
        conn: flow.key,
        offset: this.curOffset,
      };
    if (dir !== undefined) b.dir = DIRS[dir];
    return b;
  }

  private tcp(pkt: DecodedPacket): void {
    const r = this.table.add(pkt);
    const flow = r.flow;
    const a = this.fa(flow);
    const dir = r.dir;
    const ts = pkt.record.ts;
    const flags = pkt.tcp.flags;
    const af = r.analysis.flags;
    const emit = a.interesting && this.keep;
    if (af !== 0) {
      for (const [bit, name] of FLAG_NAMES) {
        if (af & bit) {
          this.anomalyCounts[name] = (this.anomalyCounts[name] ?? 0) + 1;
          if (emit) {
            this.push({
              ...this.base(flow, ts, dir),
              kind: 'tcp-anomaly',
              dir: DIRS[dir],
              flag: name as 'retransmission',
              seq: r.relSeq,
            });
          }
        }
      }
    }
    if (r.isNew || (flags & TCP_SYN && (flags & 0x10) === 0 && flow.dirs[0].packets === 1)) {
      if (flags & TCP_SYN && emit) {
        this.push({
          ...this.base(flow, ts),
          kind: 'conn-open',
          layer: 'tcp',
          ip: flow.dirs[1].ip,
          port: flow.dirs[1].port,
        });
      }
    }
    if (emit && (a.segEvents < MAX_SEGMENT_EVENTS_PER_FLOW || a.wsOpen)) {
      if (pkt.payloadLen > 0 || (r.ackAdvanced && r.relAck > 0)) {
        if (++a.segEvents === MAX_SEGMENT_EVENTS_PER_FLOW && !a.wsOpen) {
          this.problem(
            'CAPTURE_FLOW_EVENTS_CAPPED',
            `${flow.key}: over ${MAX_SEGMENT_EVENTS_PER_FLOW} segments (bulk transfer, not WebSocket): later tcp-data/tcp-ack events of this flow are not kept`,
          );
        }
      }
      // The two per-packet events are built as literals (same fields, same order as base()): a spread copy is a
      // dictionary-mode object in V8, ~3.5× the memory, and captures hold millions of these.
      if (pkt.payloadLen > 0) {
        this.noteFirstEvent(flow);
        this.push({
          ts,
          source: this.opts.source,
          sourceKind: 'capture',
          conn: flow.key,
          offset: this.curOffset,
          frame: this.curFrame,
          dir: DIRS[dir],
          kind: 'tcp-data',
          seq: r.relSeq,
          len: pkt.payloadLen,
        });
      }
      if (r.ackAdvanced && r.relAck > 0) {
        this.noteFirstEvent(flow);
        this.push({
          ts,
          source: this.opts.source,
          sourceKind: 'capture',
          conn: flow.key,
          offset: this.curOffset,
          frame: this.curFrame,
          dir: DIRS[dir],
          kind: 'tcp-ack',
          ack: r.relAck,
        });
      }
    }
    // Stream decoding.
    if (!a.off && pkt.payload.length > 0) this.stream(flow, a, dir, pkt, ts);
    if (flags & (TCP_FIN | TCP_RST) && !a.closeEmitted) {
      a.closeEmitted = true;
      const how = flags & TCP_RST ? 'rst' : 'fin';
      let by = dir === 0 ? 'desktop' : 'server';
      const ttlDiffers = r.expectedTtl > 0 && pkt.ttl !== r.expectedTtl;
      if (how === 'rst' && (ttlDiffers || r.ipIdJump)) by = 'middlebox';
      a.firstClose = { how, by, ts };
      if (how === 'rst') {
        a.firstClose.ttl = pkt.ttl;
        if (r.expectedTtl > 0) a.firstClose.expectedTtl = r.expectedTtl;
      }
      if (emit) {
        const e: TimelineEvent = {
          ...this.base(flow, ts, dir),
          kind: 'conn-close',
          how,
          by: by as 'desktop',
        };
        if (how === 'rst' || r.expectedTtl > 0) {
          e.ttl = pkt.ttl;
          if (r.expectedTtl > 0) e.expectedTtl = r.expectedTtl;
          if (r.ipIdJump) e.ipIdJump = true;
        }
        this.push(e);
      }
      // The stream ends here: give up on holes so everything held is decoded.
      if (a.reasm) a.reasm[dir]?.flush(ts);
    }
    if (flow.closed && a.app && !a.app.released) {
      // Both FINs or a RST: decode what is held, then free the decoders (big captures have many short flows).
      a.reasm?.[0]?.flush(ts);
      a.reasm?.[1]?.flush(ts);
      a.app.release();
      a.reasm = undefined;
      a.off = true;
    }
  }

  private stream(flow: Flow, a: FlowApp, dir: Side, pkt: DecodedPacket, ts: number): void {
    if (!a.app) {
      a.app = new AppStream(
        this.appSink(flow, a),
        flow.dirs[0].synSeen || flow.dirs[1].synSeen,
        this.opts.tlsHook ? () => this.opts.tlsHook?.(flow) ?? null : undefined,
      );
      a.reasm = [undefined, undefined];
    }
    const reasm = a.reasm as [TcpReassembler | undefined, TcpReassembler | undefined];
    let re = reasm[dir];
    if (!re) {
      const app = a.app;
      // The reassembler belongs to a physical side; after a swap that side's direction index flips.
      const side = (dir ^ a.flip) as Side;
      re = new TcpReassembler({
        data: (bytes, t) => app.data((side ^ a.flip) as Side, bytes, t),
        gap: (rel, missing) => {
          a.gaps++;
          a.gapBytes += missing;
          this.problem(
            'TCP_STREAM_GAP',
            `${flow.key} ${DIRS[dir]}: ${missing} bytes at relative seq ${rel} never captured; decoding resumes after them`,
          );
        },
      });
      const d = flow.dirs[dir];
      if (d.synSeen) re.start((d.seq.baseSeq + 1) >>> 0);
      reasm[dir] = re;
    }
    // Only the captured part of the payload can be decoded; a snaplen cut is a gap of its own.
    re.push(pkt.tcp.seq, pkt.payload, ts);
    if (pkt.payload.length < pkt.payloadLen) {
      this.problem('TCP_PAYLOAD_CUT', `${flow.key}: payload cut by the capture's snaplen`);
    }
    const kind = a.app.kind;
    if (kind === 'none') {
      a.off = true;
      a.reasm = undefined;
    } else if ((kind === 'ws' || kind === 'tls') && !a.interesting) {
      a.interesting = true;
    }
  }

  private appSink(flow: Flow, a: FlowApp) {
    return {
      wsOpen: (
        info: { host?: string; path?: string; deflate: boolean; secure: boolean; midStream: boolean },
        ts: number,
      ) => {
        a.wsOpen = true;
        a.interesting = true;
        a.wsHost = info.host;
        a.wsPath = info.path;
        a.wsSecure = info.secure;
        a.wsMidStream = info.midStream;
        a.wsDeflate = info.deflate;
        if (info.midStream) return;
        const url =
          info.host !== undefined ? `${info.secure ? 'wss' : 'ws'}://${info.host}${info.path ?? ''}` : undefined;
        const e: TimelineEvent = {
          ...this.base(flow, ts),
          kind: 'conn-open',
          layer: 'ws',
          ip: flow.dirs[1].ip,
          port: flow.dirs[1].port,
        };
        if (info.host !== undefined) e.host = info.host;
        if (url) e.url = url;
        this.push(e);
      },
      httpExchange: (_req: unknown, status: number | undefined) => {
        a.httpStatus = status;
      },
      wsMessage: (dir: Side, m: import('./ws-stream.ts').WsMessage, ts: number) => {
        a.wsMessages[dir]++;
        a.wsLastMessageTs[dir] = ts;
        let cls: import('../../events/types.ts').MessageClass = 'other';
        let text: string | undefined;
        let meaning: ReturnType<typeof classifyMessage> | undefined;
        if (m.opcode === 1) {
          text = decodeText(m.data);
          meaning = classifyMessage(text);
          cls = meaning.cls;
        }
        a.wsByClass[cls] = (a.wsByClass[cls] ?? 0) + 1;
        if (!a.wsSecure) a.app?.rhythm.add(dir, ts, m.wireLength);
        this.noteFirstEvent(flow);
        const e: import('../../events/types.ts').WsMessageEvent = {
          ts,
          source: this.opts.source,
          sourceKind: 'capture',
          conn: flow.key,
          offset: this.curOffset,
          frame: this.curFrame,
          dir: DIRS[dir],
          kind: 'ws-message',
          opcode: m.opcode,
          length: m.length,
          cls,
        };
        if (meaning?.type !== undefined) e.type = meaning.type;
        if (meaning?.epoch !== undefined) e.epoch = meaning.epoch;
        if (meaning?.seq !== undefined) e.seq = meaning.seq;
        if (text !== undefined) e.text = text.length > 512 ? text.slice(0, 512) : text;
        this.push(e);
      },
      wsControl: (dir: Side, c: import('./ws-stream.ts').WsControl, ts: number) => {
        const e: import('../../events/types.ts').WsControlEvent = {
          ...this.base(flow, ts, dir),
          kind: 'ws-control',
          dir: DIRS[dir],
          op: c.op,
        };
        if (c.code !== undefined) e.code = c.code;
        if (c.reason) e.reason = c.reason;
        this.push(e);
        if (c.op === 'close' && !a.wsClose) {
          const by = dir === 0 ? 'desktop' : 'server';
          a.wsClose = { by, code: c.code, reason: c.reason, ts };
          const ce: TimelineEvent = { ...this.base(flow, ts, dir), kind: 'conn-close', how: 'ws-close', by };
          if (c.code !== undefined) ce.wsCode = c.code;
          if (c.reason) ce.reason = c.reason;
          this.push(ce);
        }
      },
      tlsRecord: (dir: Side, contentType: number, length: number, ts: number) => {
        if (!a.interesting || !this.keep) return;
        this.push({ ...this.base(flow, ts, dir), kind: 'tls-record', dir: DIRS[dir], contentType, length });
      },
      tlsHello: (sni: string | undefined, ts: number) => {
        a.interesting = true;
        const e: TimelineEvent = {
          ...this.base(flow, ts),
          kind: 'conn-open',
          layer: 'tls',
          ip: flow.dirs[1].ip,
          port: flow.dirs[1].port,
        };
        if (sni) e.host = sni;
        this.push(e);
      },
      problem: (code: string, message: string) => this.problem(code, `${flow.key}: ${message}`),
      requestFromServerSide: (): boolean => {
        if (flow.clientBy !== 'port') return false;
        const oldKey = flow.key;
        this.table.swap(flow, 'http');
        a.flip = (a.flip ^ 1) as 0 | 1;
        if (a.reasm) a.reasm = [a.reasm[1], a.reasm[0]];
        a.interesting = this.opts.allFlows === true || a.interesting || INTERESTING_PORTS.has(flow.dirs[1].port);
        // Relabel the events already emitted for this flow (only its first packets: sniffing happens at once).
        if (a.firstEvent >= 0) {
          for (let i = a.firstEvent; i < this.events.length; i++) {
            const e = this.events[i];
            if (e.conn !== oldKey) continue;
            e.conn = flow.key;
            if (e.dir) e.dir = e.dir === 'c2s' ? 's2c' : 'c2s';
          }
        }
        return true;
      },
      wsFrame: this.opts.onWsFrame
        ? (dir: Side, opcode: number, length: number) =>
            this.opts.onWsFrame?.(flow.key, DIRS[dir], opcode, length, this.curFrame)
        : undefined,
    };
  }

  /** An expired flow: keep only its summaries (bounded lists) and counts. */
  private retire(flow: Flow): void {
    const sum = this.flowSummary(flow);
    this.retiredState[sum.state] = (this.retiredState[sum.state] ?? 0) + 1;
    const a = flow.app as FlowApp | undefined;
    if (sum.interesting) {
      this.retiredInterestingCount++;
      if (this.retiredInteresting.length < MAX_INTERESTING) this.retiredInteresting.push(sum);
    } else {
      this.retiredOthers.push(sum);
      if (this.retiredOthers.length > TOP_OTHERS * 4) {
        this.retiredOthers = this.retiredOthers.sort((x, y) => flowBytes(y) - flowBytes(x)).slice(0, TOP_OTHERS);
      }
    }
    if (a?.wsOpen && this.retiredWs.length < MAX_INTERESTING) this.retiredWs.push(this.wsSummary(flow, a));
    if (a?.app?.kind === 'tls') {
      const t = this.tlsSummary(flow, a);
      if (this.retiredTls.length < MAX_TLS || t.rhythm.looksLikeKeepalive) this.retiredTls.push(t);
    }
    flow.app = undefined;
  }

  /** End of capture: flush held stream data (gaps given up) so the last messages are decoded. */
  finish(): void {
    for (const flow of this.table.flows) {
      const a = flow.app as FlowApp | undefined;
      if (!a?.reasm) continue;
      a.reasm[0]?.flush(this.lastTs);
      a.reasm[1]?.flush(this.lastTs);
    }
  }

  flowSummary(flow: Flow): FlowSummary {
    const a = this.fa(flow);
    const anomalies: Record<string, number> = {};
    for (const d of flow.dirs) {
      for (const [bit, n] of d.flagCounts) {
        const name = FLAG_NAMES.find(([b]) => b === bit)?.[1];
        if (name) anomalies[name] = (anomalies[name] ?? 0) + n;
      }
    }
    const s: FlowSummary = {
      key: flow.key,
      client: `${flow.dirs[0].ip}:${flow.dirs[0].port}`,
      server: `${flow.dirs[1].ip}:${flow.dirs[1].port}`,
      state: connState(flow),
      history: flow.history,
      clientBy: flow.clientBy,
      firstTs: flow.firstTs,
      lastTs: flow.lastTs,
      packets: [flow.dirs[0].packets, flow.dirs[1].packets],
      payloadBytes: [flow.dirs[0].payloadBytes, flow.dirs[1].payloadBytes],
      app: a.wsOpen ? (a.wsSecure ? 'wss' : 'ws') : (a.app?.kind ?? (a.off ? 'none' : 'unknown')),
      interesting: a.interesting,
      anomalies,
      gaps: a.gaps,
    };
    if (a.app?.sni) s.sni = a.app.sni;
    if (a.firstClose) s.close = a.firstClose;
    return s;
  }

  private wsSummary(flow: Flow, a: FlowApp): WsFlowSummary {
    const w: WsFlowSummary = {
      key: flow.key,
      secure: a.wsSecure,
      midStream: a.wsMidStream,
      deflate: a.wsDeflate,
      messages: { c2s: a.wsMessages[0], s2c: a.wsMessages[1] },
      byClass: a.wsByClass,
    };
    if (a.wsHost !== undefined) w.host = a.wsHost;
    if (a.wsPath !== undefined) w.path = a.wsPath;
    if (a.wsClose) w.close = a.wsClose;
    if (a.app && a.app.rhythm.samples > 0) w.rhythm = a.app.rhythm.result();
    return w;
  }

  private tlsSummary(flow: Flow, a: FlowApp): TlsFlowSummary {
    const app = a.app as AppStream;
    const t: TlsFlowSummary = {
      key: flow.key,
      records: app.tlsRecords,
      appRecords: app.tlsAppRecords,
      decryptedRecords: app.decryptedRecords,
      rhythm: app.rhythm.result(),
    };
    if (app.sni) t.sni = app.sni;
    return t;
  }

  wsFlows(): WsFlowSummary[] {
    const res = [...this.retiredWs];
    for (const flow of this.table.flows) {
      const a = flow.app as FlowApp | undefined;
      if (a?.wsOpen) res.push(this.wsSummary(flow, a));
    }
    return res;
  }

  tlsFlows(): TlsFlowSummary[] {
    const res = [...this.retiredTls];
    for (const flow of this.table.flows) {
      const a = flow.app as FlowApp | undefined;
      if (a?.app?.kind === 'tls') res.push(this.tlsSummary(flow, a));
    }
    return res;
  }

  /** Meta for EvidenceResult: summaries that stay small however big the capture is. */
  meta(extra: Record<string, unknown> = {}): Record<string, unknown> {
    const byState: Record<string, number> = { ...this.retiredState };
    const flows = this.table.flows;
    for (const f of flows) {
      const s = connState(f);
      byState[s] = (byState[s] ?? 0) + 1;
    }
    // Interesting flows (expired ones first, in capture order), plus the biggest others, capped.
    const interesting = [...this.retiredInteresting];
    let interestingCount = this.retiredInterestingCount;
    const others = [...this.retiredOthers];
    for (const f of flows) {
      if (this.fa(f).interesting) {
        interestingCount++;
        if (interesting.length < MAX_INTERESTING) interesting.push(this.flowSummary(f));
      } else others.push(this.flowSummary(f));
    }
    const topOthers = others.sort((x, y) => flowBytes(y) - flowBytes(x)).slice(0, TOP_OTHERS);
    const tls = this.tlsFlows();
    const problemCounts: Record<string, number> = {};
    for (const [k, v] of this.problemCounts) problemCounts[k] = v;
    const dnsNames = [...this.dnsNames].map(([name, v]) => ({
      name,
      addresses: [...v.addresses],
      firstTs: v.firstTs,
      ...(v.cnames.length ? { cnames: v.cnames } : {}),
    }));
    const blindTo: string[] = [];
    if (tls.some((t) => t.decryptedRecords === 0)) blindTo.push('tls-content');
    return {
      ...(this.packets > 0 ? { firstTs: this.firstTs, lastTs: this.lastTs } : {}),
      blindTo,
      packets: this.packets,
      bytes: this.bytes,
      nonIpPackets: this.nonIp,
      udpPackets: this.udp,
      truncatedPackets: this.truncated,
      decodeProblems: this.decodeProblems,
      flows: {
        total: this.table.size,
        byState,
        interesting: interestingCount,
        list: [...interesting, ...topOthers],
      },
      wsFlows: this.wsFlows(),
      tlsFlows: tls,
      dnsNames,
      anomalies: this.anomalyCounts,
      problemCounts,
      droppedEvents: this.droppedEvents,
      ...extra,
    };
  }
}
