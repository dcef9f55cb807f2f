// WebSocket messages of one direction: frames (ws-frames.ts) → messages. Reassembles fragmented data messages,
// passes control frames through as they come (they may sit between fragments), and inflates permessage-deflate
// messages (RFC 7692) with context takeover: the compressor's 32 KiB window is carried from message to message
// as a preset dictionary, which is exactly the state raw inflate needs. Never throws; problems go to the sink.

import { constants, inflateRawSync } from 'node:zlib';
import type { WsFrame, WsFrameSink } from './ws-frames.ts';

export interface WsMessage {
  /** 1 text, 2 binary. */
  opcode: number;
  /** Payload length after inflation (or the wire length when inflation was impossible). */
  length: number;
  /** Bytes on the wire (sum of frame payloads). */
  wireLength: number;
  frames: number;
  compressed: boolean;
  /** Payload (at most maxMessage bytes); valid only during the callback. */
  data: Uint8Array;
  /** Data was cut (too big, a frame was cut, or inflation failed). */
  truncated: boolean;
  streamOffset: number;
}

export interface WsControl {
  op: 'ping' | 'pong' | 'close';
  code?: number;
  reason?: string;
  payload: Uint8Array;
  streamOffset: number;
}

export interface WsStreamSink {
  message(m: WsMessage, ts: number): void;
  control(c: WsControl, ts: number): void;
  error(code: string, message: string, streamOffset: number, ts: number): void;
}

export interface WsStreamOptions {
  /** permessage-deflate was negotiated. */
  deflate: boolean;
  /** This direction's sender resets its compressor per message (`*_no_context_takeover`). */
  noContextTakeover: boolean;
  /** Max message bytes kept (default 1 MiB). */
  maxMessage: number;
}

const WINDOW = 32 * 1024;
const TAIL = new Uint8Array([0, 0, 0xff, 0xff]);
const decoder = new TextDecoder('utf-8', { fatal: false });

export function decodeText(b: Uint8Array): string {
  return decoder.decode(b);
}

export class WsMessageAssembler implements WsFrameSink {
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  private inMessage = false;
  private msgOpcode = 0;
  private msgCompressed = false;
  private msgTruncated = false;
  private msgWire = 0;
  private msgFrames = 0;
  private msgOffset = 0;
  private history: Uint8Array = new Uint8Array(0);
  private historyBroken = false;
  private readonly opts: WsStreamOptions;
  private readonly msg: WsMessage = {
    opcode: 0,
    length: 0,
    wireLength: 0,
    frames: 0,
    compressed: false,
    data: new Uint8Array(0),
    truncated: false,
    streamOffset: 0,
  };

  constructor(
    private readonly sink: WsStreamSink,
    opts: Partial<WsStreamOptions> = {},
  ) {
    this.opts = { deflate: false, noContextTakeover: false, maxMessage: 1 << 20, ...opts };
  }

  frame(f: WsFrame, ts: number): void {
    if (f.opcode >= 8) {
      this.controlFrame(f, ts);
      return;
    }
    if (f.opcode === 0) {
      if (!this.inMessage) {
        this.sink.error('WS_UNEXPECTED_CONTINUATION', 'continuation frame without a message', f.streamOffset, ts);
        return;
      }
    } else {
      if (this.inMessage) {
        this.sink.error(
          'WS_MESSAGE_INTERRUPTED',
          'new data frame before the previous message ended',
          f.streamOffset,
          ts,
        );
        this.finish(ts, true);
      }
      this.inMessage = true;
      this.msgOpcode = f.opcode;
      this.msgCompressed = this.opts.deflate && (f.rsv & 0x40) !== 0;
      this.msgTruncated = false;
      this.msgWire = 0;
      this.msgFrames = 0;
      this.msgOffset = f.streamOffset;
      if ((f.rsv & 0x40) !== 0 && !this.opts.deflate) {
        this.sink.error(
          'WS_RSV1_WITHOUT_DEFLATE',
          'RSV1 set but permessage-deflate was not negotiated',
          f.streamOffset,
          ts,
        );
      }
    }
    this.msgWire += f.length;
    this.msgFrames++;
    if (f.truncated) this.msgTruncated = true;
    const room = this.opts.maxMessage - this.partBytes;
    if (room > 0 && f.payload.length > 0) {
      const take = f.payload.length <= room ? f.payload : f.payload.subarray(0, room);
      this.parts.push(take.slice());
      this.partBytes += take.length;
      if (take.length < f.payload.length) this.msgTruncated = true;
    } else if (f.payload.length > 0) this.msgTruncated = true;
    if (f.fin) this.finish(ts, false);
  }

  error(code: string, message: string, streamOffset: number, ts: number): void {
    this.sink.error(code, message, streamOffset, ts);
  }

  private finish(ts: number, interrupted: boolean): void {
    let data = this.parts.length === 1 ? this.parts[0] : concat(this.parts, this.partBytes);
    let truncated = this.msgTruncated || interrupted;
    let length = this.msgWire;
    if (this.msgCompressed) {
      const out = truncated ? undefined : this.inflate(data, ts);
      if (out === undefined) {
        truncated = true;
        this.historyBroken = !this.opts.noContextTakeover;
      } else {
        data = out;
        length = out.length;
      }
    }
    const m = this.msg;
    m.opcode = this.msgOpcode;
    m.length = length;
    m.wireLength = this.msgWire;
    m.frames = this.msgFrames;
    m.compressed = this.msgCompressed;
    m.data = data;
    m.truncated = truncated;
    m.streamOffset = this.msgOffset;
    this.parts = [];
    this.partBytes = 0;
    this.inMessage = false;
    this.sink.message(m, ts);
  }

  private inflate(data: Uint8Array, ts: number): Uint8Array | undefined {
    if (this.historyBroken) {
      this.sink.error(
        'WS_INFLATE_NO_CONTEXT',
        'cannot inflate: an earlier compressed message of this direction was lost or cut',
        this.msgOffset,
        ts,
      );
      return undefined;
    }
    try {
      const input = concat([data, TAIL], data.length + 4);
      const dict = !this.opts.noContextTakeover && this.history.length > 0 ? this.history : undefined;
      const out = inflateRawSync(input, {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: this.opts.maxMessage,
        ...(dict ? { dictionary: dict } : {}),
      });
      const u8 = new Uint8Array(out.buffer, out.byteOffset, out.length);
      if (!this.opts.noContextTakeover) this.remember(u8);
      return u8;
    } catch (e) {
      this.sink.error('WS_INFLATE_FAILED', `permessage-deflate: ${(e as Error).message}`, this.msgOffset, ts);
      return undefined;
    }
  }

  private remember(out: Uint8Array): void {
    if (out.length >= WINDOW) {
      this.history = out.slice(out.length - WINDOW);
      return;
    }
    const keep = Math.min(this.history.length, WINDOW - out.length);
    const h = new Uint8Array(keep + out.length);
    h.set(this.history.subarray(this.history.length - keep), 0);
    h.set(out, keep);
    this.history = h;
  }

  private controlFrame(f: WsFrame, ts: number): void {
    const op = f.opcode === 8 ? 'close' : f.opcode === 9 ? 'ping' : 'pong';
    const c: WsControl = { op, payload: f.payload, streamOffset: f.streamOffset };
    if (op === 'close' && f.payload.length >= 2) {
      c.code = (f.payload[0] << 8) | f.payload[1];
      c.reason = decodeText(f.payload.subarray(2));
    }
    this.sink.control(c, ts);
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
