// TLS record layer of one direction of a reassembled stream (RFC 8446 §5.1 / RFC 5246 §6.2), without keys:
// content type, version, length and time of every record. Incremental (any split gives the same records).
// A header that cannot be TLS stops the parser for that direction with one reported problem. Never throws.

export interface TlsRecord {
  /** 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat. */
  contentType: number;
  version: number;
  length: number;
  /** Record body (at most the record's length; valid only during the callback). */
  body: Uint8Array;
  streamOffset: number;
}

export interface TlsRecordSink {
  record(r: TlsRecord, ts: number): void;
  error(code: string, message: string, streamOffset: number, ts: number): void;
}

/** Largest legal record body: 2^14 plaintext + 2048 expansion (TLS 1.2), 2^14 + 256 in TLS 1.3. */
export const MAX_RECORD = (1 << 14) + 2048;

/** Does a stream start with a TLS record header (handshake, version 3.x)? Used to sniff flows. */
export function looksLikeTls(b: Uint8Array): boolean {
  if (b.length < 3) return b.length === 0 || b[0] === 22;
  return b[0] === 22 && b[1] === 3 && b[2] <= 4;
}

export class TlsRecordParser {
  private readonly hdr = new Uint8Array(5);
  private hdrLen = 0;
  /** Grown on demand: most flows never need a full-size record body (application data is skipped). */
  private body = new Uint8Array(0);
  private bodyLen = 0;
  private keep = true;
  private need = 0; // body bytes still needed; 0 = reading a header
  private failed = false;
  private offset = 0;
  private readonly rec: TlsRecord = { contentType: 0, version: 0, length: 0, body: new Uint8Array(0), streamOffset: 0 };
  records = 0;

  /**
   * @param keepAppData hand application-data bodies to the sink (for decryption); without it their bytes are only
   *   counted and `body` is empty for type 23, which saves a copy per record.
   */
  constructor(
    private readonly sink: TlsRecordSink,
    /** Mutable: the owner turns it off once it knows no key will ever read the bodies (takes effect next record). */
    public keepAppData = true,
  ) {}

  get stopped(): boolean {
    return this.failed;
  }

  push(bytes: Uint8Array, ts: number): void {
    let i = 0;
    const n = bytes.length;
    while (i < n && !this.failed) {
      if (this.need === 0) {
        while (i < n && this.hdrLen < 5) this.hdr[this.hdrLen++] = bytes[i++];
        if (this.hdrLen < 5) return;
        const h = this.hdr;
        const type = h[0];
        const version = (h[1] << 8) | h[2];
        const len = (h[3] << 8) | h[4];
        if (type < 20 || type > 24 || h[1] !== 3 || len > MAX_RECORD) {
          this.failed = true;
          this.sink.error(
            'TLS_BAD_RECORD',
            `not a TLS record header (type ${type}, version 0x${version.toString(16)}, length ${len})`,
            this.offset,
            ts,
          );
          return;
        }
        this.rec.contentType = type;
        this.rec.version = version;
        this.rec.length = len;
        this.rec.streamOffset = this.offset;
        this.bodyLen = 0;
        this.hdrLen = 0;
        this.need = len;
        this.keep = type !== 23 || this.keepAppData;
        if (this.keep && this.body.length < len)
          this.body = new Uint8Array(Math.max(len, Math.min(MAX_RECORD, this.body.length * 2)));
        if (len === 0) this.emit(ts);
        continue;
      }
      const take = Math.min(this.need, n - i);
      if (this.keep) {
        this.body.set(bytes.subarray(i, i + take), this.bodyLen);
        this.bodyLen += take;
      }
      this.need -= take;
      i += take;
      if (this.need === 0) this.emit(ts);
    }
  }

  /** Drop buffers (the flow ended); counters stay. */
  release(): void {
    this.body = new Uint8Array(0);
    this.failed = true;
  }

  private emit(ts: number): void {
    this.rec.body = this.body.subarray(0, this.bodyLen);
    this.offset += 5 + this.rec.length;
    this.records++;
    this.need = 0;
    this.sink.record(this.rec, ts);
  }
}

/** Server Name Indication from a ClientHello handshake record body, if present and complete. */
export function clientHelloSni(body: Uint8Array): string | undefined {
  // handshake: type(1)=1 len(3) | version(2) random(32) sid(1+n) suites(2+n) comp(1+n) ext(2+n)
  if (body.length < 4 || body[0] !== 1) return undefined;
  let p = 4 + 2 + 32;
  if (p >= body.length) return undefined;
  p += 1 + body[p];
  if (p + 2 > body.length) return undefined;
  p += 2 + ((body[p] << 8) | body[p + 1]);
  if (p >= body.length) return undefined;
  p += 1 + body[p];
  if (p + 2 > body.length) return undefined;
  const extEnd = Math.min(body.length, p + 2 + ((body[p] << 8) | body[p + 1]));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = (body[p] << 8) | body[p + 1];
    const len = (body[p + 2] << 8) | body[p + 3];
    p += 4;
    if (type === 0 && p + len <= extEnd && len >= 5) {
      // server_name_list: len(2) | type(1)=0 len(2) name
      const nameLen = (body[p + 3] << 8) | body[p + 4];
      if (body[p + 2] !== 0 || p + 5 + nameLen > extEnd) return undefined;
      let s = '';
      for (let i = 0; i < nameLen; i++) s += String.fromCharCode(body[p + 5 + i]);
      return s;
    }
    p += len;
  }
  return undefined;
}
