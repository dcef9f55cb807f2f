// Wireshark's TCP sequence analysis (tcp.analysis.*), per packet, with Wireshark's own definitions so that our
// flags match `tshark -T fields -e tcp.analysis.…` packet for packet. Sans-IO: numbers in, a flag mask out.
// The order of the checks and the "supersedes" rules follow Wireshark's tcp_analyze_sequence_number(); the
// definitions are documented in docs/capture.md.

import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../packet.ts';

export const A_RETRANSMISSION = 1 << 0;
export const A_FAST_RETRANSMISSION = 1 << 1;
export const A_SPURIOUS_RETRANSMISSION = 1 << 2;
export const A_OUT_OF_ORDER = 1 << 3;
export const A_DUP_ACK = 1 << 4;
export const A_ZERO_WINDOW = 1 << 5;
export const A_WINDOW_FULL = 1 << 6;
export const A_KEEP_ALIVE = 1 << 7;
export const A_KEEP_ALIVE_ACK = 1 << 8;
export const A_LOST_SEGMENT = 1 << 9;
export const A_ACK_LOST_SEGMENT = 1 << 10;
export const A_WINDOW_UPDATE = 1 << 11;
export const A_ZERO_WINDOW_PROBE = 1 << 12;
export const A_ZERO_WINDOW_PROBE_ACK = 1 << 13;

/** Flag bit → the TcpAnomalyEvent flag name (zero-window-probe-ack has no event: it is the reply to a probe). */
export const FLAG_NAMES: ReadonlyArray<readonly [number, string]> = [
  [A_RETRANSMISSION, 'retransmission'],
  [A_FAST_RETRANSMISSION, 'fast-retransmission'],
  [A_SPURIOUS_RETRANSMISSION, 'spurious-retransmission'],
  [A_OUT_OF_ORDER, 'out-of-order'],
  [A_DUP_ACK, 'dup-ack'],
  [A_ZERO_WINDOW, 'zero-window'],
  [A_WINDOW_FULL, 'window-full'],
  [A_KEEP_ALIVE, 'keep-alive'],
  [A_KEEP_ALIVE_ACK, 'keep-alive-ack'],
  [A_LOST_SEGMENT, 'lost-segment'],
  [A_ACK_LOST_SEGMENT, 'ack-lost-segment'],
  [A_WINDOW_UPDATE, 'window-update'],
  [A_ZERO_WINDOW_PROBE, 'zero-window-probe'],
];

/** Per-direction analysis state (Wireshark's tcp_flow_t + tcp_analyze_seq_flow_info_t, the parts the flags need). */
export interface SeqState {
  /** ISN (SYN seen) or first seq − 1: relative sequence numbers are `seq − baseSeq − 1` (0 = first data byte). */
  baseSeq: number;
  baseSet: boolean;
  /** Highest seq+len (+1 for SYN/FIN) seen so far; 0 = unknown (Wireshark uses 0 as "unset" too). */
  nextseq: number;
  nextseqTime: number;
  nextseqFrame: number;
  /** Highest contiguous seq seen, for "ACKed unseen segment". */
  maxseqtobeacked: number;
  lastack: number;
  lastackTime: number;
  dupacknum: number;
  lastnondupack: number;
  /** Window as sent, scaled when the scale factor is known. */
  window: number;
  /** Window scale shift: -1 unknown (no SYN seen), -2 scaling not in use, else the shift. */
  winScale: number;
  /** Analysis flags of the last segment of this direction. */
  lastFlags: number;
}

export function newSeqState(): SeqState {
  return {
    baseSeq: 0,
    baseSet: false,
    nextseq: 0,
    nextseqTime: 0,
    nextseqFrame: 0,
    maxseqtobeacked: 0,
    lastack: 0,
    lastackTime: 0,
    dupacknum: 0,
    lastnondupack: 0,
    window: 0,
    winScale: -1,
    lastFlags: 0,
  };
}

/** Per-connection timing Wireshark uses for the out-of-order threshold. */
export interface ConnTiming {
  /** Time of the most recent SYN (without ACK), ms; 0 = none. */
  mruSyn: number;
  /** Initial RTT (SYN → first pure ACK), ms; 0 = unknown (then 3 ms is used). */
  firstRtt: number;
}

export interface AnalysisOut {
  flags: number;
  /** For dup ACKs: the number (1, 2, …) and the frame of the original ACK. */
  dupAckNum: number;
  dupAckFrame: number;
}

// Signed 32-bit sequence comparisons (RFC 1982 style), as Wireshark's GT_SEQ/LT_SEQ.
const gtSeq = (a: number, b: number): boolean => ((b - a) | 0) < 0;
const ltSeq = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const leSeq = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const u32 = (x: number): number => x >>> 0;
/** Wireshark stores -1 in its uint32 dup-ACK counter to mark "ACKed unseen segment already reported". */
const DUPACK_MARK = 0xffffffff;

/**
 * Window-scale bookkeeping for SYN / SYN-ACK segments (call before `analyzeSegment`).
 * `wscale` is the option's shift or -1 when absent.
 */
export function noteWindowScale(fwd: SeqState, rev: SeqState, flags: number, wscale: number): void {
  if ((flags & TCP_SYN) === 0) return;
  if (wscale >= 0) fwd.winScale = Math.min(wscale, 14);
  const isSynAck = (flags & TCP_ACK) !== 0;
  if (fwd.winScale === -1) {
    // No WS option on this SYN (or SYN-ACK): scaling is not used in either direction.
    fwd.winScale = -2;
    rev.winScale = -2;
  } else if (isSynAck && rev.winScale === -2) {
    fwd.winScale = -2;
  }
}

/** The window as Wireshark computes it: scaled by the sender's shift when known (never on SYNs). */
export function scaledWindow(fwd: SeqState, flags: number, rawWindow: number): number {
  if ((flags & (TCP_SYN | TCP_ACK)) === TCP_ACK && fwd.winScale >= 0) return rawWindow * 2 ** fwd.winScale;
  return rawWindow;
}

/**
 * Analyse one segment travelling in direction `fwd` (the reverse direction's state is `rev`).
 * seq/ack are raw uint32; `window` is the scaled window (scaledWindow()); `ts` in ms; `frame` the packet number.
 * Updates both states and writes the flags to `out`.
 */
export function analyzeSegment(
  fwd: SeqState,
  rev: SeqState,
  conn: ConnTiming,
  seq: number,
  ack: number,
  seglen: number,
  flags: number,
  window: number,
  ts: number,
  frame: number,
  out: AnalysisOut,
): void {
  let f = 0;
  out.dupAckNum = 0;
  out.dupAckFrame = 0;

  if (!fwd.baseSet) {
    fwd.baseSeq = flags & TCP_SYN ? seq : u32(seq - 1);
    fwd.baseSet = true;
  }
  if (!rev.baseSet && flags & TCP_ACK) {
    rev.baseSeq = u32(ack - 1);
    rev.baseSet = true;
  }

  const noSfr = (flags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0;
  let skipToFinished = false;

  // Zero-window probe: exactly one byte at the next expected seq while the peer advertises a zero window.
  if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
    f |= A_ZERO_WINDOW_PROBE;
    skipToFinished = true;
  }
  if (!skipToFinished) {
    if (window === 0 && noSfr) f |= A_ZERO_WINDOW;
    // Previous segment not captured: this segment starts beyond the highest seq seen.
    if (fwd.nextseq !== 0 && gtSeq(seq, fwd.nextseq) && (flags & TCP_RST) === 0) f |= A_LOST_SEGMENT;
    // Keep-alive: 0 or 1 byte starting one byte before the next expected seq.
    if ((seglen === 0 || seglen === 1) && seq === u32(fwd.nextseq - 1) && noSfr) f |= A_KEEP_ALIVE;
    // Window update: no data, same seq/ack as before, a new non-zero window.
    if (seglen === 0 && window !== 0 && window !== fwd.window && seq === fwd.nextseq && ack === fwd.lastack && noSfr) {
      f |= A_WINDOW_UPDATE;
    }
    // Window full: the data reaches exactly the right edge of the peer's advertised window.
    if (seglen > 0 && rev.winScale !== -1 && u32(seq + seglen) === u32(rev.lastack + rev.window) && noSfr) {
      f |= A_WINDOW_FULL;
    }
    const sameAsBefore = seglen === 0 && seq === fwd.nextseq && ack === fwd.lastack && noSfr;
    if (sameAsBefore && window !== 0 && window === fwd.window && rev.lastFlags & A_KEEP_ALIVE) {
      f |= A_KEEP_ALIVE_ACK;
      skipToFinished = true;
    } else if (sameAsBefore && window === 0 && fwd.window === 0 && rev.lastFlags & A_ZERO_WINDOW_PROBE) {
      f |= A_ZERO_WINDOW_PROBE_ACK;
      skipToFinished = true;
    } else if (sameAsBefore && window !== 0 && window === fwd.window) {
      // After an "ACKed unseen segment" the counter holds the marker 2^32−1 (Wireshark's -1 in a uint32): restart at 1.
      fwd.dupacknum = fwd.dupacknum === DUPACK_MARK ? 1 : fwd.dupacknum + 1;
      f |= A_DUP_ACK;
      out.dupAckNum = fwd.dupacknum;
      out.dupAckFrame = fwd.lastnondupack;
    }
  }

  // finished_fwd: a changed ACK number resets the dup-ACK count.
  if (ack !== fwd.lastack) {
    fwd.lastnondupack = frame;
    fwd.dupacknum = 0;
  }

  // ACKed unseen segment: this ACK covers bytes of the other direction we never saw. Once per hole: when the other
  // side has sent past the hole, its "highest contiguous seq" jumps to its nextseq; when it has not (the ACK runs
  // ahead of everything seen), its dup-ACK counter holds a "reported" marker until its own ACK number changes.
  // This is what tshark 4.0.17 does (checked on the public traces); note the marker (2^32−1) also satisfies the
  // fast-retransmission test ">= 2 dup ACKs" on the other side's next resend, as in tshark.
  if (rev.maxseqtobeacked !== 0 && gtSeq(ack, rev.maxseqtobeacked) && flags & TCP_ACK) {
    if (ltSeq(rev.maxseqtobeacked, rev.nextseq)) {
      rev.maxseqtobeacked = rev.nextseq;
      f |= A_ACK_LOST_SEGMENT;
    } else {
      if (rev.dupacknum === 0) f |= A_ACK_LOST_SEGMENT;
      rev.dupacknum = DUPACK_MARK;
    }
  }

  // Retransmission family: data (or SYN/FIN) that does not advance the sequence number.
  if ((seglen > 0 || flags & (TCP_SYN | TCP_FIN)) && (f & A_KEEP_ALIVE) === 0) {
    let notAdvanced = fwd.nextseq !== 0 && ltSeq(seq, fwd.nextseq);
    // More than one byte starting one before nextseq: new data after a (possible) zero-window probe.
    if (seglen > 1 && u32(fwd.nextseq - 1) === seq) notAdvanced = false;
    const sinceRevAck = ts - rev.lastackTime;
    const oooThreshold = conn.firstRtt > 0 ? conn.firstRtt : 3;
    // A SYN or FIN takes one sequence number: a resent FIN ends exactly at nextseq, so it is a retransmission.
    const synFin = flags & (TCP_SYN | TCP_FIN) ? 1 : 0;
    if (notAdvanced && rev.dupacknum >= 2 && rev.lastack === seq && sinceRevAck < 20) {
      f |= A_FAST_RETRANSMISSION;
    } else if (notAdvanced && ts - fwd.nextseqTime < oooThreshold && fwd.nextseq !== u32(seq + seglen + synFin)) {
      f |= A_OUT_OF_ORDER;
    } else if (seglen > 0 && rev.lastack !== 0 && leSeq(u32(seq + seglen), rev.lastack)) {
      f |= A_SPURIOUS_RETRANSMISSION;
    } else if (notAdvanced) {
      f |= A_RETRANSMISSION;
    }
  }

  let nextseq = u32(seq + seglen);
  if ((seglen > 0 || flags & (TCP_SYN | TCP_FIN)) && flags & (TCP_SYN | TCP_FIN)) nextseq = u32(nextseq + 1);
  if (gtSeq(nextseq, fwd.nextseq) || fwd.nextseq === 0) {
    if ((f & A_ZERO_WINDOW_PROBE) === 0) {
      fwd.nextseq = nextseq;
      fwd.nextseqFrame = frame;
      fwd.nextseqTime = ts;
    }
  }
  if (seq === fwd.maxseqtobeacked || fwd.maxseqtobeacked === 0) {
    if ((f & A_ZERO_WINDOW_PROBE) === 0) fwd.maxseqtobeacked = fwd.nextseq;
  }
  fwd.window = window;
  fwd.lastack = ack;
  fwd.lastackTime = ts;
  fwd.lastFlags = f;
  out.flags = f;
}
