// The desktop client, isomorphic: drives the sans-IO DesktopMachine with a socket factory, a timer, fetch and the
// clocks, and records everything in the flight recorder. Node (desktop-client.ts) and the browser
// (browser-entry.ts) only supply the socket and the timer.
import { CLOSE } from '../protocol/close-codes.ts';
import {
  type DesktopConfig,
  DesktopMachine,
  type DesktopOutput,
  type DesktopState,
} from '../protocol/desktop-machine.ts';
import type { ErrorReportV1, ReportEntry } from '../protocol/error-report-schema.ts';
import type { Missing, ResumeResult, StreamPosition } from '../protocol/stream-position.ts';
import { FlightRecorder, redactUrl } from './flight-recorder.ts';
import { type SocketFactory, type SocketLike, type TickSource, WS_OPEN } from './socket-adapter.ts';

export interface DesktopClientOptions {
  /** Notifs base URL, e.g. http://127.0.0.1:8080 (subscribe is POSTed to /v1/notification/subscribe). */
  serverUrl: string;
  agentId: string;
  token: string;
  /** Stable id of this desktop (random by default); Notifs dedupes desktop messages per clientId. */
  clientId?: string;
  keepaliveMs?: number;
  silenceMs?: number;
  recoveryMs?: number;
  connectTimeoutMs?: number;
  backoff?: { baseMs: number; capMs: number };
  clientType?: string;
  allowMultiLogin?: boolean;
  /** Take over from another desktop of the same agent (default true, like the WxCC desktop). */
  force?: boolean;
  /** Flight recorder ring size (entries). */
  recorderCapacity?: number;
  /** A jump of (wall − monotonic) larger than this means the machine slept: reconnect at once. */
  sleepJumpMs?: number;
  random?: () => number;
}

export interface ClientDeps {
  socketFactory: SocketFactory;
  timer: TickSource;
  runtime: 'node' | 'browser';
  userAgent?: string;
  fetch?: typeof fetch;
  /** Monotonic and wall clocks (performance.now / Date.now by default). */
  mono?: () => number;
  wall?: () => number;
}

export interface ClientEvents {
  state: { from: DesktopState; to: DesktopState; reason: string };
  notification: { type: string; data: unknown; position?: StreamPosition };
  resume: ResumeResult;
  gap: Missing;
  ack: { cseq: number };
  error: { message: string };
  entry: ReportEntry;
}

type Listener<T> = (ev: T) => void;

export class DesktopClientCore {
  readonly machine: DesktopMachine;
  readonly recorder: FlightRecorder;
  readonly clientId: string;
  private readonly listeners: { [K in keyof ClientEvents]?: Set<Listener<ClientEvents[K]>> } = {};
  private socket: SocketLike | undefined;
  private socketConn = 0;
  private armedAt = Number.POSITIVE_INFINITY;
  private armedDelay = 0;
  private armedOn = 0;
  private lastOffset: number;
  private pendingDelay = 0;
  private attempt = 0;
  private readonly mono: () => number;
  private readonly wall: () => number;
  private readonly fetchImpl: typeof fetch;
  private readonly base: string;
  private readonly sleepJumpMs: number;

  constructor(
    readonly opts: DesktopClientOptions,
    private readonly deps: ClientDeps,
  ) {
    this.mono = deps.mono ?? (() => performance.now());
    this.wall = deps.wall ?? (() => Date.now());
    this.fetchImpl = deps.fetch ?? ((...a) => fetch(...a));
    this.base = opts.serverUrl.replace(/\/+$/, '');
    this.clientId = opts.clientId ?? randomId();
    this.sleepJumpMs = opts.sleepJumpMs ?? 2000;
    const cfg: Partial<DesktopConfig> = {};
    if (opts.keepaliveMs !== undefined) cfg.keepaliveMs = opts.keepaliveMs;
    if (opts.silenceMs !== undefined) cfg.silenceMs = opts.silenceMs;
    if (opts.recoveryMs !== undefined) cfg.recoveryMs = opts.recoveryMs;
    if (opts.connectTimeoutMs !== undefined) cfg.connectTimeoutMs = opts.connectTimeoutMs;
    if (opts.backoff) cfg.backoff = opts.backoff;
    this.machine = new DesktopMachine(cfg, opts.random ?? Math.random);
    this.recorder = new FlightRecorder(
      opts.recorderCapacity ?? 5000,
      { wall: this.wall, mono: this.mono },
      {
        agentId: opts.agentId,
        clientId: this.clientId,
        runtime: deps.runtime,
        ...(deps.userAgent ? { userAgent: deps.userAgent } : {}),
        serverUrl: redactUrl(`${this.base}/v1/notification/subscribe`),
        config: {
          keepaliveMs: this.machine.cfg.keepaliveMs,
          silenceMs: this.machine.cfg.silenceMs,
          recoveryMs: this.machine.cfg.recoveryMs,
          keepaliveTimer: deps.timer.kind,
        },
      },
    );
    this.lastOffset = this.wall() - this.mono();
    deps.timer.onfire = () => this.onTimer();
  }

  get state(): DesktopState {
    return this.machine.state;
  }

  get position(): StreamPosition | undefined {
    return this.machine.position;
  }

  on<K extends keyof ClientEvents>(ev: K, fn: Listener<ClientEvents[K]>): () => void {
    let set = this.listeners[ev] as Set<Listener<ClientEvents[K]>> | undefined;
    if (!set) this.listeners[ev] = set = new Set() as never;
    set.add(fn);
    return () => set.delete(fn);
  }

  private emit<K extends keyof ClientEvents>(ev: K, payload: ClientEvents[K]): void {
    const set = this.listeners[ev] as Set<Listener<ClientEvents[K]>> | undefined;
    if (!set) return;
    for (const fn of set) {
      try {
        fn(payload);
      } catch (err) {
        // A listener bug must not break the connection; it is recorded instead.
        this.recorder.record({ kind: 'error', message: `listener for ${ev} threw: ${(err as Error)?.message ?? err}` });
      }
    }
  }

  start(): void {
    this.exec(this.machine.start(this.mono()));
  }

  close(reason = 'closed by user'): void {
    this.exec(this.machine.close(this.mono(), reason));
    this.deps.timer.cancel();
  }

  /** Queue an application message for acknowledged delivery to Notifs; returns its cseq. */
  send(data: unknown): number {
    const { cseq, out } = this.machine.send(this.mono(), data);
    this.exec(out);
    return cseq;
  }

  /** Simulate a stalled desktop (fault lab): stop the keepalive timer path and, by default, the reply path too. */
  pauseKeepalive(paused = true, alsoReplies = paused): void {
    this.machine.pauseKeepalive(paused, alsoReplies);
    this.record({ kind: 'error', message: paused ? 'keepalives paused (simulated stall)' : 'keepalives resumed' });
  }

  reconnectNow(): void {
    this.exec(this.machine.reconnectNow(this.mono()));
  }

  /** Browser lifecycle events (visibility, freeze/resume, online/offline, discarded) go into the report. */
  lifecycle(what: 'hidden' | 'visible' | 'freeze' | 'resume' | 'online' | 'offline' | 'discarded'): void {
    this.record({ kind: 'lifecycle', what });
    if (what === 'resume' || what === 'visible') this.checkClock();
    if (what === 'online') this.exec(this.machine.wake(this.mono()));
  }

  errorReport(): ErrorReportV1 {
    return this.recorder.report(this.machine.position);
  }

  // ---- driving ----

  private record(e: Parameters<FlightRecorder['record']>[0]): void {
    const entry = this.recorder.record(this.machine.conn ? ({ conn: this.machine.conn, ...e } as typeof e) : e);
    this.emit('entry', entry);
  }

  /** A jump of wall − monotonic means the OS slept (monotonic stood still) or the clock was set. */
  private checkClock(): number {
    const offset = this.wall() - this.mono();
    const jump = offset - this.lastOffset;
    this.lastOffset = offset;
    if (Math.abs(jump) > this.sleepJumpMs) {
      this.record({ kind: 'lifecycle', what: 'sleep-detected' });
      this.exec(this.machine.wake(this.mono()));
    }
    return jump;
  }

  private onTimer(): void {
    // setTimeout may fire a fraction of a millisecond before performance.now() reaches the deadline.
    const raw = this.mono();
    const now = raw < this.armedAt && raw >= this.armedAt - 2 ? this.armedAt : raw;
    const actual = now - this.armedOn;
    this.armedAt = Number.POSITIVE_INFINITY;
    const jump = this.checkClock();
    this.record({
      kind: 'drift',
      timer: this.deps.timer.kind,
      expectedMs: round(this.armedDelay),
      actualMs: round(actual),
      lateMs: round(actual - this.armedDelay),
      wallJumpMs: round(jump),
    });
    this.exec(this.machine.tick(now));
  }

  /** Arm the timer for the machine's next deadline, only if it is earlier than what is armed (lazy re-arm). */
  private rearm(): void {
    const d = this.machine.nextDeadline();
    if (!Number.isFinite(d)) {
      if (Number.isFinite(this.armedAt)) this.deps.timer.cancel();
      this.armedAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (d >= this.armedAt) return;
    const now = this.mono();
    this.armedAt = d;
    this.armedOn = now;
    this.armedDelay = Math.max(0, d - now);
    this.deps.timer.arm(this.armedDelay);
  }

  private exec(out: DesktopOutput[], size = 0): void {
    for (const o of out) {
      switch (o.type) {
        case 'connect':
          if (o.conn > 1) this.record({ kind: 'reconnect', attempt: o.attempt, delayMs: this.pendingDelay });
          this.pendingDelay = 0;
          this.attempt = o.attempt;
          void this.connect(o.conn, o.resumeFrom);
          break;
        case 'send': {
          const sock = this.socket;
          if (!sock || sock.readyState !== WS_OPEN) break;
          try {
            sock.send(o.text);
          } catch (err) {
            this.record({ kind: 'error', message: `send failed: ${(err as Error).message}` });
            break;
          }
          const via = o.via === 'timer' ? this.deps.timer.kind : o.via;
          this.record({
            kind: 'sent',
            type: o.cls,
            size: utf8Length(o.text),
            ...(via ? { via } : {}),
            ...(o.cseq !== undefined ? { seq: o.cseq } : {}),
          });
          break;
        }
        case 'close-socket': {
          const sock = this.socket;
          this.socket = undefined;
          this.record({ kind: 'close', code: o.code, reason: o.reason, wasClean: true, by: 'desktop' });
          try {
            sock?.close(o.code, o.reason);
          } catch {
            // already closed
          }
          break;
        }
        case 'state':
          this.record({ kind: 'state', from: o.from, to: o.to, reason: o.reason });
          this.emit('state', { from: o.from, to: o.to, reason: o.reason });
          break;
        case 'reconnect-scheduled':
          this.pendingDelay = o.delayMs;
          break;
        case 'received':
          this.record({
            kind: 'received',
            type: o.cls,
            size,
            ...(o.position ? { epoch: o.position.epoch, seq: o.position.seq } : {}),
          });
          break;
        case 'welcome':
          break;
        case 'resume':
          this.record({
            kind: 'resume',
            recovered: o.result.recovered,
            replayed: o.result.replayed,
            ...(o.result.missing ? { missing: describeMissing(o.result.missing) } : {}),
          });
          this.emit('resume', o.result);
          break;
        case 'notification':
          this.recorder.totals.notificationsDelivered++;
          this.emit('notification', {
            type: o.notifType,
            data: o.data,
            ...(o.position ? { position: o.position } : {}),
          });
          break;
        case 'duplicate':
          this.recorder.totals.duplicatesDropped++;
          break;
        case 'gap':
          this.record({ kind: 'resume', recovered: false, replayed: 0, missing: describeMissing([o.missing]) });
          this.emit('gap', o.missing);
          break;
        case 'ack':
          this.emit('ack', { cseq: o.cseq });
          break;
        case 'protocol-error':
          this.record({ kind: 'error', message: `${o.error.code}: ${o.error.message}` });
          this.emit('error', { message: o.error.message });
          break;
      }
    }
    this.rearm();
  }

  private async connect(conn: number, resumeFrom: StreamPosition | undefined): Promise<void> {
    const fail = (stage: 'subscribe' | 'dns' | 'tcp' | 'tls' | 'ws' | 'unknown', message: string) => {
      if (conn !== this.machine.conn) return;
      this.record({ kind: 'reconnect', attempt: this.attempt, delayMs: 0, error: message, stage });
      this.emit('error', { message: `connect (${stage}): ${message}` });
      this.exec(this.machine.connectFailed(this.mono(), conn, message));
    };
    let wsUrl: string;
    try {
      const body: Record<string, unknown> = {
        force: this.opts.force ?? true,
        isKeepAliveEnabled: true,
        clientType: this.opts.clientType ?? 'LifelineDesktop',
        allowMultiLogin: this.opts.allowMultiLogin ?? false,
        clientId: this.clientId,
      };
      if (resumeFrom) body.resumeFrom = resumeFrom;
      const res = await this.fetchImpl(`${this.base}/v1/notification/subscribe`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.opts.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.machine.cfg.connectTimeoutMs),
      });
      const text = await res.text();
      if (!res.ok) {
        if (res.status === 401 || res.status === 403) {
          this.record({
            kind: 'reconnect',
            attempt: this.attempt,
            delayMs: 0,
            error: `HTTP ${res.status}`,
            stage: 'subscribe',
          });
          this.exec(this.machine.close(this.mono(), `subscribe refused: HTTP ${res.status} ${text.slice(0, 120)}`));
          return;
        }
        return fail('subscribe', `HTTP ${res.status} ${text.slice(0, 200)}`);
      }
      const parsed = JSON.parse(text) as { webSocketUrl?: unknown };
      if (typeof parsed.webSocketUrl !== 'string') return fail('subscribe', 'answer has no webSocketUrl');
      wsUrl = parsed.webSocketUrl;
    } catch (err) {
      return fail(stageOf(err), errText(err));
    }
    if (conn !== this.machine.conn) return; // the machine moved on (timeout, close) while we subscribed
    let sock: SocketLike;
    try {
      sock = this.deps.socketFactory(wsUrl);
    } catch (err) {
      return fail('ws', errText(err));
    }
    this.recorder.lastWebSocketUrl = redactUrl(wsUrl);
    this.socket = sock;
    this.socketConn = conn;
    let opened = false;
    sock.onopen = () => {
      opened = true;
      if (this.socketConn === conn) this.exec(this.machine.socketOpen(this.mono(), conn));
    };
    sock.onmessage = (ev) => {
      if (this.socketConn !== conn || this.socket !== sock) return;
      const text = typeof ev.data === 'string' ? ev.data : String(ev.data);
      this.checkClock();
      this.exec(this.machine.receive(this.mono(), conn, text), utf8Length(text));
    };
    sock.onerror = (ev) => {
      const msg = (ev as { message?: string })?.message ?? 'socket error';
      if (this.socket === sock) this.record({ kind: 'error', message: `socket error: ${msg}` });
    };
    sock.onclose = (ev) => {
      if (this.socket !== sock) return; // we closed it ourselves already (and recorded that)
      this.socket = undefined;
      if (!opened) return fail('ws', `WebSocket closed before open (code ${ev.code})`);
      this.record({
        kind: 'close',
        code: ev.code,
        reason: ev.reason,
        wasClean: ev.wasClean,
        by: ev.code === 1006 ? 'unknown' : 'server',
      });
      this.exec(this.machine.socketClosed(this.mono(), conn, ev.code || CLOSE.ABNORMAL, ev.reason ?? ''));
    };
  }
}

function describeMissing(ms: Missing[]): string {
  return ms
    .map((m) => `${m.reason}: epoch ${m.epoch} seq ${m.fromSeq}${m.toSeq !== undefined ? `..${m.toSeq}` : '..'}`)
    .join('; ');
}

function stageOf(err: unknown): 'subscribe' | 'dns' | 'tcp' | 'tls' | 'unknown' {
  const code = String((err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code ?? '');
  if (/ENOTFOUND|EAI_AGAIN/.test(code)) return 'dns';
  if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE/.test(code)) return 'tcp';
  if (/CERT|SSL|TLS/.test(code)) return 'tls';
  if ((err as Error)?.name === 'TimeoutError') return 'subscribe';
  return 'unknown';
}

function errText(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

function randomId(): string {
  const b = new Uint8Array(8);
  globalThis.crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
