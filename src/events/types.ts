// The one timeline every evidence reader feeds and the troubleshooter reads.
// Readers (captures, HAR, NetLog, error report, device logs) only *describe* what the evidence says;
// judgement lives in src/diagnose. Keep this file free of logic: it is the contract between the layers.

/** Which kind of evidence an event came from. */
export type SourceKind = 'capture' | 'har' | 'netlog' | 'report' | 'device-log';

/**
 * Direction, always from the desktop's side of the WebSocket:
 * `c2s` = desktop → Notifs (the TCP initiator → the listener), `s2c` = Notifs → desktop.
 * In a capture the client is the side that sent the SYN (or, if the handshake is missing, the side with the
 * ephemeral port / the side that sent the HTTP Upgrade request).
 */
export type Dir = 'c2s' | 's2c';

/** Application meaning of a WebSocket text message, as far as the reader can tell. */
export type MessageClass =
  | 'keepalive' // {"keepalive":"true"} (WxCC and Lifeline, both directions)
  | 'welcome' // {"type":"Welcome",...}
  | 'notification' // any other JSON with a "type" (WxCC events, Lifeline notifications)
  | 'resume' // Lifeline resume / resumed / ack control messages
  | 'multilogin' // WxCC multi-login notice: the desktop closes without reconnecting
  | 'other'; // not JSON or not recognised

interface Base {
  /** Wall-clock time in epoch milliseconds (fractional part keeps µs). In the *source's own* clock. */
  ts: number;
  /** The evidence file this came from (as given on the command line). */
  source: string;
  sourceKind: SourceKind;
  /**
   * Connection identity within the source: for captures the canonical flow key
   * `"<clientIp>:<clientPort>-<serverIp>:<serverPort>"` (IPv6 in brackets); for HAR the entry's connection id or
   * URL+start; for NetLog the source id; for error reports `"conn-<n>"` (n = connection attempt number).
   */
  conn?: string;
  dir?: Dir;
  /** Where in the file the fact is (byte offset for binary files, 1-based line for text), for the evidence list. */
  offset?: number;
  line?: number;
  /** Captures: the 1-based number of the packet that showed this fact (Wireshark's `frame.number`). */
  frame?: number;
}

// ---- connection life (all sources) ----
export interface ConnOpenEvent extends Base {
  kind: 'conn-open';
  /** Remote host name if known (Host header, HAR URL, NetLog), and address. */
  host?: string;
  ip?: string;
  port?: number;
  url?: string;
  /** 'tcp' = SYN/SYN-ACK seen; 'ws' = HTTP 101 seen; 'tls' = handshake seen. */
  layer: 'tcp' | 'tls' | 'ws';
}
export interface ConnCloseEvent extends Base {
  kind: 'conn-close';
  /** How it ended at the lowest layer seen. */
  how: 'fin' | 'rst' | 'ws-close' | 'error' | 'timeout' | 'unknown';
  /** Which side started it; for RST also whether it looks like it came from a middlebox. */
  by?: 'desktop' | 'server' | 'middlebox' | 'unknown';
  wsCode?: number;
  reason?: string;
  /** For RSTs in captures: TTL / hop limit of the RST vs the typical TTL of that sender's earlier packets. */
  ttl?: number;
  expectedTtl?: number;
  ipIdJump?: boolean;
}
export interface ConnFailEvent extends Base {
  kind: 'conn-fail';
  /** What failed while (re)connecting. */
  stage: 'dns' | 'tcp' | 'tls' | 'http' | 'ws' | 'unknown';
  error: string;
  host?: string;
}

// ---- messages (WebSocket level, plain or decrypted) ----
export interface WsMessageEvent extends Base {
  kind: 'ws-message';
  dir: Dir;
  /** 1 text, 2 binary (data frames after reassembly of fragments). */
  opcode: number;
  /** Payload length in bytes (after permessage-deflate inflation when known). */
  length: number;
  cls: MessageClass;
  /** Notification type field if any (e.g. "AgentStateChange"). */
  type?: string;
  /** Lifeline stream position if the message carries one. */
  epoch?: string;
  seq?: number;
  /** First bytes of the text, for the evidence list. Readers cap it at 512 chars; reports escape and redact it. */
  text?: string;
}
export interface WsControlEvent extends Base {
  kind: 'ws-control';
  dir: Dir;
  op: 'ping' | 'pong' | 'close';
  code?: number;
  reason?: string;
}
/** Encrypted traffic without keys: one TLS record. */
export interface TlsRecordEvent extends Base {
  kind: 'tls-record';
  dir: Dir;
  /** 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data. */
  contentType: number;
  length: number;
}

// ---- transport (captures, NetLog) ----
/** A TCP segment carrying payload (one per segment; pure ACKs are not events, they update `tcp-ack`). */
export interface TcpDataEvent extends Base {
  kind: 'tcp-data';
  dir: Dir;
  /** Relative sequence number (0 = ISN+1) of the first payload byte, and payload length. */
  seq: number;
  len: number;
}
/** The highest relative ACK a side has sent moved forward (acknowledging the *other* direction's bytes). */
export interface TcpAckEvent extends Base {
  kind: 'tcp-ack';
  dir: Dir;
  ack: number;
}
/** Wireshark-style analysis flag on a packet (see docs/capture.md for the exact definitions). */
export interface TcpAnomalyEvent extends Base {
  kind: 'tcp-anomaly';
  dir: Dir;
  flag:
    | 'retransmission'
    | 'fast-retransmission'
    | 'spurious-retransmission'
    | 'out-of-order'
    | 'dup-ack'
    | 'zero-window'
    | 'window-full'
    | 'keep-alive'
    | 'keep-alive-ack'
    | 'lost-segment' // "previous segment not captured"
    | 'ack-lost-segment' // "ACKed unseen segment"
    | 'window-update'
    | 'zero-window-probe';
  seq?: number;
}
export interface DnsAnswerEvent extends Base {
  kind: 'dns-answer';
  name: string;
  addresses: string[];
  /** CNAME chain, if any, from the queried name to the final name. */
  cnames?: string[];
  rcode?: number;
}
/** NetLog / OS: the network changed (interface, IP), or online/offline in the browser. */
export interface NetworkChangeEvent extends Base {
  kind: 'network-change';
  what: string;
  online?: boolean;
}

// ---- desktop (error report, browser) ----
export interface DesktopStateEvent extends Base {
  kind: 'desktop-state';
  state: 'connecting' | 'connected' | 'recovering' | 'lost' | 'closed';
  reason?: string;
}
/** A timer-drift sample: the desktop's keepalive timer fired `lateMs` after it should have. */
export interface DesktopDriftEvent extends Base {
  kind: 'desktop-drift';
  /** Which timer: a Worker timer, a main-thread timer, or the onmessage path. */
  timer: 'worker' | 'main' | 'onmessage';
  expectedMs: number;
  actualMs: number;
  lateMs: number;
  /** Change of (wall − monotonic) since the previous sample: a large jump means the PC slept or the clock was set. */
  wallJumpMs: number;
}
export interface DesktopLifecycleEvent extends Base {
  kind: 'desktop-lifecycle';
  what: 'hidden' | 'visible' | 'freeze' | 'resume' | 'online' | 'offline' | 'discarded' | 'sleep-detected';
}

// ---- network devices ----
export interface DeviceLogEvent extends Base {
  kind: 'device-log';
  vendor: 'cisco-asa' | 'palo-alto' | 'fortigate' | 'conntrack' | 'unknown';
  /** Normalised action: built / teardown / deny / timeout. */
  action: 'built' | 'teardown' | 'deny' | 'other';
  /** The device's own words, e.g. "TCP Reset-O", "aged-out", "client-rst". */
  reason?: string;
  /** Normalised reason. */
  cause?: 'fin' | 'reset-client' | 'reset-server' | 'reset-device' | 'idle-timeout' | 'syn-timeout' | 'deny' | 'other';
  srcIp?: string;
  srcPort?: number;
  dstIp?: string;
  dstPort?: number;
  /** Bytes and duration as the device reports them. */
  bytes?: number;
  durationMs?: number;
  /** The raw line, capped (reports escape and redact it). */
  raw: string;
  /** True when the line had no timezone and its clock offset is unknown (see diagnose alignment). */
  clockUncertain?: boolean;
}

export type TimelineEvent =
  | ConnOpenEvent
  | ConnCloseEvent
  | ConnFailEvent
  | WsMessageEvent
  | WsControlEvent
  | TlsRecordEvent
  | TcpDataEvent
  | TcpAckEvent
  | TcpAnomalyEvent
  | DnsAnswerEvent
  | NetworkChangeEvent
  | DesktopStateEvent
  | DesktopDriftEvent
  | DesktopLifecycleEvent
  | DeviceLogEvent;

export type EventKind = TimelineEvent['kind'];

/** A problem with the input: never thrown out of a reader, always collected and reported with its place. */
export interface Problem {
  /** Stable code, e.g. `PCAPNG_BAD_BLOCK_LENGTH`, `HAR_JSON_TRUNCATED`. */
  code: string;
  message: string;
  file: string;
  offset?: number;
  line?: number;
  severity: 'error' | 'warning';
}

/** What one evidence file yields. */
export interface EvidenceResult {
  file: string;
  kind: SourceKind;
  /** Format detail, e.g. 'pcapng', 'pcap-ns', 'har-chrome', 'har-firefox', 'netlog', 'asa'. */
  format: string;
  events: TimelineEvent[];
  problems: Problem[];
  /** Facts about the file the troubleshooter may use: hosts, time span, what the format cannot contain, etc. */
  meta: {
    firstTs?: number;
    lastTs?: number;
    /** What this kind of evidence cannot show (e.g. Firefox HAR: no WebSocket messages; HAR: no pings). */
    blindTo?: string[];
    /** Apparent UTC offset of device-log times in minutes, when the reader could tell; undefined = unknown. */
    utcOffsetMin?: number;
    [k: string]: unknown;
  };
}
