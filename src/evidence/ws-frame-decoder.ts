// Sans-IO WebSocket byte-stream decoder for ONE direction of a connection, used where a source logs raw socket
// bytes (NetLog in "Everything" mode). Skips the HTTP upgrade head (and a proxy CONNECT head before it), then hands
// the bytes to the capture analyzer's RFC 6455 parser (src/capture/analysis/ws-frames.ts, the one frame parser of
// the project) and returns its frames. Keeps at most `keep` payload bytes per frame (unmasked), so a hostile length
// cannot make it buffer gigabytes.
import { WsFrameParser } from '../capture/analysis/ws-frames.ts';

export interface DecodedFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  length: number;
  /** First bytes of the payload, unmasked. */
  payload: Uint8Array;
}

const MAX_HTTP_HEAD = 64 * 1024;

export class WsFrameDecoder {
  private inHttp: boolean;
  private http = 0; // last 4 bytes of the HTTP head, packed
  private httpLen = 0;
  private out: DecodedFrame[] = [];
  private readonly parser: WsFrameParser;
  broken: string | undefined;

  constructor(keep = 1024, skipHttp = true) {
    this.inHttp = skipHttp;
    this.parser = new WsFrameParser(
      {
        frame: (f) => {
          const payload = f.payload.slice();
          this.out.push({ fin: f.fin, rsv1: (f.rsv & 0x40) !== 0, opcode: f.opcode, length: f.length, payload });
        },
        error: (code, message) => {
          // Only errors that lose the frame boundaries stop the stream; an over-long control frame is still read.
          if (this.parser.failed && this.broken === undefined) this.broken = `bad frame header: ${message} (${code})`;
        },
      },
      keep,
    );
  }

  push(b: Uint8Array): DecodedFrame[] {
    this.out = [];
    let i = 0;
    while (i < b.length && this.broken === undefined) {
      if (this.inHttp) {
        i = this.skipHttp(b, i);
        continue;
      }
      // A proxy CONNECT exchange comes before the upgrade on the same socket: 'G'(ET) / 'H'(TTP) can never start
      // a WebSocket frame (opcode 7, or a compressed fragmented close), so it is one more HTTP head to skip.
      if (this.parser.atFrameStart && this.httpLen > 0 && (b[i] === 0x47 || b[i] === 0x48)) {
        this.inHttp = true;
        this.http = 0;
        continue;
      }
      i = this.parser.pushOneFrame(b, i, 0);
    }
    return this.out;
  }

  /** Consumes HTTP head bytes up to and including the blank line; returns the index after them. */
  private skipHttp(b: Uint8Array, from: number): number {
    let i = from;
    while (i < b.length) {
      this.http = ((this.http << 8) | b[i++]) >>> 0;
      this.httpLen++;
      if (this.http === 0x0d0a0d0a) {
        this.inHttp = false;
        return i;
      }
      if (this.httpLen > MAX_HTTP_HEAD) {
        this.broken = 'HTTP upgrade header longer than 64 KiB';
        return i;
      }
    }
    return i;
  }
}
