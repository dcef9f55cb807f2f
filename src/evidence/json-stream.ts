// Streaming JSON parser, sans-IO: bytes in, values out. Built for evidence files of hundreds of MB (HAR, NetLog)
// that must not be loaded whole: the caller says which paths to *emit* (e.g. every `log.entries[i]`), each such
// value is handed out as soon as it completes and is not kept in the tree; everything else is built into `root`.
// Errors never throw: they are returned with the byte offset where the input went wrong, and parsing stops there
// (JSON has no reliable resynchronisation point). A truncated input keeps every value that completed before the cut.

export type JsonPath = (string | number)[];

export interface JsonStreamOptions {
  /** True for a path whose value is emitted as soon as it completes (and left out of `root`). Not nested. */
  emit?: (path: readonly (string | number)[]) => boolean;
  /** Deepest nesting accepted (objects + arrays). Default 512. */
  maxDepth?: number;
  /** Longest string kept, in UTF-8 bytes; longer strings are cut to this and a warning is returned. Default 64 MiB. */
  maxStringBytes?: number;
}

export type JsonStreamEvent =
  | { type: 'value'; path: JsonPath; value: unknown; offset: number; end: number }
  | { type: 'error'; code: string; message: string; offset: number }
  | { type: 'warning'; code: string; message: string; offset: number };

export interface JsonStreamEnd {
  events: JsonStreamEvent[];
  /** The top-level value, with emitted values left out. For a truncated input, the part that was read. */
  root: unknown;
  /** True when exactly one complete JSON value (and only whitespace) was read. */
  complete: boolean;
  /** True when the input ended inside a value (file cut off). */
  truncated: boolean;
  /** Bytes consumed in total. */
  bytes: number;
}

interface Frame {
  kind: 'obj' | 'arr';
  value: Record<string, unknown> | unknown[];
  /** Pending key (objects) or next index (arrays). */
  key: string | null;
  index: number;
  /** This container is an emitted value (or inside one): its completion emits / attaches. */
  emitted: boolean;
  /** This frame is the root of an emitted value. */
  emitRoot: boolean;
  start: number;
  /** Object state: expecting key / colon / value / comma-or-close; array: value / comma-or-close. */
  expect: 'key-or-close' | 'key' | 'colon' | 'value' | 'comma-or-close' | 'value-or-close';
}

enum Mode {
  Value = 0, // between tokens (what is expected is in the top frame)
  String = 1,
  Scalar = 2, // number or literal
  Done = 3, // root complete: only whitespace allowed
  Failed = 4,
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const encoder = new TextEncoder();

function isWs(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function isScalarByte(b: number): boolean {
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x61 && b <= 0x7a) ||
    (b >= 0x41 && b <= 0x5a) ||
    b === 0x2d ||
    b === 0x2b ||
    b === 0x2e
  );
}

function hexVal(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

// \" \\ \/ \b \f \n \r \t → the byte each stands for.
const SIMPLE_ESCAPES = new Map([
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x2f, 0x2f],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);
const NUMBER_RE = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

export class JsonStreamParser {
  private readonly emitFn: (path: readonly (string | number)[]) => boolean;
  private readonly maxDepth: number;
  private readonly maxString: number;

  private mode: Mode = Mode.Value;
  private readonly stack: Frame[] = [];
  private readonly path: JsonPath = [];
  private root: unknown = undefined;
  private rootSet = false;
  private pos = 0; // global byte offset of the next byte
  private events: JsonStreamEvent[] = [];
  private bomChecked = false;

  // string state
  private strBuf: Uint8Array = new Uint8Array(256);
  private strLen = 0;
  private strIsKey = false;
  private strStart = 0;
  private strEsc = 0; // 0 none, 1 after backslash, 2..5 reading \u hex digits
  private strU = 0;
  private strHigh = -1; // pending high surrogate
  private strCut = false;

  // scalar state
  private scalar = '';
  private scalarStart = 0;

  constructor(opts: JsonStreamOptions = {}) {
    this.emitFn = opts.emit ?? (() => false);
    this.maxDepth = opts.maxDepth ?? 512;
    this.maxString = opts.maxStringBytes ?? 64 * 1024 * 1024;
  }

  /** Feed the next bytes; returns the values/problems completed by them. */
  push(chunk: Uint8Array): JsonStreamEvent[] {
    this.events = [];
    if (this.mode === Mode.Failed) {
      this.pos += chunk.length;
      return this.events;
    }
    let i = 0;
    if (!this.bomChecked && this.pos === 0 && chunk.length > 0) {
      this.bomChecked = true;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const base = this.pos;
    const n = chunk.length;
    while (i < n && !this.isFailed()) {
      if (this.mode === Mode.String) {
        i = this.stringBytes(chunk, i, base);
        continue;
      }
      const b = chunk[i];
      if (this.mode === Mode.Scalar) {
        // Scalars end at a delimiter; the delimiter is then handled in Value mode. Take the run at once.
        let j = i;
        while (j < n && isScalarByte(chunk[j])) j++;
        if (j > i) {
          if (this.scalar.length + (j - i) > 512) {
            this.fail('JSON_BAD_TOKEN', 'number or literal too long', this.scalarStart);
            break;
          }
          this.scalar += asciiString(chunk, i, j);
          i = j;
        }
        if (i < n) this.finishScalar(); // then re-examine chunk[i] in Value/Done mode
        continue;
      }
      if (isWs(b)) {
        i++;
        continue;
      }
      const off = base + i;
      if (this.mode === Mode.Done) {
        this.fail('JSON_TRAILING_DATA', 'data after the end of the JSON value', off);
        break;
      }
      this.token(b, off);
      i++;
    }
    this.pos = base + n;
    return this.events;
  }

  private isFailed(): boolean {
    return this.mode === Mode.Failed;
  }

  /** No more input: report truncation, hand back the root (partial if cut off). */
  end(): JsonStreamEnd {
    this.events = [];
    if (this.mode === Mode.Scalar) {
      // A number or literal at the very end: complete at top level, cut off inside a container.
      if (this.stack.length === 0) this.finishScalar();
      else this.mode = Mode.Value;
    }
    let truncated = false;
    if (this.mode !== Mode.Failed && this.mode !== Mode.Done) {
      if (!this.rootSet && this.stack.length === 0 && this.mode !== Mode.String) {
        this.events.push({
          type: 'error',
          code: 'JSON_EMPTY',
          message: 'no JSON value in the input',
          offset: this.pos,
        });
      } else {
        truncated = true;
        const where = this.path.length ? ` inside ${formatPath(this.path)}` : '';
        this.events.push({
          type: 'error',
          code: 'JSON_TRUNCATED',
          message: `input ends in the middle of a value${where} (file cut off?)`,
          offset: this.pos,
        });
      }
    }
    const complete = this.mode === Mode.Done;
    return {
      events: this.events,
      root: complete ? this.root : this.partialRoot(),
      complete,
      truncated,
      bytes: this.pos,
    };
  }

  private partialRoot(): unknown {
    if (this.rootSet) return this.root;
    // Link the open containers (outermost first) so the caller sees what was read. Emitted subtrees are left out.
    let root: unknown;
    for (let d = 0; d < this.stack.length; d++) {
      const f = this.stack[d];
      if (f.emitted) break;
      if (d === 0) root = f.value;
      const child = this.stack[d + 1];
      if (!child || child.emitted) break;
      if (f.kind === 'obj' && f.key !== null) setKey(f.value as Record<string, unknown>, f.key, child.value);
      else if (f.kind === 'arr') (f.value as unknown[]).push(child.value);
    }
    return root;
  }

  private fail(code: string, message: string, offset: number): void {
    this.mode = Mode.Failed;
    this.events.push({ type: 'error', code, message, offset });
  }

  /** One structural byte (not whitespace) in Value mode. */
  private token(b: number, off: number): void {
    const top = this.stack[this.stack.length - 1];
    const expect = top ? top.expect : 'value';
    switch (expect) {
      case 'key-or-close':
      case 'key':
        if (b === 0x22) {
          this.startString(true, off);
          return;
        }
        if (b === 0x7d && expect === 'key-or-close') {
          this.closeContainer(off);
          return;
        }
        this.fail('JSON_BAD_TOKEN', `expected a key string, got ${describe(b)}`, off);
        return;
      case 'colon':
        if (b === 0x3a) {
          top!.expect = 'value';
          return;
        }
        this.fail('JSON_BAD_TOKEN', `expected ':' after a key, got ${describe(b)}`, off);
        return;
      case 'comma-or-close':
        if (b === 0x2c) {
          top!.expect = top!.kind === 'obj' ? 'key' : 'value';
          if (top!.kind === 'obj') this.path.pop();
          return;
        }
        if ((b === 0x7d && top!.kind === 'obj') || (b === 0x5d && top!.kind === 'arr')) {
          this.closeContainer(off);
          return;
        }
        this.fail('JSON_BAD_TOKEN', `expected ',' or a closing bracket, got ${describe(b)}`, off);
        return;
      case 'value-or-close':
        if (b === 0x5d) {
          this.closeContainer(off);
          return;
        }
        this.startValue(b, off);
        return;
      default:
        this.startValue(b, off);
    }
  }

  private startValue(b: number, off: number): void {
    const top = this.stack[this.stack.length - 1];
    if (top?.kind === 'arr') this.path.push(top.index);
    if (b === 0x7b || b === 0x5b) {
      if (this.stack.length >= this.maxDepth) {
        this.fail('JSON_TOO_DEEP', `nesting deeper than ${this.maxDepth}`, off);
        return;
      }
      const inEmit = top?.emitted ?? false;
      const emitRoot = !inEmit && this.emitFn(this.path);
      this.stack.push({
        kind: b === 0x7b ? 'obj' : 'arr',
        value: b === 0x7b ? {} : [],
        key: null,
        index: 0,
        emitted: inEmit || emitRoot,
        emitRoot,
        start: off,
        expect: b === 0x7b ? 'key-or-close' : 'value-or-close',
      });
      return;
    }
    if (b === 0x22) {
      this.startString(false, off);
      return;
    }
    if (b === 0x2d || (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e) {
      this.mode = Mode.Scalar;
      this.scalar = String.fromCharCode(b);
      this.scalarStart = off;
      return;
    }
    if (top?.kind === 'arr') this.path.pop();
    this.fail('JSON_BAD_TOKEN', `expected a value, got ${describe(b)}`, off);
  }

  private finishScalar(): void {
    this.mode = Mode.Value;
    const s = this.scalar;
    let v: unknown;
    if (s === 'true') v = true;
    else if (s === 'false') v = false;
    else if (s === 'null') v = null;
    else if (NUMBER_RE.test(s)) v = Number(s);
    else {
      this.fail('JSON_BAD_TOKEN', `not a JSON number or literal: ${JSON.stringify(s.slice(0, 40))}`, this.scalarStart);
      return;
    }
    this.completeValue(v, this.scalarStart, this.scalarStart + s.length);
  }

  private startString(isKey: boolean, off: number): void {
    this.mode = Mode.String;
    this.strIsKey = isKey;
    this.strLen = 0;
    this.strStart = off;
    this.strEsc = 0;
    this.strHigh = -1;
    this.strCut = false;
  }

  private appendBytes(src: Uint8Array, from: number, to: number): void {
    let len = to - from;
    if (len <= 0) return;
    if (this.strLen + len > this.maxString) {
      len = this.maxString - this.strLen;
      this.strCut = true;
      if (len <= 0) return;
    }
    this.ensure(this.strLen + len);
    if (len < 32) for (let k = 0; k < len; k++) this.strBuf[this.strLen + k] = src[from + k];
    else this.strBuf.set(src.subarray(from, from + len), this.strLen);
    this.strLen += len;
  }

  private ensure(need: number): void {
    if (need <= this.strBuf.length) return;
    let cap = this.strBuf.length * 2;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.strBuf.subarray(0, this.strLen));
    this.strBuf = nb;
  }

  private appendCodePoint(cp: number): void {
    const enc = encoder.encode(String.fromCodePoint(cp));
    this.appendBytes(enc, 0, enc.length);
  }

  /** Consume string bytes from `i`; returns the next index. */
  private stringBytes(chunk: Uint8Array, i: number, base: number): number {
    const n = chunk.length;
    while (i < n && this.mode === Mode.String && !this.isFailed()) {
      if (this.strEsc === 0) i = this.plainRun(chunk, i, base);
      else if (this.strEsc === 1) i = this.escapeByte(chunk[i], base + i) ? i + 1 : n;
      else i = this.hexDigit(chunk[i], base + i) ? i + 1 : n;
    }
    return i;
  }

  /** Unescaped bytes up to the next quote, backslash or control byte; returns the next index. */
  private plainRun(chunk: Uint8Array, i: number, base: number): number {
    const n = chunk.length;
    let j = i;
    let high = 0;
    while (j < n) {
      const c = chunk[j];
      if (c === 0x22 || c === 0x5c || c < 0x20) break;
      high |= c;
      j++;
    }
    // Whole string in this chunk without escapes (the common case): decode in place, no copy.
    if (j < n && chunk[j] === 0x22 && this.strLen === 0 && this.strHigh < 0 && j - i <= this.maxString) {
      const str = high < 0x80 && j - i < 64 ? asciiString(chunk, i, j) : decoder.decode(chunk.subarray(i, j));
      this.finishString(base + j + 1, str);
      return j + 1;
    }
    if (j > i) {
      this.flushHighSurrogate();
      this.appendBytes(chunk, i, j);
    }
    if (j >= n) return n;
    const c = chunk[j];
    if (c === 0x22) {
      this.flushHighSurrogate();
      this.finishString(base + j + 1);
    } else if (c === 0x5c) {
      this.strEsc = 1;
    } else {
      this.fail('JSON_BAD_STRING', `control byte 0x${c.toString(16).padStart(2, '0')} inside a string`, base + j);
      return n;
    }
    return j + 1;
  }

  /** The byte after a backslash; false when it is not a JSON escape (the stream has failed). */
  private escapeByte(c: number, off: number): boolean {
    if (c === 0x75) {
      this.strEsc = 2;
      this.strU = 0;
      return true;
    }
    this.flushHighSurrogate();
    const out = SIMPLE_ESCAPES.get(c);
    if (out === undefined) {
      this.fail('JSON_BAD_STRING', `bad escape \\${describe(c)}`, off);
      return false;
    }
    this.appendBytes(Uint8Array.of(out), 0, 1);
    this.strEsc = 0;
    return true;
  }

  /** One of the four hex digits of \uXXXX; false when it is not one (the stream has failed). */
  private hexDigit(c: number, off: number): boolean {
    const h = hexVal(c);
    if (h < 0) {
      this.fail('JSON_BAD_STRING', 'bad \\u escape', off);
      return false;
    }
    this.strU = (this.strU << 4) | h;
    this.strEsc++;
    if (this.strEsc < 6) return true;
    this.strEsc = 0;
    const u = this.strU;
    if (u >= 0xd800 && u <= 0xdbff) {
      if (this.strHigh >= 0) this.appendCodePoint(0xfffd);
      this.strHigh = u;
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      if (this.strHigh >= 0) {
        this.appendCodePoint(0x10000 + ((this.strHigh - 0xd800) << 10) + (u - 0xdc00));
        this.strHigh = -1;
      } else this.appendCodePoint(0xfffd);
    } else {
      this.flushHighSurrogate();
      this.appendCodePoint(u);
    }
    return true;
  }

  /** A high surrogate not followed by its low half becomes U+FFFD. */
  private flushHighSurrogate(): void {
    if (this.strHigh < 0) return;
    this.appendCodePoint(0xfffd);
    this.strHigh = -1;
  }

  private finishString(end: number, direct?: string): void {
    this.mode = Mode.Value;
    const s = direct ?? decoder.decode(this.strBuf.subarray(0, this.strLen));
    if (this.strBuf.length > 1 << 20) this.strBuf = new Uint8Array(256); // don't hold a huge buffer forever
    if (this.strCut) {
      this.events.push({
        type: 'warning',
        code: 'JSON_STRING_CUT',
        message: `string longer than ${this.maxString} bytes was cut`,
        offset: this.strStart,
      });
    }
    if (this.strIsKey) {
      const top = this.stack[this.stack.length - 1]!;
      top.key = s;
      top.expect = 'colon';
      this.path.push(s);
      return;
    }
    this.completeValue(s, this.strStart, end);
  }

  private closeContainer(off: number): void {
    const f = this.stack.pop()!;
    if (f.kind === 'obj' && f.key !== null && f.expect === 'comma-or-close') this.path.pop();
    this.completeValue(f.value, f.start, off + 1, f);
  }

  /** A value finished: emit it or attach it to its parent; then the parent expects a comma or a close. */
  private completeValue(v: unknown, start: number, end: number, frame?: Frame): void {
    const parent = this.stack[this.stack.length - 1];
    const emitHere = frame ? frame.emitRoot : !(parent?.emitted ?? false) && this.emitFn(this.path);
    if (emitHere) {
      this.events.push({ type: 'value', path: this.path.slice(), value: v, offset: start, end });
    }
    if (!parent) {
      this.root = v;
      this.rootSet = true;
      this.mode = Mode.Done;
      return;
    }
    if (parent.kind === 'arr') {
      if (!emitHere) (parent.value as unknown[]).push(v);
      parent.index++;
      this.path.pop();
    } else if (!emitHere) {
      setKey(parent.value as Record<string, unknown>, parent.key!, v);
    }
    parent.expect = 'comma-or-close';
  }
}

function asciiString(b: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let k = from; k < to; k++) s += String.fromCharCode(b[k]);
  return s;
}

function setKey(obj: Record<string, unknown>, key: string, v: unknown): void {
  // A hostile "__proto__" key must not change the object's prototype.
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}

function describe(b: number): string {
  if (b >= 0x21 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}

export function formatPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || '(root)';
}

/** Parse a whole buffer (small inputs, tests). */
export function parseJsonBytes(
  bytes: Uint8Array,
  opts: JsonStreamOptions = {},
): JsonStreamEnd & { all: JsonStreamEvent[] } {
  const p = new JsonStreamParser(opts);
  const all = p.push(bytes).slice();
  const e = p.end();
  all.push(...e.events);
  return { ...e, all };
}
