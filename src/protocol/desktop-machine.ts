// The desktop's connection state machine, sans-IO: the driver feeds it socket events, received text and `now`
// (a monotonic clock in ms) and executes what it returns. It owns no socket, timer or clock; call tick(now) at
// nextDeadline() (or later: it catches up). States (docs/protocol.md):
//   idle → connecting → connected ⇄ recovering → lost;  any → closed (user close, multi-login, no-retry close code)

import { type BackoffConfig, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
import { CLOSE, closeInfo, shouldReconnect } from './close-codes.ts';
import {
  type CodecError,
  decodeServerMessage,
  encodeDesktopMessage,
  encodeKeepalive,
  serverMessageClass,
} from './codec.ts';
import type { WelcomeData } from './messages.ts';
import type { Missing, ResumeResult, StreamPosition } from './stream-position.ts';
import { WXCC_TIMERS } from './wxcc.ts';

export type DesktopState = 'idle' | 'connecting' | 'connected' | 'recovering' | 'lost' | 'closed';

export interface DesktopConfig {
  /** Send a keepalive when nothing was sent for this long (WxCC: 4 s). */
  keepaliveMs: number;
  /** No message from Notifs for this long ⇒ recovering (WxCC: 16 s). */
  silenceMs: number;
  /** Recovering for this long without success ⇒ lost (WxCC lostConnectionRecoveryTimeout: 50 s). */
  recoveryMs: number;
  /** One attempt (subscribe + socket + Welcome) may take this long. */
  connectTimeoutMs: number;
  backoff: BackoffConfig;
  /** Desktop messages kept for redelivery until acknowledged. */
  maxOutbox: number;
}

export const DEFAULT_DESKTOP_CONFIG: DesktopConfig = {
  keepaliveMs: WXCC_TIMERS.keepaliveMs,
  silenceMs: WXCC_TIMERS.silenceMs,
  recoveryMs: WXCC_TIMERS.recoveryMs,
  connectTimeoutMs: 10000,
  backoff: DEFAULT_BACKOFF,
  maxOutbox: 10000,
};

export type KeepalivePath = 'timer' | 'onmessage';
export type MessageCls = 'keepalive' | 'welcome' | 'notification' | 'resume' | 'multilogin' | 'other';

export type DesktopOutput =
  /** Open a new connection now (subscribe, then the socket); tag every later socket event with `conn`. */
  | { type: 'connect'; conn: number; attempt: number; resumeFrom?: StreamPosition }
  | { type: 'send'; text: string; cls: MessageCls; via?: KeepalivePath; cseq?: number }
  | { type: 'close-socket'; code: number; reason: string }
  | { type: 'state'; from: DesktopState; to: DesktopState; reason: string }
  | { type: 'reconnect-scheduled'; attempt: number; delayMs: number }
  | { type: 'received'; cls: MessageCls; msgType?: string; position?: StreamPosition }
  | { type: 'welcome'; data: WelcomeData }
  | { type: 'resume'; result: ResumeResult }
  | { type: 'notification'; notifType: string; data: unknown; position?: StreamPosition }
  | { type: 'duplicate'; position: StreamPosition }
  | { type: 'gap'; missing: Missing }
  | { type: 'ack'; cseq: number }
  | { type: 'protocol-error'; error: CodecError };

type SocketPhase = 'none' | 'opening' | 'open';

export class DesktopMachine {
  readonly cfg: DesktopConfig;
  private readonly random: () => number;
  state: DesktopState = 'idle';
  /** Connection attempt counter over the whole life (1 = first connect). */
  conn = 0;
  /** Attempt number inside the current recovery (drives the backoff window). */
  private attempt = 0;
  private socket: SocketPhase = 'none';
  private welcomed = false;
  private everConnected = false;
  private lastRxAt = 0;
  private nextKeepaliveAt = Number.POSITIVE_INFINITY;
  private attemptDeadline = Number.POSITIVE_INFINITY;
  private reconnectAt = Number.POSITIVE_INFINITY;
  private recoveryDeadline = Number.POSITIVE_INFINITY;
  private resumeFrom: StreamPosition | undefined;
  /** Last notification position delivered to the application (or the Welcome's start). */
  position: StreamPosition | undefined;
  private outbox: { cseq: number; data: unknown }[] = [];
  private lastCseq = 0;
  private pausedTimer = false;
  private pausedReplies = false;

  constructor(cfg: Partial<DesktopConfig> = {}, random: () => number = Math.random) {
    this.cfg = { ...DEFAULT_DESKTOP_CONFIG, ...cfg, backoff: { ...DEFAULT_DESKTOP_CONFIG.backoff, ...cfg.backoff } };
    this.random = random;
  }

  /** Messages sent but not yet acknowledged by Notifs. */
  get pending(): number {
    return this.outbox.length;
  }

  start(now: number): DesktopOutput[] {
    if (this.state !== 'idle') return [];
    const out: DesktopOutput[] = [];
    this.setState(out, 'connecting', 'start');
    this.beginAttempt(now, out);
    return out;
  }

  /** The socket of connection `conn` is open (the Welcome is still to come). */
  socketOpen(_now: number, conn: number): DesktopOutput[] {
    if (conn !== this.conn || this.socket !== 'opening') return [];
    this.socket = 'open';
    return [];
  }

  /** Subscribe or socket setup failed before the socket opened. */
  connectFailed(now: number, conn: number, _reason: string): DesktopOutput[] {
    if (conn !== this.conn || this.socket === 'none') return [];
    const out: DesktopOutput[] = [];
    this.socket = 'none';
    this.attemptFailed(now, out, 'connect-failed');
    return out;
  }

  socketClosed(now: number, conn: number, code: number, reason: string): DesktopOutput[] {
    if (conn !== this.conn || this.socket === 'none') return [];
    const out: DesktopOutput[] = [];
    this.socket = 'none';
    const info = closeInfo(code);
    const why = `closed by server: ${info.name} (${code})${reason ? ` ${reason}` : ''}`;
    if (!shouldReconnect(code)) {
      this.toFinal(out, 'closed', why);
      return out;
    }
    if (this.state === 'connected') {
      this.enterRecovering(now, out, why);
      this.scheduleReconnect(now, out);
    } else {
      this.attemptFailed(now, out, why);
    }
    return out;
  }

  receive(now: number, conn: number, text: string): DesktopOutput[] {
    if (conn !== this.conn || this.socket === 'none') return [];
    // Any message from Notifs is proof of life, even one we cannot decode.
    this.lastRxAt = now;
    const out: DesktopOutput[] = [];
    const d = decodeServerMessage(text);
    if (!d.ok) {
      out.push({ type: 'received', cls: 'other' });
      out.push({ type: 'protocol-error', error: d.error });
      return out;
    }
    const m = d.msg;
    const rec: DesktopOutput = { type: 'received', cls: serverMessageClass(m) };
    if (m.kind === 'notification') {
      rec.msgType = m.type;
      if (m.position) rec.position = m.position;
    } else if (m.kind === 'multilogin') rec.msgType = m.type;
    out.push(rec);
    switch (m.kind) {
      case 'keepalive':
        // Answer from the receive path too: it keeps working when the page's timers are throttled.
        if (this.state === 'connected') {
          if (!this.pausedReplies)
            out.push({ type: 'send', text: encodeKeepalive(), cls: 'keepalive', via: 'onmessage' });
          this.nextKeepaliveAt = now + this.cfg.keepaliveMs;
        }
        break;
      case 'welcome':
        this.onWelcome(now, out, m.data);
        break;
      case 'notification':
        // Before the Welcome the desktop does not know its position yet: delivering could duplicate the replay.
        if (!this.welcomed) {
          out.push({
            type: 'protocol-error',
            error: {
              code: 'bad-field',
              message: `notification "${m.type}" before the Welcome (ignored)`,
              closeCode: 0,
            },
          });
          break;
        }
        this.onNotification(out, m.type, m.data, m.position);
        break;
      case 'ack':
        this.dropAcked(m.cseq);
        out.push({ type: 'ack', cseq: m.cseq });
        break;
      case 'multilogin':
        out.push({ type: 'close-socket', code: CLOSE.NORMAL, reason: 'multi-login' });
        this.socket = 'none';
        this.toFinal(out, 'closed', `multi-login (${m.type})`);
        break;
    }
    return out;
  }

  tick(now: number): DesktopOutput[] {
    const out: DesktopOutput[] = [];
    switch (this.state) {
      case 'connected':
        if (now >= this.lastRxAt + this.cfg.silenceMs) {
          this.closeSocket(out, CLOSE.SILENCE_TIMEOUT, 'silence timeout');
          this.enterRecovering(now, out, `silence: nothing from Notifs for ${now - this.lastRxAt} ms`);
          this.scheduleReconnect(now, out);
        } else if (now >= this.nextKeepaliveAt) {
          if (!this.pausedTimer) out.push({ type: 'send', text: encodeKeepalive(), cls: 'keepalive', via: 'timer' });
          this.nextKeepaliveAt = now + this.cfg.keepaliveMs;
        }
        break;
      case 'connecting':
      case 'recovering':
        if (now >= this.recoveryDeadline) {
          this.closeSocket(out, CLOSE.NORMAL, 'recovery timeout');
          this.toFinal(out, 'lost', `recovery timeout: ${this.cfg.recoveryMs} ms without a connection`);
        } else if (this.socket !== 'none' && now >= this.attemptDeadline) {
          this.closeSocket(out, CLOSE.CONNECT_TIMEOUT, 'no Welcome in time');
          this.attemptFailed(now, out, `connect timeout: no Welcome within ${this.cfg.connectTimeoutMs} ms`);
        } else if (this.socket === 'none' && now >= this.reconnectAt) {
          this.beginAttempt(now, out);
        }
        break;
      default:
        break;
    }
    return out;
  }

  /** When tick() must run next (monotonic ms); +Infinity when nothing is pending. */
  nextDeadline(): number {
    switch (this.state) {
      case 'connected':
        return Math.min(this.lastRxAt + this.cfg.silenceMs, this.nextKeepaliveAt);
      case 'connecting':
      case 'recovering':
        return Math.min(
          this.recoveryDeadline,
          this.socket !== 'none' ? this.attemptDeadline : Number.POSITIVE_INFINITY,
          this.socket === 'none' ? this.reconnectAt : Number.POSITIVE_INFINITY,
        );
      default:
        return Number.POSITIVE_INFINITY;
    }
  }

  /** The driver saw the wall clock jump against the monotonic one (system sleep): the socket is probably half-open. */
  wake(now: number): DesktopOutput[] {
    const out: DesktopOutput[] = [];
    if (this.state === 'connected') {
      this.closeSocket(out, CLOSE.SLEEP_DETECTED, 'sleep detected');
      this.enterRecovering(now, out, 'sleep-detected: wall clock jumped');
      this.attempt = 1;
      out.push({ type: 'reconnect-scheduled', attempt: 1, delayMs: 0 });
      this.beginAttempt(now, out);
    } else if ((this.state === 'recovering' || this.state === 'connecting') && this.socket === 'none') {
      this.reconnectAt = now;
      this.beginAttempt(now, out);
    }
    return out;
  }

  /** Queue an application message for acknowledged delivery; sent now when connected, else after the next Welcome. */
  send(_now: number, data: unknown): { cseq: number; out: DesktopOutput[] } {
    if (this.outbox.length >= this.cfg.maxOutbox) {
      throw new RangeError(`desktop outbox full (${this.cfg.maxOutbox} unacknowledged messages)`);
    }
    const cseq = ++this.lastCseq;
    this.outbox.push({ cseq, data });
    const out: DesktopOutput[] = [];
    if (this.state === 'connected') {
      out.push({ type: 'send', text: encodeDesktopMessage(cseq, data), cls: 'notification', cseq });
    }
    return { cseq, out };
  }

  /** The user closes the desktop: no reconnect. */
  close(_now: number, reason = 'closed by user'): DesktopOutput[] {
    const out: DesktopOutput[] = [];
    if (this.state === 'closed') return out;
    this.closeSocket(out, CLOSE.NORMAL, reason);
    this.toFinal(out, 'closed', reason);
    return out;
  }

  /** Start over after `lost` (e.g. the user clicks "reconnect"). */
  reconnectNow(now: number): DesktopOutput[] {
    if (this.state !== 'lost') return [];
    const out: DesktopOutput[] = [];
    this.enterRecovering(now, out, 'manual reconnect');
    this.beginAttempt(now, out);
    return out;
  }

  /** Simulate a stalled desktop: stop the timer path and/or the reply path of keepalives. */
  pauseKeepalive(timer: boolean, replies: boolean = timer): void {
    this.pausedTimer = timer;
    this.pausedReplies = replies;
  }

  // ---- internals ----

  private setState(out: DesktopOutput[], to: DesktopState, reason: string): void {
    if (to === this.state) return;
    out.push({ type: 'state', from: this.state, to, reason });
    this.state = to;
  }

  private toFinal(out: DesktopOutput[], to: 'closed' | 'lost', reason: string): void {
    this.setState(out, to, reason);
    this.socket = 'none';
    this.reconnectAt = this.attemptDeadline = this.recoveryDeadline = this.nextKeepaliveAt = Number.POSITIVE_INFINITY;
  }

  private closeSocket(out: DesktopOutput[], code: number, reason: string): void {
    if (this.socket === 'none') return;
    out.push({ type: 'close-socket', code, reason });
    this.socket = 'none';
  }

  private beginAttempt(now: number, out: DesktopOutput[]): void {
    this.conn++;
    this.socket = 'opening';
    this.welcomed = false;
    this.attemptDeadline = now + this.cfg.connectTimeoutMs;
    this.reconnectAt = Number.POSITIVE_INFINITY;
    this.resumeFrom = this.position ? { ...this.position } : undefined;
    const c: DesktopOutput = { type: 'connect', conn: this.conn, attempt: Math.max(1, this.attempt) };
    if (this.resumeFrom) c.resumeFrom = this.resumeFrom;
    out.push(c);
  }

  private enterRecovering(now: number, out: DesktopOutput[], reason: string): void {
    this.attempt = 0;
    this.recoveryDeadline = now + this.cfg.recoveryMs;
    this.nextKeepaliveAt = Number.POSITIVE_INFINITY;
    this.setState(out, 'recovering', reason);
  }

  private scheduleReconnect(now: number, out: DesktopOutput[]): void {
    this.attempt++;
    const delayMs = backoffDelay(this.attempt, this.random, this.cfg.backoff);
    this.reconnectAt = now + delayMs;
    this.attemptDeadline = Number.POSITIVE_INFINITY;
    out.push({ type: 'reconnect-scheduled', attempt: this.attempt, delayMs });
  }

  private attemptFailed(now: number, out: DesktopOutput[], reason: string): void {
    if (this.state === 'connecting') this.enterRecovering(now, out, `first connect failed: ${reason}`);
    if (this.state !== 'recovering') return;
    this.scheduleReconnect(now, out);
  }

  private onWelcome(now: number, out: DesktopOutput[], data: WelcomeData): void {
    if (this.welcomed) return; // a second Welcome on one socket is ignored
    this.welcomed = true;
    this.socket = 'open';
    out.push({ type: 'welcome', data });
    if (this.resumeFrom) {
      const result: ResumeResult = data.resume ?? {
        requested: this.resumeFrom,
        recovered: false,
        replayed: 0,
        missing: [{ reason: 'not-supported', epoch: this.resumeFrom.epoch, fromSeq: this.resumeFrom.seq + 1 }],
      };
      out.push({ type: 'resume', result });
    }
    if (data.position) this.position = { ...data.position };
    if (data.ackedCseq !== undefined) this.dropAcked(data.ackedCseq);
    const reason = this.everConnected ? 'recovered' : 'welcome';
    this.everConnected = true;
    this.attempt = 0;
    this.attemptDeadline = this.recoveryDeadline = this.reconnectAt = Number.POSITIVE_INFINITY;
    this.nextKeepaliveAt = now + this.cfg.keepaliveMs;
    this.setState(out, 'connected', reason);
    // Redeliver what Notifs has not acknowledged, in order; it drops any it already has (by cseq).
    for (const m of this.outbox) {
      out.push({ type: 'send', text: encodeDesktopMessage(m.cseq, m.data), cls: 'notification', cseq: m.cseq });
    }
  }

  private onNotification(out: DesktopOutput[], type: string, data: unknown, p: StreamPosition | undefined): void {
    const cur = this.position;
    if (p && cur) {
      if (p.epoch === cur.epoch && p.seq <= cur.seq) {
        out.push({ type: 'duplicate', position: p });
        return;
      }
      if (p.epoch !== cur.epoch) {
        out.push({ type: 'gap', missing: { reason: 'epoch-changed', epoch: cur.epoch, fromSeq: cur.seq + 1 } });
        if (p.seq > 1)
          out.push({ type: 'gap', missing: { reason: 'skipped', epoch: p.epoch, fromSeq: 1, toSeq: p.seq - 1 } });
      } else if (p.seq > cur.seq + 1) {
        out.push({
          type: 'gap',
          missing: { reason: 'skipped', epoch: p.epoch, fromSeq: cur.seq + 1, toSeq: p.seq - 1 },
        });
      }
    }
    if (p) this.position = { epoch: p.epoch, seq: p.seq };
    const n: DesktopOutput = { type: 'notification', notifType: type, data };
    if (p) n.position = p;
    out.push(n);
  }

  private dropAcked(cseq: number): void {
    let i = 0;
    while (i < this.outbox.length && this.outbox[i].cseq <= cseq) i++;
    if (i) this.outbox.splice(0, i);
  }
}
