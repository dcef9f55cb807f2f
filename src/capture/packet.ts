// Contract between capture *sources* (files → records), *decoders* (record → layers) and *analyses* (flows,
// streams). Objects here are reused per packet on the hot path: a consumer that keeps anything beyond the current
// packet must copy it (`Uint8Array.slice`, spread the numbers).

/** One captured frame as the file stores it. `data` is a view valid only until the next record is read. */
export interface CaptureRecord {
  /** Timestamp in epoch ms (fraction = sub-ms; µs precision is kept, ns precision is in `tsNs`). */
  ts: number;
  /** Exact timestamp in ns since the epoch. */
  tsNs: bigint;
  /** Link type (LINKTYPE_* number: 0 NULL, 1 ETHERNET, 101 RAW, 108 LOOP, 113 LINUX_SLL, 228 IPV4, 229 IPV6, 276 LINUX_SLL2). */
  linkType: number;
  /** pcapng interface index (section-local); 0 for pcap. */
  ifIndex: number;
  /** pcapng section number (0-based); 0 for pcap. */
  section: number;
  /** Captured length (= data.length) and original length on the wire. */
  caplen: number;
  origLen: number;
  data: Uint8Array;
  /** Byte offset of the record (block) in the (decompressed) file, for problem reports. */
  offset: number;
  /** 1-based packet number, as Wireshark counts frames. */
  frame: number;
  /** pcapng Simple Packet Block: the file has no timestamp for this frame; `ts`/`tsNs` repeat the previous one. */
  tsUnknown?: boolean;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

/** The decoded layers of one packet. One instance is reused; fields of absent layers are stale, check `l3`/`l4`. */
export interface DecodedPacket {
  record: CaptureRecord;
  /** Some layer ended before its header/payload did (caplen < needed); decoding stopped at that layer. */
  truncated: boolean;
  /** Decoding problem code of this packet, '' if none (e.g. 'IPV4_BAD_IHL', 'LINK_UNSUPPORTED'). */
  problem: string;
  /** 0 = no IP layer decoded, 4 or 6. */
  l3: 0 | 4 | 6;
  /** Addresses in text form (IPv4 dotted, IPv6 RFC 5952). Decoders intern them, so comparing strings is cheap. */
  srcIp: string;
  dstIp: string;
  /**
   * IPv4 addresses as int32 bits, valid while `srcIp === srcIp4Of` (resp. dst): the decoder sets both, so a packet
   * edited by hand (tests) or an IPv6 one never pairs stale numbers with its address. Optional; for fast flow lookup.
   */
  srcIp4?: number;
  dstIp4?: number;
  srcIp4Of?: string;
  dstIp4Of?: string;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** IPv4 identification (0 for IPv6). */
  ipId: number;
  /** IPv4 fragment (MF set or offset ≠ 0) / IPv6 fragment header present: L4 not decoded for non-first fragments. */
  fragment: boolean;
  /** 0 = no L4 decoded, 6 TCP, 17 UDP, else the protocol number with no decoder. */
  l4: number;
  srcPort: number;
  dstPort: number;
  tcp: TcpHeader;
  /** L4 payload as captured (may be shorter than `payloadLen` when the capture was truncated by snaplen). */
  payload: Uint8Array;
  /** L4 payload length according to the IP header (what was on the wire). */
  payloadLen: number;
}

export interface TcpHeader {
  seq: number; // uint32
  ack: number; // uint32
  flags: number; // TCP_* bits
  window: number; // raw (unscaled) window
  hdrLen: number;
  urgent: number;
  /** Options; -1 when absent in this segment. */
  mss: number;
  wscale: number;
  sackPermitted: boolean;
  /** SACK blocks as [left, right, left, right, …] (uint32), length 0 when absent. Reused array. */
  sack: number[];
  tsval: number;
  tsecr: number;
  hasTs: boolean;
}

export function newDecodedPacket(): DecodedPacket {
  return {
    record: {
      ts: 0,
      tsNs: 0n,
      linkType: 0,
      ifIndex: 0,
      section: 0,
      caplen: 0,
      origLen: 0,
      data: new Uint8Array(0),
      offset: 0,
      frame: 0,
    },
    truncated: false,
    problem: '',
    l3: 0,
    srcIp: '',
    dstIp: '',
    srcIp4: 0,
    dstIp4: 0,
    // Never equal to an address text, even an empty one in a hand-built packet.
    srcIp4Of: '\u0000',
    dstIp4Of: '\u0000',
    ttl: 0,
    ipId: 0,
    fragment: false,
    l4: 0,
    srcPort: 0,
    dstPort: 0,
    tcp: {
      seq: 0,
      ack: 0,
      flags: 0,
      window: 0,
      hdrLen: 0,
      urgent: 0,
      mss: -1,
      wscale: -1,
      sackPermitted: false,
      sack: [],
      tsval: 0,
      tsecr: 0,
      hasTs: false,
    },
    payload: new Uint8Array(0),
    payloadLen: 0,
  };
}

/**
 * Streaming source of records. Implementations: pcap-reader.ts, pcapng-reader.ts (and an auto-detecting opener
 * that also un-gzips and reads stdin). Problems (bad block, truncation) are pushed to `problems` with the byte offset;
 * the reader resynchronises or stops cleanly, it never throws for bad input.
 */
export interface RecordSource {
  /** Async iteration over records; the yielded object and its `data` are reused. */
  [Symbol.asyncIterator](): AsyncIterator<CaptureRecord>;
  readonly problems: import('../events/types.ts').Problem[];
  /** Format detected: 'pcap', 'pcap-ns', 'pcapng'. */
  readonly format: string;
  /** Bytes consumed so far (for progress). */
  readonly bytesRead: number;
  /** pcapng Decryption Secrets Blocks seen so far (TLS key log text), for TLS decryption. */
  readonly secrets: string[];
  /** pcapng Name Resolution Block entries (address → names), merged across sections. */
  readonly names: Map<string, string[]>;
  /**
   * Fast path (openCapture's sources always have it): calls `cb` synchronously for each record, awaiting only to
   * refill its 4 MiB window, so there is no promise per packet. Return `false` from `cb` to stop. Never rejects for
   * bad input. A source is single-pass: use either this or the async iterator, once.
   */
  forEachRecord?(cb: (rec: CaptureRecord) => unknown): Promise<void>;
  /** Interfaces declared so far (pcap: one; pcapng: each IDB, per section) with link type, snaplen, tsresol. */
  readonly interfaces?: readonly CaptureInterface[];
  /** Blocks seen by type name ('SHB', 'IDB', 'EPB', 'SPB', 'PB', 'NRB', 'ISB', 'DSB', 'CB', 'DCB', 'unknown'; pcap: 'record'). */
  readonly blockCounts?: Readonly<Record<string, number>>;
  /** True when the file was gzip-compressed. */
  readonly gzip?: boolean;
  /** Bytes read from the file itself (compressed bytes when gzipped; `bytesRead` counts decompressed bytes), for
   * progress against the file size. Runs ahead of `bytesRead` by up to one read window. */
  readonly fileBytesRead?: number;
  /** Releases the file early (iteration to the end closes it by itself). */
  close?(): Promise<void>;
}

/** One capture interface (pcap: the file header; pcapng: an Interface Description Block). */
export interface CaptureInterface {
  section: number;
  index: number;
  linkType: number;
  /** 0 = unlimited. */
  snaplen: number;
  /** Timestamp units per second (1e6, 1e9, 2^k …) and the raw if_tsresol byte (pcap: 6 or 9). */
  tsPerSec: number;
  tsresol: number;
  /** if_tsoffset seconds added to every timestamp. */
  tsOffset: number;
  /** FCS bytes at the end of each frame when the file says so; -1 unknown. */
  fcsLen: number;
  name?: string;
  description?: string;
}
