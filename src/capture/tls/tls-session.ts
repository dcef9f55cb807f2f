// One TLS connection, sans-IO: the caller hands over every TLS record of both directions in capture order; the
// session follows the handshake (plaintext and, in TLS 1.3, encrypted), picks keys from the NSS key log, and returns
// for each record what it carried: handshake messages, application data, alerts — or why it cannot be decrypted.
// It never throws, never does I/O and never reads a clock.

import { parseAlert, type TlsAlert } from './alerts.ts';
import { type CipherSuite, cipherSuite, cipherSuiteName } from './cipher-suites.ts';
import { bytesToHex, type KeyLog, type TlsSecrets } from './keylog.ts';
import { DEFAULT_MIDSTREAM_SEARCH, findTls13Keys, type MidstreamSearch } from './midstream.ts';
import { type DecryptResult, RecordDecryptor } from './record-decryptor.ts';
import {
  type ClientHelloInfo,
  type HandshakeMessage,
  HandshakeReassembler,
  HS_TYPE,
  type ServerHelloInfo,
} from './tls-handshake.ts';
import { tls12KeyBlock } from './tls12-keys.ts';
import { hashLength, nextTrafficSecret, trafficKeys } from './tls13-keys.ts';

export type Direction = 'c2s' | 's2c';

/** TLS record content types (RFC 8446 §5.1). */
export const CONTENT_TYPE = {
  CHANGE_CIPHER_SPEC: 20,
  ALERT: 21,
  HANDSHAKE: 22,
  APPLICATION_DATA: 23,
  HEARTBEAT: 24,
} as const;

/**
 * Why an encrypted record could not be decrypted:
 * - `NO_KEYS`: the key log has no (usable) secret for this connection's client random and this stage.
 * - `UNSUPPORTED_CIPHER`: the negotiated suite/version is not an AEAD suite we implement (CBC, CCM, TLS ≤ 1.1).
 * - `AUTH_FAILED`: keys were found but the AEAD tag did not verify (wrong key, corrupted or missing records).
 * - `MISSING_HANDSHAKE`: the ClientHello/ServerHello (or the 1.2 ChangeCipherSpec) was not seen, e.g. the capture
 *   started mid-connection, so the keys cannot be chosen.
 * - `MALFORMED`: the record is too short to be an AEAD record.
 */
export type UndecryptableReason = 'NO_KEYS' | 'UNSUPPORTED_CIPHER' | 'AUTH_FAILED' | 'MISSING_HANDSHAKE' | 'MALFORMED';

export interface TlsNote {
  /** Stable code, e.g. `TLS_HANDSHAKE_MALFORMED`, `TLS_RECORDS_MISSING`. */
  code: string;
  message: string;
}

/** What one record carried. Exactly one `TlsOutput` per `onRecord` call. */
export interface TlsOutput {
  dir: Direction;
  /** The record's own (outer) content type, as passed in. */
  recordType: number;
  /**
   * Type of the content: for a decrypted TLS 1.3 record its inner content type, otherwise the record type
   * (also for undecryptable records).
   */
  contentType: number;
  /** The record was protected (TLS 1.3 outer application_data, or TLS 1.2 after ChangeCipherSpec). */
  encrypted: boolean;
  /** It was protected and decrypted successfully. */
  decrypted: boolean;
  /** Handshake messages completed by this record (plaintext or decrypted), in order. */
  handshake: HandshakeMessage[];
  /** Application data plaintext (decrypted), if this record carried application data. */
  appData?: Uint8Array;
  /** Alert carried by this record (plaintext or decrypted). */
  alert?: TlsAlert;
  /** A ChangeCipherSpec record (in TLS 1.3 a compatibility-mode no-op that is passed through). */
  changeCipherSpec: boolean;
  /** Set when the record was protected and could not be decrypted. */
  undecryptable?: { reason: UndecryptableReason; message: string };
  /** AEAD sequence number the record decrypted with (per direction, reset at every key change). */
  seq?: bigint;
  /** This record's KeyUpdate (TLS 1.3) switched its direction to the next traffic secret. */
  keyUpdated?: boolean;
  /** Non-fatal oddities found while processing this record. */
  notes: TlsNote[];
}

/** Summary of what the session learnt so far. */
export interface TlsSessionInfo {
  /** Negotiated version (0x0303 TLS 1.2, 0x0304 TLS 1.3), 0 before the ServerHello. */
  version: number;
  /** `TLS 1.2`, `TLS 1.3`, … or '' before the ServerHello. */
  versionName: string;
  cipherSuite?: number;
  cipherSuiteName?: string;
  sni?: string;
  /** ALPN protocol selected by the server (ServerHello in 1.2, EncryptedExtensions in 1.3). */
  alpn?: string;
  /** ALPN protocols the client offered. */
  alpnOffered: string[];
  clientRandom?: string;
  serverRandom?: string;
  helloRetryRequest: boolean;
  /** The key log holds secrets for this connection's client random. */
  keysFound: boolean;
  /** KeyUpdates applied per direction (TLS 1.3), keyed by the TLS client's/server's side. */
  keyUpdates: { c2s: number; s2c: number };
  /** The caller's directions were reversed: the ClientHello arrived as `s2c` (then `c2s` here means client → server). */
  directionSwapped: boolean;
  /** No handshake was seen; TLS 1.3 keys were found by trying the key log's traffic secrets. */
  midstream: boolean;
  /** Records decrypted / undecryptable so far, both directions. */
  decryptedRecords: number;
  undecryptableRecords: number;
}

type Stage = 'none' | 'early' | 'handshake' | 'application';

interface DirState {
  plainReasm: HandshakeReassembler;
  protReasm: HandshakeReassembler;
  /** TLS 1.2: a ChangeCipherSpec was seen; the records that follow are protected. */
  ccs: boolean;
  /** TLS 1.3 key stage. */
  stage: Stage;
  dec?: RecordDecryptor;
  /** TLS 1.3 traffic secret of the current stage (needed for KeyUpdate). */
  secret?: Uint8Array;
  /** Protected records seen since the last key change (to place the sequence number when keys arrive late). */
  stageRecords: number;
  /** Why `dec` is missing. */
  noKeys?: { reason: UndecryptableReason; message: string };
  keyUpdates: number;
  /** Mid-stream key searches done for this direction. */
  midstreamTries: number;
}

export interface TlsSessionOptions {
  /**
   * Key search when the handshake is not in the capture (TLS 1.3 only): every `*_TRAFFIC_SECRET_0` of the key log is
   * tried on the first protected records of each direction. `false` turns it off. Default
   * {@link DEFAULT_MIDSTREAM_SEARCH} (AES-GCM: any sequence number, found directly; ChaCha20: not searched).
   */
  midstream?: MidstreamSearch | false;
}

/** Full mid-stream key searches per connection (and single-entry searches per direction) before giving up. */
const MIDSTREAM_TRIES = 2;

/**
 * Records that may be missing from a capture before the one at hand: on an authentication failure the next
 * sequence numbers are tried too, so one lost record does not make the rest of the connection undecryptable.
 */
const SEQ_LOOKAHEAD = 4;

const VERSION_NAMES: Record<number, string> = {
  768: 'SSL 3.0',
  769: 'TLS 1.0',
  770: 'TLS 1.1',
  771: 'TLS 1.2',
  772: 'TLS 1.3',
};

function versionName(v: number): string {
  return VERSION_NAMES[v] ?? `0x${v.toString(16).padStart(4, '0')}`;
}

function newDir(): DirState {
  return {
    plainReasm: new HandshakeReassembler(),
    protReasm: new HandshakeReassembler(),
    ccs: false,
    stage: 'none',
    stageRecords: 0,
    keyUpdates: 0,
    midstreamTries: 0,
  };
}

/**
 * Decrypts one TLS connection. Create one per TCP connection; call {@link TlsSession.onRecord} for each record of
 * either direction in the order they were captured (the order matters only across directions for the handshake:
 * ClientHello and ServerHello before the protected records they key).
 */
export class TlsSession {
  private readonly c2s = newDir();
  private readonly s2c = newDir();
  private clientHello?: ClientHelloInfo;
  private serverHello?: ServerHelloInfo;
  private hrr = false;
  private alpn?: string;
  private suite?: CipherSuite;
  private decrypted = 0;
  private undecryptable = 0;
  /** The first handshake record has fixed which side is the client. */
  private sidesSettled = false;
  /** The caller's `c2s` is the TLS server (the ClientHello came as `s2c`). */
  private swapped = false;
  /** Key log searches over all entries done so far (mid-stream). */
  private fullSearches = 0;
  /** Keys found without a handshake (capture started mid-connection). */
  private midstream?: { clientRandom: string; suite: CipherSuite };

  /**
   * @param keylog secrets to use; looked up by client random when keys are first needed, and again while they are
   *   missing, so secrets merged into the same KeyLog later (pcapng Decryption Secrets Blocks) are picked up.
   * @param options see {@link TlsSessionOptions}
   */
  constructor(
    private readonly keylog: KeyLog,
    private readonly options: TlsSessionOptions = {},
  ) {}

  /**
   * Negotiated version: 0x0304 only when the ServerHello selected it via supported_versions (or when TLS 1.3 keys
   * were found mid-stream).
   */
  get version(): number {
    return this.serverHello?.version ?? (this.midstream ? 0x0304 : 0);
  }

  private get tls13(): boolean {
    return this.version === 0x0304;
  }

  /** What is known about the connection so far. */
  info(): TlsSessionInfo {
    const v = this.version;
    return {
      version: v,
      versionName: v === 0 ? '' : versionName(v),
      cipherSuite: this.serverHello?.cipherSuite ?? this.midstream?.suite.id,
      cipherSuiteName: this.serverHello ? cipherSuiteName(this.serverHello.cipherSuite) : this.midstream?.suite.name,
      sni: this.clientHello?.sni,
      alpn: this.alpn,
      alpnOffered: this.clientHello?.alpn ?? [],
      clientRandom: this.clientHello ? bytesToHex(this.clientHello.random) : this.midstream?.clientRandom,
      serverRandom: this.serverHello ? bytesToHex(this.serverHello.random) : undefined,
      helloRetryRequest: this.hrr,
      keysFound: this.secrets() !== undefined,
      keyUpdates: { c2s: this.c2s.keyUpdates, s2c: this.s2c.keyUpdates },
      directionSwapped: this.swapped,
      midstream: this.midstream !== undefined && !this.clientHello,
      decryptedRecords: this.decrypted,
      undecryptableRecords: this.undecryptable,
    };
  }

  /**
   * Process one TLS record.
   * @param dir `c2s` (client → server) or `s2c`
   * @param contentType the record header's type byte
   * @param version the record header's legacy_record_version (e.g. 0x0303)
   * @param body the record payload after the 5-byte header (the caller's buffer; not kept)
   */
  onRecord(dir: Direction, contentType: number, version: number, body: Uint8Array): TlsOutput {
    const out: TlsOutput = {
      dir,
      recordType: contentType,
      contentType,
      encrypted: false,
      decrypted: false,
      handshake: [],
      changeCipherSpec: false,
      notes: [],
    };
    try {
      if (!this.sidesSettled && contentType === CONTENT_TYPE.HANDSHAKE && body.length > 0) {
        // The side that sends the ClientHello is the client, whatever the caller guessed (e.g. SYN not captured).
        this.sidesSettled = true;
        if (body[0] === HS_TYPE.CLIENT_HELLO && dir === 's2c') {
          this.swapped = true;
          out.notes.push({
            code: 'TLS_DIRECTION_SWAPPED',
            message: "the ClientHello came from the 's2c' side; treating that side as the client",
          });
        }
      }
      const side: Direction = this.swapped ? (dir === 'c2s' ? 's2c' : 'c2s') : dir;
      this.process(side === 'c2s' ? this.c2s : this.s2c, side, contentType, version, body, out);
    } catch (e) {
      // Defensive only: every parser is bounds-checked; a bug here must not take the capture analysis down.
      out.notes.push({ code: 'TLS_INTERNAL_ERROR', message: `internal error: ${(e as Error)?.message ?? String(e)}` });
    }
    if (out.decrypted) this.decrypted++;
    if (out.undecryptable) this.undecryptable++;
    return out;
  }

  private process(d: DirState, dir: Direction, type: number, version: number, body: Uint8Array, out: TlsOutput) {
    if (type === CONTENT_TYPE.CHANGE_CIPHER_SPEC) {
      out.changeCipherSpec = true;
      if (!this.offersOrUses13()) {
        // TLS 1.2: from here on this direction is protected with freshly derived keys.
        d.ccs = true;
        d.protReasm.clear();
        d.stageRecords = 0;
        this.setup12(d, dir);
      }
      return;
    }
    const protectedRecord = this.tls13
      ? type === CONTENT_TYPE.APPLICATION_DATA
      : d.ccs || (type === CONTENT_TYPE.APPLICATION_DATA && this.offersOrUses13());
    if (!protectedRecord) {
      if (type === CONTENT_TYPE.APPLICATION_DATA) {
        // Application data before any handshake: the capture started mid-connection.
        out.encrypted = true;
        if (!this.clientHello) this.decryptMidstream(dir, type, version, body, out);
        else if (this.serverHello) {
          // TLS 1.2 application data but this direction's ChangeCipherSpec was not captured: it must have happened.
          out.notes.push({
            code: 'TLS_CCS_MISSING',
            message: 'application data before this direction’s ChangeCipherSpec',
          });
          d.ccs = true;
          d.protReasm.clear();
          d.stageRecords = 1; // its Finished came first
          this.setup12(d, dir);
          if (d.dec) d.dec.seq = 1n;
          this.decrypt(d, dir, type, version, body, out);
        } else this.fail(out, 'MISSING_HANDSHAKE', 'application data before the ServerHello');
        return;
      }
      this.content(d, dir, type, body, false, out);
      return;
    }
    out.encrypted = true;
    this.decrypt(d, dir, type, version, body, out);
  }

  /** Before the ServerHello: does the ClientHello offer TLS 1.3? After: was TLS 1.3 selected? */
  private offersOrUses13(): boolean {
    if (this.serverHello) return this.tls13;
    if (this.hrr) return true;
    return this.clientHello?.supportedVersions.includes(0x0304) ?? false;
  }

  private fail(out: TlsOutput, reason: UndecryptableReason, message: string) {
    out.undecryptable = { reason, message };
  }

  private secrets(): TlsSecrets | undefined {
    if (!this.clientHello) return this.midstream ? this.keylog.secrets.get(this.midstream.clientRandom) : undefined;
    return this.keylog.secrets.get(bytesToHex(this.clientHello.random));
  }

  /** A protected record with no handshake seen at all: search the key log for TLS 1.3 keys (see midstream.ts). */
  private decryptMidstream(side: Direction, type: number, version: number, body: Uint8Array, out: TlsOutput) {
    const d = side === 'c2s' ? this.c2s : this.s2c;
    if (d.dec) {
      let r = d.dec.decrypt(type, version, body, SEQ_LOOKAHEAD);
      if (!r.ok && r.reason === 'AUTH_FAILED') r = d.dec.resync(type, version, body) ?? r;
      if (r.ok) this.accept(d, side, r, out);
      else this.fail(out, r.reason, r.message);
      return;
    }
    const search = this.options.midstream ?? DEFAULT_MIDSTREAM_SEARCH;
    if (search === false) {
      this.fail(
        out,
        'MISSING_HANDSHAKE',
        'capture started mid-connection (no ClientHello); mid-stream key search is off',
      );
      return;
    }
    // Full key log searches are capped per connection (not per direction): a capture full of unrelated mid-stream
    // TLS flows must not cost a search per direction each. Once one direction matched, the other searches one entry.
    const tries = this.midstream ? d.midstreamTries : this.fullSearches;
    if (tries >= MIDSTREAM_TRIES) {
      this.fail(
        out,
        'MISSING_HANDSHAKE',
        'capture started mid-connection (no ClientHello) and no key log secret matched',
      );
      return;
    }
    if (this.midstream) d.midstreamTries++;
    else this.fullSearches++;
    const mine = side === 'c2s' ? 'client' : 'server';
    const other = side === 'c2s' ? 'server' : 'client';
    // Once one direction matched, the sides are fixed and the other direction must use the same key log entry.
    const sides: ('client' | 'server')[] = this.midstream ? [mine] : [mine, other];
    const m = findTls13Keys(this.keylog, type, version, body, search, sides, this.midstream?.clientRandom);
    if (!m) {
      this.fail(
        out,
        'MISSING_HANDSHAKE',
        'capture started mid-connection (no ClientHello) and no TLS 1.3 traffic secret in the key log decrypts this record',
      );
      return;
    }
    let internal = side;
    if (m.side !== mine) {
      this.swapped = !this.swapped;
      internal = side === 'c2s' ? 's2c' : 'c2s';
      out.notes.push({
        code: 'TLS_DIRECTION_SWAPPED',
        message: "this direction decrypts with the other side's traffic secret",
      });
    }
    this.sidesSettled = true;
    const dd = internal === 'c2s' ? this.c2s : this.s2c;
    this.midstream = { clientRandom: m.clientRandom, suite: m.suite };
    this.suite = m.suite;
    dd.stage = 'application';
    dd.secret = m.secret;
    dd.dec = new RecordDecryptor(m.suite, m.key, m.iv, true);
    dd.dec.seq = m.seq;
    const r = dd.dec.decrypt(type, version, body);
    if (!r.ok) {
      this.fail(out, r.reason, r.message);
      return;
    }
    out.notes.push({
      code: 'TLS_MIDSTREAM_KEYS',
      message: `handshake not captured: ${m.side} traffic secret of client random ${m.clientRandom.slice(0, 16)}… matched (${m.suite.name}, sequence number ${m.seq})`,
    });
    this.accept(dd, internal, r, out);
  }

  private decrypt(d: DirState, dir: Direction, type: number, version: number, body: Uint8Array, out: TlsOutput) {
    d.stageRecords++;
    if (!this.clientHello && !this.serverHello && type === CONTENT_TYPE.APPLICATION_DATA) {
      this.decryptMidstream(dir, type, version, body, out);
      return;
    }
    if (!this.serverHello && dir === 'c2s' && this.clientHello?.earlyData) {
      this.decryptEarly(d, type, version, body, out);
      return;
    }
    if (!this.clientHello || !this.serverHello) {
      const missing = this.clientHello ? 'ServerHello' : 'ClientHello';
      this.fail(out, 'MISSING_HANDSHAKE', `protected record but the ${missing} was not seen`);
      return;
    }
    if (!this.suite) {
      const name = cipherSuiteName(this.serverHello.cipherSuite);
      this.fail(out, 'UNSUPPORTED_CIPHER', `${versionName(this.version)} with ${name} is not decryptable (AEAD only)`);
      return;
    }
    if (!d.dec) {
      // Keys were missing so far: the key log may have grown since (secrets blocks met later in the capture).
      if (this.tls13) this.keys13(d, dir);
      else this.setup12(d, dir);
      const built = d.dec as RecordDecryptor | undefined;
      if (built) built.seq = BigInt(d.stageRecords - 1);
    }
    let r: DecryptResult | undefined = d.dec?.decrypt(type, version, body, SEQ_LOOKAHEAD);
    if (r && !r.ok && r.reason === 'AUTH_FAILED') r = d.dec?.resync(type, version, body) ?? r;
    if (this.tls13 && (r === undefined || (!r.ok && r.reason === 'AUTH_FAILED'))) {
      // Trial of the next stage's key: covers a Finished missing from the capture, rejected 0-RTT, and key logs
      // that hold only the application secrets.
      r = this.trialNextStage(d, dir, type, version, body) ?? r;
    }
    if (r === undefined) {
      const why = d.noKeys ?? { reason: 'NO_KEYS' as const, message: 'no keys for this stage' };
      this.fail(out, why.reason, why.message);
      return;
    }
    if (!r.ok) {
      let msg = r.message;
      if (
        r.reason === 'AUTH_FAILED' &&
        this.tls13 &&
        dir === 'c2s' &&
        d.stage === 'handshake' &&
        this.clientHello.earlyData
      )
        msg += '; probably 0-RTT data (no CLIENT_EARLY_TRAFFIC_SECRET in the key log, or the server rejected it)';
      this.fail(out, r.reason, msg);
      return;
    }
    this.accept(d, dir, r, out);
  }

  /**
   * TLS 1.3 0-RTT data seen before the ServerHello: the suite is not known yet, so try the client's offered TLS 1.3
   * suites whose hash fits the early secret's length.
   */
  private decryptEarly(d: DirState, type: number, version: number, body: Uint8Array, out: TlsOutput) {
    if (d.dec) {
      const r = d.dec.decrypt(type, version, body, SEQ_LOOKAHEAD);
      if (r.ok) this.accept(d, 'c2s', r, out);
      else this.fail(out, r.reason, `0-RTT data: ${r.message}`);
      return;
    }
    const secret = this.secrets()?.clientEarlyTrafficSecret;
    if (!secret) {
      this.fail(
        out,
        'NO_KEYS',
        `0-RTT data; key log has no CLIENT_EARLY_TRAFFIC_SECRET for client random ${this.randomHint()}`,
      );
      return;
    }
    for (const id of this.clientHello?.cipherSuites ?? []) {
      const cs = cipherSuite(id);
      if (cs?.version !== 0x0304 || hashLength(cs.hash) !== secret.length) continue;
      const k = trafficKeys(cs.hash, secret, cs.keyLen);
      const dec = new RecordDecryptor(cs, k.key, k.iv, true);
      dec.seq = BigInt(d.stageRecords - 1);
      const r = dec.decrypt(type, version, body, SEQ_LOOKAHEAD);
      if (!r.ok) continue;
      d.stage = 'early';
      d.dec = dec;
      d.secret = secret;
      this.accept(d, 'c2s', r, out);
      return;
    }
    this.fail(
      out,
      'AUTH_FAILED',
      '0-RTT data did not decrypt with CLIENT_EARLY_TRAFFIC_SECRET under any offered suite',
    );
  }

  private accept(d: DirState, dir: Direction, r: DecryptResult & { ok: true }, out: TlsOutput) {
    out.decrypted = true;
    out.seq = r.seq;
    if (r.skipped > 0)
      out.notes.push({
        code: 'TLS_RECORDS_MISSING',
        message: `${r.skipped} protected record(s) missing before this one`,
      });
    d.stageRecords = d.dec ? Number(d.dec.seq) : 0;
    out.contentType = r.contentType;
    this.content(d, dir, r.contentType, r.plaintext, true, out);
  }

  /** TLS 1.3: on a failed record, try the key of the stage that should come next; switch to it on success. */
  private trialNextStage(d: DirState, dir: Direction, type: number, version: number, body: Uint8Array) {
    const next: Stage | undefined =
      d.stage === 'early' ? 'handshake' : d.stage === 'handshake' ? 'application' : undefined;
    if (!next || !this.suite) return undefined;
    const secret = this.stageSecret(dir, next);
    if (!secret || secret.length !== hashLength(this.suite.hash)) return undefined;
    const k = trafficKeys(this.suite.hash, secret, this.suite.keyLen);
    const dec = new RecordDecryptor(this.suite, k.key, k.iv, true);
    let r = dec.decrypt(type, version, body, SEQ_LOOKAHEAD);
    if (!r.ok) r = dec.resync(type, version, body) ?? r;
    if (!r.ok) return undefined;
    d.stage = next;
    d.dec = dec;
    d.secret = secret;
    d.protReasm.clear();
    return r;
  }

  /** Handle a plaintext (or decrypted) content of the given type. */
  private content(d: DirState, dir: Direction, type: number, payload: Uint8Array, prot: boolean, out: TlsOutput) {
    switch (type) {
      case CONTENT_TYPE.HANDSHAKE: {
        const reasm = prot ? d.protReasm : d.plainReasm;
        const { messages, problem } = reasm.push(payload);
        if (problem) out.notes.push({ code: 'TLS_HANDSHAKE_TOO_LARGE', message: problem });
        for (const m of messages) {
          out.handshake.push(m);
          if (m.problem) out.notes.push({ code: 'TLS_HANDSHAKE_MALFORMED', message: m.problem });
          this.onHandshake(d, dir, m, out);
        }
        return;
      }
      case CONTENT_TYPE.APPLICATION_DATA:
        if (prot) out.appData = payload;
        return;
      case CONTENT_TYPE.ALERT: {
        const alert = parseAlert(payload, prot);
        if (alert) out.alert = alert;
        else out.notes.push({ code: 'TLS_ALERT_MALFORMED', message: `alert of ${payload.length} bytes` });
        return;
      }
      case CONTENT_TYPE.CHANGE_CIPHER_SPEC:
        out.changeCipherSpec = true;
        out.notes.push({ code: 'TLS_UNEXPECTED_CONTENT', message: 'change_cipher_spec inside a protected record' });
        return;
      case CONTENT_TYPE.HEARTBEAT:
        return;
      default:
        out.notes.push({ code: 'TLS_UNKNOWN_CONTENT_TYPE', message: `content type ${type}` });
    }
  }

  private onHandshake(d: DirState, dir: Direction, m: HandshakeMessage, out: TlsOutput) {
    if (m.clientHello && dir === 'c2s') {
      // A second ClientHello after HelloRetryRequest keeps the same random; a TLS 1.2 renegotiation brings a new one.
      this.clientHello = m.clientHello;
      return;
    }
    if (m.serverHello && dir === 's2c') {
      if (m.serverHello.helloRetryRequest) {
        this.hrr = true;
        return;
      }
      this.serverHello = m.serverHello;
      this.alpn = m.serverHello.alpn ?? this.alpn;
      const cs = cipherSuite(m.serverHello.cipherSuite);
      const is13 = m.serverHello.version === 0x0304;
      this.suite = cs && (cs.version === 0x0304) === is13 && m.serverHello.version >= 0x0303 ? cs : undefined;
      if (is13) {
        // Server protects everything after ServerHello with its handshake secret; the client too, unless 0-RTT.
        this.enterStage13(this.s2c, 's2c', 'handshake', out);
        // 0-RTT records already decrypted before the ServerHello keep their early key until EndOfEarlyData.
        const keepEarly = this.c2s.stage === 'early' && this.c2s.dec?.suite.id === this.suite?.id;
        if (!keepEarly) this.enterStage13(this.c2s, 'c2s', this.clientHello?.earlyData ? 'early' : 'handshake', out);
      }
      return;
    }
    if (m.encryptedExtensions) {
      this.alpn = m.encryptedExtensions.alpn ?? this.alpn;
      return;
    }
    if (!this.tls13) return;
    if (m.type === HS_TYPE.FINISHED && d.stage === 'handshake') {
      this.enterStage13(d, dir, 'application', out);
    } else if (m.type === HS_TYPE.END_OF_EARLY_DATA && d.stage === 'early') {
      this.enterStage13(d, dir, 'handshake', out);
    } else if (m.keyUpdate && d.stage === 'application' && d.secret && this.suite) {
      // RFC 8446 §4.6.3: the sender's next records use application_traffic_secret_N+1.
      const secret = nextTrafficSecret(this.suite.hash, d.secret);
      d.protReasm.clear();
      this.useSecret13(d, secret);
      d.keyUpdates++;
      out.keyUpdated = true;
    }
  }

  private stageSecret(dir: Direction, stage: Stage): Uint8Array | undefined {
    const s = this.secrets();
    if (!s) return undefined;
    if (stage === 'early') return dir === 'c2s' ? s.clientEarlyTrafficSecret : undefined;
    if (stage === 'handshake') return dir === 'c2s' ? s.clientHandshakeTrafficSecret : s.serverHandshakeTrafficSecret;
    if (stage === 'application') return dir === 'c2s' ? s.clientTrafficSecret0 : s.serverTrafficSecret0;
    return undefined;
  }

  private enterStage13(d: DirState, dir: Direction, stage: Stage, out: TlsOutput) {
    if (d.protReasm.pending > 0)
      out.notes.push({
        code: 'TLS_HANDSHAKE_SPANS_KEY_CHANGE',
        message: 'partial handshake message dropped at a key change',
      });
    d.protReasm.clear();
    d.stage = stage;
    d.dec = undefined;
    d.secret = undefined;
    d.stageRecords = 0;
    this.keys13(d, dir);
  }

  /** Build the TLS 1.3 decryptor of the current stage from the key log, or record why it cannot be built. */
  private keys13(d: DirState, dir: Direction) {
    if (!this.suite) return;
    const secret = this.stageSecret(dir, d.stage);
    const label =
      d.stage === 'early'
        ? 'CLIENT_EARLY_TRAFFIC_SECRET'
        : `${dir === 'c2s' ? 'CLIENT' : 'SERVER'}_${d.stage === 'handshake' ? 'HANDSHAKE_TRAFFIC_SECRET' : 'TRAFFIC_SECRET_0'}`;
    if (!secret) {
      d.noKeys = { reason: 'NO_KEYS', message: `key log has no ${label} for client random ${this.randomHint()}` };
      return;
    }
    if (secret.length !== hashLength(this.suite.hash)) {
      d.noKeys = {
        reason: 'NO_KEYS',
        message: `${label} is ${secret.length} bytes but ${this.suite.name} needs ${hashLength(this.suite.hash)}`,
      };
      return;
    }
    this.useSecret13(d, secret);
  }

  private useSecret13(d: DirState, secret: Uint8Array) {
    if (!this.suite) return;
    const k = trafficKeys(this.suite.hash, secret, this.suite.keyLen);
    d.secret = secret;
    d.dec = new RecordDecryptor(this.suite, k.key, k.iv, true);
    d.noKeys = undefined;
  }

  /** TLS 1.2: derive this direction's keys from the master secret (after its ChangeCipherSpec). */
  private setup12(d: DirState, dir: Direction) {
    d.dec = undefined;
    if (!this.clientHello || !this.serverHello) {
      d.noKeys = { reason: 'MISSING_HANDSHAKE', message: 'ChangeCipherSpec before the ClientHello/ServerHello' };
      return;
    }
    if (!this.suite) {
      const name = cipherSuiteName(this.serverHello.cipherSuite);
      d.noKeys = {
        reason: 'UNSUPPORTED_CIPHER',
        message: `${versionName(this.version)} with ${name} is not decryptable`,
      };
      return;
    }
    const master = this.secrets()?.masterSecret;
    if (!master) {
      d.noKeys = {
        reason: 'NO_KEYS',
        message: `key log has no CLIENT_RANDOM line for client random ${this.randomHint()}`,
      };
      return;
    }
    const k = tls12KeyBlock(this.suite, master, this.clientHello.random, this.serverHello.random);
    d.dec =
      dir === 'c2s'
        ? new RecordDecryptor(this.suite, k.clientKey, k.clientIv, false)
        : new RecordDecryptor(this.suite, k.serverKey, k.serverIv, false);
    d.noKeys = undefined;
  }

  private randomHint(): string {
    return this.clientHello ? `${bytesToHex(this.clientHello.random).slice(0, 16)}…` : '?';
  }
}
