// One direction of a TCP byte stream, reassembled in sequence order and driven by capture time (sans-IO).
// Out-of-order segments are held (copied) up to a byte cap and an age cap; when either is exceeded, or the stream
// ends, the hole is given up on: the handler hears `gap()` and delivery resumes after it. Never throws.

export interface StreamHandler {
  /** In-order bytes. The view is valid only during the call (copy to keep). */
  data(bytes: Uint8Array, ts: number): void;
  /** Bytes [relSeq, relSeq+missing) were never captured; later bytes follow. */
  gap(relSeq: number, missing: number, ts: number): void;
}

interface Held {
  seq: number;
  data: Uint8Array;
  ts: number;
}

export interface ReassemblyLimits {
  /** Max bytes held out of order per direction (default 1 MiB). */
  maxHeldBytes: number;
  /** Max capture-time age (ms) of a hole before it is declared a gap (default 10 s). */
  maxHoldMs: number;
}

const DEFAULTS: ReassemblyLimits = { maxHeldBytes: 1 << 20, maxHoldMs: 10_000 };

const diff = (a: number, b: number): number => (a - b) | 0; // signed distance a − b in sequence space

export class TcpReassembler {
  /** Raw uint32 seq of the next byte expected; valid once `started`. */
  private next = 0;
  private started = false;
  /** Raw seq of relative byte 0 (ISN + 1). */
  private base = 0;
  private held: Held[] = [];
  private heldBytes = 0;
  private readonly limits: ReassemblyLimits;
  /** Bytes delivered, bytes given up as gaps, segments dropped as duplicates. */
  delivered = 0;
  gapBytes = 0;
  gaps = 0;

  constructor(
    private readonly h: StreamHandler,
    limits: Partial<ReassemblyLimits> = {},
  ) {
    this.limits = { ...DEFAULTS, ...limits };
  }

  /** Start at raw sequence number `seq` (ISN + 1 after a SYN). Without it, the first segment's seq is used. */
  start(seq: number): void {
    if (this.started) return;
    this.started = true;
    this.next = seq >>> 0;
    this.base = this.next;
  }

  rel(seq: number): number {
    return (seq - this.base) >>> 0;
  }

  push(seq: number, data: Uint8Array, ts: number): void {
    if (data.length === 0) return;
    seq >>>= 0;
    if (!this.started) this.start(seq);
    const d = diff(seq, this.next);
    if (d <= 0) {
      // Starts at or before the next byte: deliver the new tail (retransmitted bytes are dropped).
      if (d + data.length > 0) {
        this.deliver(d === 0 ? data : data.subarray(-d), ts);
        this.drain(ts);
      }
    } else {
      this.hold(seq, data, ts);
    }
    this.expire(ts);
  }

  /** The stream ended (FIN/RST or end of capture): give up on any hole and deliver what is held. */
  flush(ts: number): void {
    while (this.held.length > 0) this.skipToHeld(ts);
  }

  private deliver(bytes: Uint8Array, ts: number): void {
    this.next = (this.next + bytes.length) >>> 0;
    this.delivered += bytes.length;
    this.h.data(bytes, ts);
  }

  private hold(seq: number, data: Uint8Array, ts: number): void {
    if (this.heldBytes + data.length > this.limits.maxHeldBytes) {
      // Over the cap: give up on the oldest hole first, then retry.
      if (this.held.length > 0) {
        this.skipToHeld(ts);
        this.push(seq, data, ts);
        return;
      }
      // Nothing held and this segment alone exceeds the cap: skip straight to it.
      this.declareGap(seq, ts);
      this.deliver(data, ts);
      return;
    }
    // Insert sorted by seq; exact duplicates of held segments are dropped.
    let i = this.held.length;
    while (i > 0 && diff(this.held[i - 1].seq, seq) > 0) i--;
    if (i > 0 && this.held[i - 1].seq === seq && this.held[i - 1].data.length >= data.length) return;
    this.held.splice(i, 0, { seq, data: data.slice(), ts });
    this.heldBytes += data.length;
  }

  private drain(ts: number): void {
    while (this.held.length > 0) {
      const h = this.held[0];
      const d = diff(h.seq, this.next);
      if (d > 0) return;
      this.held.shift();
      this.heldBytes -= h.data.length;
      if (d + h.data.length > 0) this.deliver(d === 0 ? h.data : h.data.subarray(-d), ts);
    }
  }

  private expire(ts: number): void {
    while (this.held.length > 0 && ts - this.held[0].ts > this.limits.maxHoldMs) this.skipToHeld(ts);
  }

  private skipToHeld(ts: number): void {
    const h = this.held[0];
    if (diff(h.seq, this.next) > 0) this.declareGap(h.seq, ts);
    this.drain(ts);
  }

  private declareGap(seq: number, ts: number): void {
    const missing = diff(seq, this.next);
    if (missing <= 0) return;
    this.gaps++;
    this.gapBytes += missing;
    this.h.gap(this.rel(this.next), missing, ts);
    this.next = seq;
  }
}
