// Sans-IO WebSocket byte-stream decoder for ONE direction of a connection (RFC 6455 §5.2), used where a source
// logs raw socket bytes (NetLog in "Everything" mode). Skips the HTTP upgrade header first, then yields frames.
// Keeps at most `keep` payload bytes per frame (unmasked), so a hostile length cannot make it buffer gigabytes.
export interface DecodedFrame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  length: number;
  /** First bytes of the payload, unmasked (only when not compressed). */
  payload: Uint8Array;
}

enum St {
  Http = 0,
  Head = 1,
  Payload = 2,
  Broken = 3,
}

export class WsFrameDecoder {
  private st: St;
  private http: number[] = []; // last 4 bytes of the HTTP header seen
  private httpLen = 0;
  private head: number[] = [];
  private frame: DecodedFrame | null = null;
  private need = 0;
  private got = 0;
  private mask: number[] | null = null;
  private kept: Uint8Array = new Uint8Array(0);
  private keptLen = 0;
  broken: string | undefined;

  constructor(
    private readonly keep = 1024,
    skipHttp = true,
  ) {
    this.st = skipHttp ? St.Http : St.Head;
  }

  push(b: Uint8Array): DecodedFrame[] {
    const out: DecodedFrame[] = [];
    let i = 0;
    while (i < b.length && this.st !== St.Broken) {
      if (this.st === St.Http) {
        const c = b[i++];
        this.httpLen++;
        this.http.push(c);
        if (this.http.length > 4) this.http.shift();
        if (
          this.http.length === 4 &&
          this.http[0] === 13 &&
          this.http[1] === 10 &&
          this.http[2] === 13 &&
          this.http[3] === 10
        )
          this.st = St.Head;
        else if (this.httpLen > 64 * 1024) this.fail('HTTP upgrade header longer than 64 KiB');
        continue;
      }
      if (this.st === St.Head) {
        // A proxy CONNECT exchange comes before the upgrade on the same socket: 'G'(ET) / 'H'(TTP) can never start
        // a WebSocket frame (opcode 7, or a compressed control frame), so it is one more HTTP head to skip.
        if (this.head.length === 0 && this.httpLen > 0 && (b[i] === 0x47 || b[i] === 0x48)) {
          this.st = St.Http;
          this.http = [];
          continue;
        }
        this.head.push(b[i++]);
        const f = this.tryHead();
        if (f === 'bad') this.fail('bad frame header');
        else if (f) {
          this.frame = f.frame;
          this.mask = f.mask;
          this.need = f.frame.length;
          this.got = 0;
          this.kept = new Uint8Array(Math.min(this.keep, this.need));
          this.keptLen = 0;
          this.head = [];
          if (this.need === 0) out.push(this.finish());
          else this.st = St.Payload;
        }
        continue;
      }
      // Payload
      const take = Math.min(this.need - this.got, b.length - i);
      const room = this.kept.length - this.keptLen;
      for (let k = 0; k < Math.min(take, room); k++) {
        const pos = this.got + k;
        this.kept[this.keptLen++] = this.mask ? b[i + k] ^ this.mask[pos & 3] : b[i + k];
      }
      this.got += take;
      i += take;
      if (this.got === this.need) {
        out.push(this.finish());
        this.st = St.Head;
      }
    }
    return out;
  }

  private finish(): DecodedFrame {
    const f = this.frame!;
    f.payload = this.kept.subarray(0, this.keptLen);
    this.frame = null;
    return f;
  }

  private fail(why: string): void {
    this.st = St.Broken;
    this.broken = why;
  }

  private tryHead(): { frame: DecodedFrame; mask: number[] | null } | 'bad' | undefined {
    const h = this.head;
    if (h.length < 2) return undefined;
    const masked = (h[1] & 0x80) !== 0;
    const len7 = h[1] & 0x7f;
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const need = 2 + extra + (masked ? 4 : 0);
    if (h.length < need) return undefined;
    const opcode = h[0] & 0x0f;
    if ((opcode > 2 && opcode < 8) || opcode > 10) return 'bad';
    let length = len7;
    if (len7 === 126) length = (h[2] << 8) | h[3];
    else if (len7 === 127) {
      length = 0;
      for (let k = 2; k < 10; k++) length = length * 256 + h[k];
      if (length > Number.MAX_SAFE_INTEGER || h[2] & 0x80) return 'bad';
    }
    const mask = masked ? h.slice(2 + extra, 6 + extra) : null;
    return {
      frame: { fin: (h[0] & 0x80) !== 0, rsv1: (h[0] & 0x40) !== 0, opcode, length, payload: new Uint8Array(0) },
      mask,
    };
  }
}
