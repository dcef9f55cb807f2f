// Sans-IO line splitter: bytes in, complete lines (with 1-based numbers) out. Handles \n and \r\n, and caps a
// line's length so a hostile 1 GB line without newlines cannot exhaust memory (the rest of it is dropped and
// the line is flagged `cut`).
export interface Line {
  text: string;
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** The line was longer than the cap and was cut. */
  cut: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

export class LineSplitter {
  private parts: Uint8Array[] = [];
  private partLen = 0;
  private cut = false;
  private lineNo = 0;
  private lineStart = 0;
  private pos = 0;

  constructor(private readonly maxLine = 64 * 1024) {}

  push(chunk: Uint8Array): Line[] {
    const out: Line[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) {
        this.keep(chunk.subarray(start));
        break;
      }
      this.keep(chunk.subarray(start, nl));
      out.push(this.flush());
      this.lineStart = this.pos + nl + 1;
      start = nl + 1;
    }
    this.pos += chunk.length;
    return out;
  }

  /** End of input: the last line if it had no newline. */
  end(): Line[] {
    if (this.partLen === 0 && !this.cut) return [];
    return [this.flush()];
  }

  private keep(b: Uint8Array): void {
    if (b.length === 0) return;
    const room = this.maxLine - this.partLen;
    if (room <= 0) {
      this.cut = true;
      return;
    }
    if (b.length > room) {
      this.cut = true;
      b = b.subarray(0, room);
    }
    this.parts.push(b.slice());
    this.partLen += b.length;
  }

  private flush(): Line {
    const buf = new Uint8Array(this.partLen);
    let o = 0;
    for (const p of this.parts) {
      buf.set(p, o);
      o += p.length;
    }
    let text = decoder.decode(buf);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const line: Line = { text, line: ++this.lineNo, offset: this.lineStart, cut: this.cut };
    this.parts = [];
    this.partLen = 0;
    this.cut = false;
    return line;
  }
}
