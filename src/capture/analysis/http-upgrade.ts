// HTTP/1.1 message heads on a reassembled stream, for WebSocket Upgrade detection (RFC 6455 §4): the request line,
// Host, path and Sec-WebSocket-Extensions of the client, the 101 status and negotiated extensions of the server.
// Sans-IO and incremental; a head longer than the cap or not HTTP is reported, never thrown.

export interface HttpHead {
  /** Request: method/target/version; response: version/status/reason. */
  method?: string;
  target?: string;
  status?: number;
  reason?: string;
  version: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Map<string, string>;
}

export type HeadResult =
  | { kind: 'need-more' }
  | { kind: 'head'; head: HttpHead /** bytes of the pushed chunk after the head */; rest: Uint8Array }
  | { kind: 'error'; code: string; message: string };

const MAX_HEAD = 16 * 1024;
const latin1 = new TextDecoder('latin1');

/** Collects one HTTP head (request or response) across chunks. */
export class HttpHeadCollector {
  private buf = new Uint8Array(0);
  done = false;

  constructor(private readonly expect: 'request' | 'response') {}

  push(chunk: Uint8Array): HeadResult {
    if (this.done) return { kind: 'error', code: 'HTTP_HEAD_DONE', message: 'head already complete' };
    const prev = this.buf.length;
    const all = new Uint8Array(prev + chunk.length);
    all.set(this.buf, 0);
    all.set(chunk, prev);
    const end = findHeadEnd(all, Math.max(0, prev - 3));
    if (end < 0) {
      if (all.length > MAX_HEAD) {
        this.done = true;
        return { kind: 'error', code: 'HTTP_HEAD_TOO_LONG', message: `no end of HTTP head in ${MAX_HEAD} bytes` };
      }
      if (!looksLikeHttp(all, this.expect)) {
        this.done = true;
        return { kind: 'error', code: 'HTTP_NOT_HTTP', message: `stream does not start with an HTTP ${this.expect}` };
      }
      this.buf = all;
      return { kind: 'need-more' };
    }
    this.done = true;
    const head = parseHead(latin1.decode(all.subarray(0, end)), this.expect);
    if (!head) return { kind: 'error', code: 'HTTP_BAD_HEAD', message: `malformed HTTP ${this.expect} head` };
    return { kind: 'head', head, rest: chunk.subarray(end - prev) };
  }
}

function findHeadEnd(b: Uint8Array, from: number): number {
  for (let i = from; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i + 4;
  }
  return -1;
}

const METHODS = ['GET ', 'POST', 'PUT ', 'HEAD', 'DELE', 'OPTI', 'PATC', 'CONN', 'TRAC'];

/** Cheap sniff of the first bytes: does this stream start like an HTTP request / response? */
export function looksLikeHttp(b: Uint8Array, expect: 'request' | 'response'): boolean {
  const n = Math.min(4, b.length);
  const s = latin1.decode(b.subarray(0, n));
  if (expect === 'response') return 'HTTP'.startsWith(s);
  return METHODS.some((m) => m.startsWith(s));
}

function parseHead(text: string, expect: 'request' | 'response'): HttpHead | undefined {
  const lines = text.split('\r\n');
  const first = lines[0] ?? '';
  const head: HttpHead = { version: '', headers: new Map() };
  if (expect === 'request') {
    const m = /^([A-Z]+) (\S+) (HTTP\/\d\.\d)$/.exec(first);
    if (!m) return undefined;
    head.method = m[1];
    head.target = m[2];
    head.version = m[3];
  } else {
    const m = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/.exec(first);
    if (!m) return undefined;
    head.version = m[1];
    head.status = Number(m[2]);
    head.reason = m[3] ?? '';
  }
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (l === '') continue;
    const c = l.indexOf(':');
    if (c <= 0) continue;
    const name = l.slice(0, c).trim().toLowerCase();
    const value = l.slice(c + 1).trim();
    const old = head.headers.get(name);
    head.headers.set(name, old === undefined ? value : `${old}, ${value}`);
  }
  return head;
}

export interface DeflateParams {
  enabled: boolean;
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
}

/** permessage-deflate parameters from the *response's* Sec-WebSocket-Extensions (what was agreed). */
export function negotiatedDeflate(ext: string | undefined): DeflateParams {
  const res: DeflateParams = { enabled: false, serverNoContextTakeover: false, clientNoContextTakeover: false };
  if (!ext) return res;
  for (const offer of ext.split(',')) {
    const params = offer.split(';').map((p) => p.trim().toLowerCase());
    if (params[0] !== 'permessage-deflate') continue;
    res.enabled = true;
    for (const p of params.slice(1)) {
      const name = p.split('=')[0].trim();
      if (name === 'server_no_context_takeover') res.serverNoContextTakeover = true;
      if (name === 'client_no_context_takeover') res.clientNoContextTakeover = true;
    }
    break;
  }
  return res;
}

/** Is this request a WebSocket upgrade? */
export function isWebSocketUpgrade(h: HttpHead): boolean {
  return (h.headers.get('upgrade') ?? '').toLowerCase().includes('websocket');
}
