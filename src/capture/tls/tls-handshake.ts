// Handshake layer: reassembles handshake messages from record fragments (a message may span records, a record may
// hold several messages) and parses the ones that matter for decryption and reporting: ClientHello, ServerHello
// (incl. HelloRetryRequest and supported_versions), EncryptedExtensions (ALPN in TLS 1.3), KeyUpdate. Never throws:
// a malformed message yields `problem` and whatever fields could be read.

export const HS_TYPE = {
  HELLO_REQUEST: 0,
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  NEW_SESSION_TICKET: 4,
  END_OF_EARLY_DATA: 5,
  ENCRYPTED_EXTENSIONS: 8,
  CERTIFICATE: 11,
  SERVER_KEY_EXCHANGE: 12,
  CERTIFICATE_REQUEST: 13,
  SERVER_HELLO_DONE: 14,
  CERTIFICATE_VERIFY: 15,
  CLIENT_KEY_EXCHANGE: 16,
  FINISHED: 20,
  CERTIFICATE_STATUS: 22,
  KEY_UPDATE: 24,
  MESSAGE_HASH: 254,
} as const;

const HS_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(HS_TYPE).map(([k, v]) => [v, k.toLowerCase()]),
);

export function handshakeTypeName(type: number): string {
  return HS_NAMES[type] ?? `unknown_${type}`;
}

const EXT_SNI = 0;
const EXT_ALPN = 16;
const EXT_EMS = 23;
const EXT_EARLY_DATA = 42;
const EXT_SUPPORTED_VERSIONS = 43;

/** SHA-256("HelloRetryRequest"): a ServerHello with this random is a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export interface ClientHelloInfo {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  /** server_name (host_name) if present. */
  sni?: string;
  /** ALPN protocols offered, in order. */
  alpn: string[];
  /** supported_versions list (TLS 1.3 clients), empty if absent. */
  supportedVersions: number[];
  /** early_data extension present (0-RTT attempted). */
  earlyData: boolean;
  /** Extension types in order (GREASE included). */
  extensions: number[];
}

export interface ServerHelloInfo {
  legacyVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  /** Negotiated version: supported_versions' selected_version if present, else legacy_version. */
  version: number;
  /** This ServerHello is a HelloRetryRequest (a second ClientHello follows). */
  helloRetryRequest: boolean;
  /** ALPN protocol selected (TLS 1.2; TLS 1.3 carries it in EncryptedExtensions). */
  alpn?: string;
  extendedMasterSecret: boolean;
  extensions: number[];
}

export interface EncryptedExtensionsInfo {
  alpn?: string;
  /** Server accepted 0-RTT. */
  earlyData: boolean;
  extensions: number[];
}

export interface HandshakeMessage {
  type: number;
  /** e.g. `client_hello`, `finished`, `unknown_99`. */
  name: string;
  /** Body length from the message header. */
  length: number;
  /** The message body (a copy; safe to keep). */
  body: Uint8Array;
  clientHello?: ClientHelloInfo;
  serverHello?: ServerHelloInfo;
  encryptedExtensions?: EncryptedExtensionsInfo;
  /** KeyUpdate (TLS 1.3): the peer asked us to update too. */
  keyUpdate?: { updateRequested: boolean };
  /** Set when the body could not be parsed fully; fields read before the error are kept. */
  problem?: string;
}

/** Bounds-checked big-endian reader: reading past the end sets `ok = false` and yields zeros/empty, never throws. */
class Reader {
  ok = true;
  constructor(
    private readonly b: Uint8Array,
    public pos = 0,
    private readonly end = b.length,
  ) {}
  get left(): number {
    return this.end - this.pos;
  }
  private need(n: number): boolean {
    if (this.pos + n > this.end) {
      this.ok = false;
      this.pos = this.end;
      return false;
    }
    return true;
  }
  u8(): number {
    return this.need(1) ? this.b[this.pos++] : 0;
  }
  u16(): number {
    if (!this.need(2)) return 0;
    const v = (this.b[this.pos] << 8) | this.b[this.pos + 1];
    this.pos += 2;
    return v;
  }
  u24(): number {
    if (!this.need(3)) return 0;
    const v = (this.b[this.pos] << 16) | (this.b[this.pos + 1] << 8) | this.b[this.pos + 2];
    this.pos += 3;
    return v;
  }
  bytes(n: number): Uint8Array {
    if (!this.need(n)) return new Uint8Array(0);
    const v = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** A sub-reader over the next `n` bytes. */
  sub(n: number): Reader {
    if (!this.need(n)) return new Reader(this.b, this.end, this.end);
    const r = new Reader(this.b, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
}

function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

function utf8(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

/** Walk an extensions block: calls `fn(type, reader)` for each; returns the types in order. */
function readExtensions(r: Reader, fn: (type: number, body: Reader) => void): number[] {
  const types: number[] = [];
  if (r.left === 0) return types; // extensions are optional in TLS 1.2 hellos
  const all = r.sub(r.u16());
  // Each extension takes at least 4 bytes, so this loop ends.
  while (all.ok && all.left >= 4) {
    const type = all.u16();
    const body = all.sub(all.u16());
    types.push(type);
    fn(type, body);
  }
  if (!all.ok || all.left !== 0) r.ok = false;
  return types;
}

function readAlpnList(r: Reader): string[] {
  const list = r.sub(r.u16());
  const out: string[] = [];
  while (list.ok && list.left > 0) {
    const p = list.bytes(list.u8());
    if (list.ok) out.push(latin1(p));
  }
  if (!list.ok) r.ok = false;
  return out;
}

export function parseClientHello(body: Uint8Array): { info: ClientHelloInfo; ok: boolean } {
  const r = new Reader(body);
  const info: ClientHelloInfo = {
    legacyVersion: r.u16(),
    random: r.bytes(32),
    sessionId: new Uint8Array(0),
    cipherSuites: [],
    alpn: [],
    supportedVersions: [],
    earlyData: false,
    extensions: [],
  };
  info.sessionId = r.bytes(r.u8());
  const suites = r.sub(r.u16());
  while (suites.ok && suites.left >= 2) info.cipherSuites.push(suites.u16());
  r.sub(r.u8()); // compression methods
  info.extensions = readExtensions(r, (type, e) => {
    if (type === EXT_SNI) {
      const list = e.sub(e.u16());
      while (list.ok && list.left > 0) {
        const nameType = list.u8();
        const name = list.bytes(list.u16());
        if (list.ok && nameType === 0 && info.sni === undefined) info.sni = utf8(name);
      }
    } else if (type === EXT_ALPN) {
      info.alpn = readAlpnList(e);
    } else if (type === EXT_SUPPORTED_VERSIONS) {
      const list = e.sub(e.u8());
      while (list.ok && list.left >= 2) info.supportedVersions.push(list.u16());
    } else if (type === EXT_EARLY_DATA) {
      info.earlyData = true;
    }
  });
  return { info, ok: r.ok && info.random.length === 32 };
}

export function parseServerHello(body: Uint8Array): { info: ServerHelloInfo; ok: boolean } {
  const r = new Reader(body);
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const info: ServerHelloInfo = {
    legacyVersion,
    random,
    sessionId: r.bytes(r.u8()),
    cipherSuite: r.u16(),
    version: legacyVersion,
    helloRetryRequest: random.length === 32 && Buffer.compare(random, HRR_RANDOM) === 0,
    extendedMasterSecret: false,
    extensions: [],
  };
  r.u8(); // compression method
  info.extensions = readExtensions(r, (type, e) => {
    if (type === EXT_SUPPORTED_VERSIONS) {
      const v = e.u16();
      if (e.ok) info.version = v;
    } else if (type === EXT_ALPN) {
      info.alpn = readAlpnList(e)[0];
    } else if (type === EXT_EMS) {
      info.extendedMasterSecret = true;
    }
  });
  return { info, ok: r.ok && random.length === 32 };
}

export function parseEncryptedExtensions(body: Uint8Array): { info: EncryptedExtensionsInfo; ok: boolean } {
  const r = new Reader(body);
  const info: EncryptedExtensionsInfo = { earlyData: false, extensions: [] };
  info.extensions = readExtensions(r, (type, e) => {
    if (type === EXT_ALPN) info.alpn = readAlpnList(e)[0];
    else if (type === EXT_EARLY_DATA) info.earlyData = true;
  });
  return { info, ok: r.ok };
}

/** Parse one complete handshake message body by type. Unknown types are returned with just their body. */
export function parseHandshakeMessage(type: number, body: Uint8Array): HandshakeMessage {
  const msg: HandshakeMessage = { type, name: handshakeTypeName(type), length: body.length, body };
  let ok = true;
  switch (type) {
    case HS_TYPE.CLIENT_HELLO: {
      const p = parseClientHello(body);
      msg.clientHello = p.info;
      ok = p.ok;
      break;
    }
    case HS_TYPE.SERVER_HELLO: {
      const p = parseServerHello(body);
      msg.serverHello = p.info;
      ok = p.ok;
      break;
    }
    case HS_TYPE.ENCRYPTED_EXTENSIONS: {
      const p = parseEncryptedExtensions(body);
      msg.encryptedExtensions = p.info;
      ok = p.ok;
      break;
    }
    case HS_TYPE.KEY_UPDATE:
      ok = body.length === 1 && body[0] <= 1;
      msg.keyUpdate = { updateRequested: body[0] === 1 };
      break;
  }
  if (!ok) msg.problem = `malformed ${msg.name}`;
  return msg;
}

/** Largest handshake message we buffer (certificate chains are far below this). */
export const MAX_HANDSHAKE_MESSAGE = 1 << 20;

/**
 * Reassembles handshake messages of one direction from record payloads. `push` returns the messages completed by
 * this fragment; a partial message stays buffered until the next push.
 */
export class HandshakeReassembler {
  private buf = new Uint8Array(0);
  /** Set after an oversized length: the stream cannot be resynchronised, further bytes are dropped. */
  broken = false;

  /** Bytes of an incomplete message waiting for more. */
  get pending(): number {
    return this.buf.length;
  }

  /** Forget a partial message (e.g. at a key change, where TLS 1.3 forbids a message to span). */
  clear(): void {
    this.buf = new Uint8Array(0);
  }

  push(fragment: Uint8Array): { messages: HandshakeMessage[]; problem?: string } {
    const messages: HandshakeMessage[] = [];
    if (this.broken) return { messages };
    let data = fragment;
    if (this.buf.length > 0) {
      data = new Uint8Array(this.buf.length + fragment.length);
      data.set(this.buf, 0);
      data.set(fragment, this.buf.length);
    }
    let pos = 0;
    // Each iteration consumes at least the 4-byte header, so the loop ends.
    while (data.length - pos >= 4) {
      const type = data[pos];
      const len = (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3];
      if (len > MAX_HANDSHAKE_MESSAGE) {
        this.broken = true;
        this.buf = new Uint8Array(0);
        return {
          messages,
          problem: `handshake message ${handshakeTypeName(type)} claims ${len} bytes; giving up on this direction's handshake`,
        };
      }
      if (data.length - pos - 4 < len) break;
      messages.push(parseHandshakeMessage(type, data.slice(pos + 4, pos + 4 + len)));
      pos += 4 + len;
    }
    this.buf = pos === data.length ? new Uint8Array(0) : data.slice(pos);
    return { messages };
  }
}
