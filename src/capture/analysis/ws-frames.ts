// RFC 6455 frame parser for one direction of a reassembled stream (sans-IO, incremental: any split of the byte
// stream gives the same frames). Payloads are unmasked; payloads beyond `maxPayload` are counted but not kept.
// Protocol errors are reported once with a stable code and the parser then ignores the rest of the direction,
// because after a framing error the frame boundaries are unknown — except an over-long control frame, whose length
// is still declared: it is reported and delivered. Never throws.

export interface WsFrame {
  fin: boolean;
  /** RSV1..3 as bits 4..6 of the first byte (0x40 = RSV1, used by permessage-deflate). */
  rsv: number;
  opcode: number;
  masked: boolean;
  /** Payload length declared in the header. */
  length: number;
  /** Unmasked payload (at most `maxPayload` bytes; valid only during the callback). */
  payload: Uint8Array;
  /** The payload was longer than `maxPayload` and was cut. */
  truncated: boolean;
  /** Stream offset (bytes since the start of this direction's WebSocket data) of the frame header. */
  streamOffset: number;
}

export interface WsFrameSink {
  frame(f: WsFrame, ts: number): void;
  error(code: string, message: string, streamOffset: number, ts: number): void;
}

enum S {
  Header = 0,
  Payload = 1,
  Failed = 2,
}

export class WsFrameParser {
  private state = S.Header;
  private readonly hdr = new Uint8Array(14);
  private hdrLen = 0;
  private need = 2;
  private frame: WsFrame = {
    fin: false,
    rsv: 0,
    opcode: 0,
    masked: false,
    length: 0,
    payload: new Uint8Array(0),
    truncated: false,
    streamOffset: 0,
  };
  private readonly mask = new Uint8Array(4);
  private buf: Uint8Array = new Uint8Array(256);
  private kept = 0;
  private remaining = 0;
  private got = 0;
  private offset = 0;
  frames = 0;

  constructor(
    private readonly sink: WsFrameSink,
    private readonly maxPayload = 1 << 20,
  ) {}

  get failed(): boolean {
    return this.state === S.Failed;
  }

  /** Between frames: no header byte of the next frame seen yet (and not failed). */
  get atFrameStart(): boolean {
    return this.state === S.Header && this.hdrLen === 0;
  }

  push(bytes: Uint8Array, ts: number): void {
    this.pushFrom(bytes, 0, ts, false);
  }

  /**
   * Like push() from `bytes[start]`, but returns after the first frame that ends (or when the bytes run out or the
   * direction fails) with the index of the first byte not consumed: for callers that must look at what follows a
   * frame boundary (the NetLog reader skips an HTTP head there).
   */
  pushOneFrame(bytes: Uint8Array, start: number, ts: number): number {
    return this.pushFrom(bytes, start, ts, true);
  }

  private pushFrom(bytes: Uint8Array, start: number, ts: number, one: boolean): number {
    let i = start;
    const n = bytes.length;
    const before = this.frames;
    while (i < n && this.state !== S.Failed && !(one && this.frames !== before)) {
      if (this.state === S.Header) {
        while (i < n && this.hdrLen < this.need) this.hdr[this.hdrLen++] = bytes[i++];
        if (this.hdrLen < this.need) break;
        if (!this.headerComplete(ts)) continue;
      } else {
        const take = Math.min(this.remaining, n - i);
        const room = Math.min(take, this.maxPayloadRoom());
        if (room > 0) {
          const dst = this.buf;
          const m = this.mask;
          let k = this.kept;
          if (this.frame.masked) {
            let g = this.got;
            for (let j = 0; j < room; j++) dst[k++] = bytes[i + j] ^ m[(g + j) & 3];
            g += room;
          } else {
            dst.set(bytes.subarray(i, i + room), k);
            k += room;
          }
          this.kept = k;
        }
        this.got += take;
        this.remaining -= take;
        i += take;
        if (this.remaining === 0) this.emit(ts);
      }
    }
    return i;
  }

  private maxPayloadRoom(): number {
    return Math.max(0, Math.min(this.maxPayload, this.frame.length) - this.kept);
  }

  /** Returns false when more header bytes are needed (need was raised). */
  private headerComplete(ts: number): boolean {
    const h = this.hdr;
    if (this.hdrLen === 2) {
      const len7 = h[1] & 0x7f;
      const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (h[1] & 0x80 ? 4 : 0);
      if (need > this.need) {
        this.need = need;
        return false;
      }
    }
    const f = this.frame;
    f.fin = (h[0] & 0x80) !== 0;
    f.rsv = h[0] & 0x70;
    f.opcode = h[0] & 0x0f;
    f.masked = (h[1] & 0x80) !== 0;
    f.streamOffset = this.offset;
    let p = 2;
    let len = h[1] & 0x7f;
    if (len === 126) {
      len = (h[2] << 8) | h[3];
      p = 4;
    } else if (len === 127) {
      if (h[2] & 0x80) return this.fail('WS_LENGTH_TOO_BIG', 'frame length has the most significant bit set', ts);
      const hi = ((h[2] << 24) >>> 0) + (h[3] << 16) + (h[4] << 8) + h[5];
      const lo = ((h[6] << 24) >>> 0) + (h[7] << 16) + (h[8] << 8) + h[9];
      len = hi * 2 ** 32 + lo;
      if (!Number.isSafeInteger(len)) return this.fail('WS_LENGTH_TOO_BIG', 'frame length too large', ts);
      p = 10;
    }
    if (f.masked) {
      this.mask[0] = h[p];
      this.mask[1] = h[p + 1];
      this.mask[2] = h[p + 2];
      this.mask[3] = h[p + 3];
      p += 4;
    }
    const op = f.opcode;
    if ((op > 2 && op < 8) || op > 10) return this.fail('WS_RESERVED_OPCODE', `reserved opcode ${op}`, ts);
    if (op >= 8) {
      if (!f.fin) return this.fail('WS_CONTROL_FRAGMENTED', 'fragmented control frame', ts);
      // RFC 6455 §5.5 caps control payloads at 125 bytes, but the length is declared, so the boundaries are not
      // lost: report the violation and still deliver the frame (tshark shows such a close with its code too).
      if (len > 125) this.sink.error('WS_CONTROL_TOO_LONG', `control frame payload ${len} > 125`, this.offset, ts);
    }
    f.length = len;
    f.truncated = len > this.maxPayload;
    const keep = Math.min(len, this.maxPayload);
    if (this.buf.length < keep) this.buf = new Uint8Array(Math.max(keep, this.buf.length * 2));
    this.kept = 0;
    this.got = 0;
    this.remaining = len;
    this.offset += p;
    this.hdrLen = 0;
    this.need = 2;
    this.state = S.Payload;
    if (len === 0) this.emit(ts);
    return true;
  }

  private emit(ts: number): void {
    const f = this.frame;
    f.payload = this.buf.subarray(0, this.kept);
    this.offset += f.length;
    this.state = S.Header;
    this.frames++;
    this.sink.frame(f, ts);
  }

  private fail(code: string, message: string, ts: number): boolean {
    this.state = S.Failed;
    this.sink.error(code, message, this.offset, ts);
    return true;
  }
}
