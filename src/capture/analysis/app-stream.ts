// The application layer of one TCP flow: sniffs the first bytes (HTTP request, TLS record, or WebSocket frames
// when the capture started after the upgrade), then drives the matching decoders — HTTP Upgrade → WebSocket
// frames/messages, or TLS records (→ optional decryption hook → the same HTTP/WebSocket pipeline on plaintext).
// Sans-IO: in-order stream bytes in (from tcp-reassembly), callbacks out.

import {
  type HttpHead,
  HttpHeadCollector,
  isWebSocketUpgrade,
  looksLikeHttp,
  negotiatedDeflate,
} from './http-upgrade.ts';
import { RhythmTracker } from './keepalive-rhythm.ts';
import { clientHelloSni, TlsRecordParser } from './tls-records.ts';
import { WsFrameParser, type WsFrameSink } from './ws-frames.ts';
import { type WsControl, type WsMessage, WsMessageAssembler } from './ws-stream.ts';

export type Side = 0 | 1; // 0 = client → server, 1 = server → client

/**
 * Hook for TLS decryption (implemented with src/capture/tls/tls-session.ts when keys are available).
 * Called for every TLS record of one connection, both directions, in capture order. Returns the application-data
 * plaintext the record carried, or null (not application data, or not decryptable).
 */
export interface TlsRecordHook {
  onTlsRecord(
    dir: 'c2s' | 's2c',
    contentType: number,
    version: number,
    body: Uint8Array,
    ts: number,
  ): Uint8Array | null;
}

export interface WsOpenInfo {
  host?: string;
  path?: string;
  deflate: boolean;
  /** Seen inside TLS (decrypted). */
  secure: boolean;
  /** No HTTP Upgrade seen: frames were recognised mid-stream. */
  midStream: boolean;
  status?: number;
}

export interface AppSink {
  wsOpen(info: WsOpenInfo, ts: number): void;
  /** The HTTP request was answered with something other than 101 (or was not an upgrade). */
  httpExchange(req: HttpHead | undefined, status: number | undefined, ts: number): void;
  wsMessage(dir: Side, m: WsMessage, ts: number): void;
  wsControl(dir: Side, c: WsControl, ts: number): void;
  tlsRecord(dir: Side, contentType: number, length: number, ts: number): void;
  tlsHello(sni: string | undefined, ts: number): void;
  problem(code: string, message: string, ts: number): void;
  /**
   * The side we took for the server sent an HTTP request (flow seen mid-stream, orientation guessed from ports).
   * Return true when the caller swapped the flow's sides: this data then belongs to the client (side 0).
   */
  requestFromServerSide?(): boolean;
  /** Optional: every WebSocket frame (opcode and wire payload length), for frame-level comparisons. */
  wsFrame?(dir: Side, opcode: number, length: number, ts: number): void;
}

export type AppKind = 'sniff' | 'http' | 'ws' | 'tls' | 'none';

/** HTTP → WebSocket on one byte stream pair (plain TCP, or TLS plaintext). */
class HttpWs {
  kind: 'http' | 'ws' | 'none' = 'http';
  private req = new HttpHeadCollector('request');
  private resp = new HttpHeadCollector('response');
  private reqHead?: HttpHead;
  /** Bytes of either side that arrived after its head but before the 101 was seen (bounded). */
  private early: [Uint8Array[], Uint8Array[]] = [[], []];
  private ws?: [WsFrameParser, WsFrameParser];

  constructor(
    private readonly sink: AppSink,
    private readonly secure: boolean,
  ) {}

  startMidStream(deflate: boolean): void {
    this.kind = 'ws';
    this.openWs({ deflate, secure: this.secure, midStream: true }, false, false, 0);
  }

  data(dir: Side, bytes: Uint8Array, ts: number): void {
    if (this.kind === 'none') return;
    if (this.kind === 'ws') {
      this.ws?.[dir].push(bytes, ts);
      return;
    }
    const col = dir === 0 ? this.req : this.resp;
    if (col.done) {
      if (this.early[dir].length < 64) this.early[dir].push(bytes.slice());
      return;
    }
    const r = col.push(bytes);
    if (r.kind === 'need-more') return;
    if (r.kind === 'error') {
      this.sink.problem(r.code, r.message, ts);
      this.kind = 'none';
      return;
    }
    if (dir === 0) {
      this.reqHead = r.head;
      if (r.rest.length) this.early[0].push(r.rest.slice());
      return;
    }
    const status = r.head.status ?? 0;
    if (status === 101 && (!this.reqHead || isWebSocketUpgrade(this.reqHead))) {
      const d = negotiatedDeflate(r.head.headers.get('sec-websocket-extensions'));
      this.kind = 'ws';
      this.openWs(
        {
          host: this.reqHead?.headers.get('host'),
          path: this.reqHead?.target,
          deflate: d.enabled,
          secure: this.secure,
          midStream: false,
          status,
        },
        d.clientNoContextTakeover,
        d.serverNoContextTakeover,
        ts,
      );
      const early = this.early;
      this.early = [[], []];
      for (const b of early[0]) this.ws?.[0].push(b, ts);
      if (r.rest.length) this.ws?.[1].push(r.rest, ts);
      for (const b of early[1]) this.ws?.[1].push(b, ts);
    } else {
      // Plain HTTP (or a refused upgrade): nothing more to decode on this connection.
      this.sink.httpExchange(this.reqHead, status, ts);
      this.kind = 'none';
      this.early = [[], []];
    }
  }

  private openWs(info: WsOpenInfo, clientNoCtx: boolean, serverNoCtx: boolean, ts: number): void {
    const mk = (dir: Side, noCtx: boolean) => {
      const asm = new WsMessageAssembler(
        {
          message: (m, t) => this.sink.wsMessage(dir, m, t),
          control: (c, t) => this.sink.wsControl(dir, c, t),
          error: (code, msg, _off, t) => this.sink.problem(code, `${dir === 0 ? 'c2s' : 's2c'}: ${msg}`, t),
        },
        { deflate: info.deflate, noContextTakeover: noCtx },
      );
      const tap = this.sink.wsFrame?.bind(this.sink);
      const frameSink: WsFrameSink = tap
        ? {
            frame: (f, t) => {
              tap(dir, f.opcode, f.length, t);
              asm.frame(f, t);
            },
            error: (c, m, o, t) => asm.error(c, m, o, t),
          }
        : asm;
      return new WsFrameParser(frameSink);
    };
    this.ws = [mk(0, clientNoCtx), mk(1, serverNoCtx)];
    this.sink.wsOpen(info, ts);
  }
}

/** Is this the start of a WebSocket frame as `dir` would send it (client frames masked, server frames not)? */
function looksLikeWsFrame(b: Uint8Array, dir: Side): boolean {
  if (b.length < 2) return false;
  const op = b[0] & 0x0f;
  const okOp = op === 1 || op === 2 || op === 8 || op === 9 || op === 10;
  const masked = (b[1] & 0x80) !== 0;
  if (!okOp || (b[0] & 0x30) !== 0 || masked !== (dir === 0)) return false;
  // The whole first frame must fit in this chunk (segments usually carry whole small frames), and a text frame
  // must start with printable text: random bytes rarely pass both.
  let len = b[1] & 0x7f;
  let p = 2;
  if (len === 126) {
    if (b.length < 4) return false;
    len = (b[2] << 8) | b[3];
    p = 4;
  } else if (len === 127) return false;
  const maskAt = p;
  if (masked) p += 4;
  if (p + len > b.length) return false;
  if (op === 1 && len > 0) {
    const c = masked ? b[p] ^ b[maskAt] : b[p];
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Chunks a mid-stream flow may offer before we give up recognising it. */
const MID_STREAM_SNIFFS = 16;

export class AppStream {
  kind: AppKind = 'sniff';
  private httpws?: HttpWs;
  private tls?: [TlsRecordParser, TlsRecordParser];
  /** TLS plaintext pipeline (only with a decryption hook). */
  private inner?: HttpWs;
  readonly rhythm = new RhythmTracker();
  sni?: string;
  tlsRecords = 0;
  tlsAppRecords = 0;
  decryptedRecords = 0;

  constructor(
    private readonly sink: AppSink,
    /** The flow was seen from its SYN: a stream not starting with HTTP/TLS is not a mid-stream WebSocket. */
    private readonly fromStart: boolean,
    private readonly hookFactory?: () => TlsRecordHook | null,
  ) {}

  private hook: TlsRecordHook | null | undefined = undefined;

  data(dir: Side, bytes: Uint8Array, ts: number): void {
    if (this.released) return;
    if (this.kind === 'sniff') {
      if (dir === 1 && !this.fromStart && looksLikeHttp(bytes, 'request') && this.sink.requestFromServerSide?.()) {
        dir = 0;
      }
      this.sniff(dir, bytes);
    }
    switch (this.kind) {
      case 'http':
      case 'ws':
        this.httpws?.data(dir, bytes, ts);
        if (this.httpws) this.kind = this.httpws.kind === 'ws' ? 'ws' : this.httpws.kind === 'none' ? 'none' : 'http';
        return;
      case 'tls':
        this.tls?.[dir].push(bytes, ts);
        return;
      default:
        return;
    }
  }

  private sniffs = 0;

  private sniff(dir: Side, b: Uint8Array): void {
    if (b.length === 0) return;
    this.sniffs++;
    const handshake = b[0] === 22 && (b.length < 2 || b[1] === 3);
    const midTls = !this.fromStart && b.length >= 3 && b[0] >= 20 && b[0] <= 23 && b[1] === 3 && b[2] <= 4;
    if (handshake || midTls) {
      this.startTls();
      return;
    }
    if (dir === 0 && looksLikeHttp(b, 'request')) {
      this.kind = 'http';
      this.httpws = new HttpWs(this.sink, false);
      return;
    }
    if (!this.fromStart && looksLikeWsFrame(b, dir)) {
      this.kind = 'ws';
      this.httpws = new HttpWs(this.sink, false);
      this.httpws.startMidStream((b[0] & 0x40) !== 0);
      return;
    }
    // Mid-stream the first bytes may be the tail of an earlier message: look at a few more chunks.
    if (!this.fromStart && this.sniffs < MID_STREAM_SNIFFS) return;
    this.kind = 'none';
  }

  private startTls(): void {
    this.kind = 'tls';
    const keepAppData = this.hookFactory !== undefined;
    const mk = (dir: Side) =>
      new TlsRecordParser(
        {
          record: (r, ts) => {
            this.tlsRecords++;
            if (r.contentType === 23) {
              this.tlsAppRecords++;
              this.rhythm.add(dir, ts, r.length);
            }
            if (r.contentType === 22 && dir === 0 && this.tlsRecords <= 2 && this.sni === undefined) {
              this.sni = clientHelloSni(r.body);
              if (r.body[0] === 1) this.sink.tlsHello(this.sni, ts);
            }
            this.sink.tlsRecord(dir, r.contentType, r.length, ts);
            if (this.hook === undefined) {
              this.hook = this.hookFactory?.() ?? null;
              // No keys for this connection: application-data bodies have no reader, so stop copying them.
              if (this.hook === null && this.tls) {
                this.tls[0].keepAppData = false;
                this.tls[1].keepAppData = false;
              }
            }
            if (this.hook) {
              const plain = this.hook.onTlsRecord(dir === 0 ? 'c2s' : 's2c', r.contentType, r.version, r.body, ts);
              if (plain && plain.length > 0) {
                this.decryptedRecords++;
                if (!this.inner) this.inner = new HttpWs(this.sink, true);
                this.inner.data(dir, plain, ts);
              }
            }
          },
          error: (code, msg, _off, ts) => this.sink.problem(code, `${dir === 0 ? 'c2s' : 's2c'}: ${msg}`, ts),
        },
        keepAppData,
      );
    this.tls = [mk(0), mk(1)];
  }

  /** The flow ended: drop decoder state and buffers, keep counters, SNI and the rhythm for the summaries. */
  release(): void {
    this.tls?.[0].release();
    this.tls?.[1].release();
    this.tls = undefined;
    this.httpws = undefined;
    this.inner = undefined;
    this.hook = null;
    this.released = true;
  }

  released = false;

  /** The WebSocket pipeline is active (plain or decrypted). */
  get isWebSocket(): boolean {
    return this.kind === 'ws' || this.inner?.kind === 'ws';
  }
}
