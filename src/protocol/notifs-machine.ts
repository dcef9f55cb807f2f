// Notifs' side of one desktop socket, sans-IO: received text and `now` in; messages to send, a close, and
// application events out. The server sends its own keepalive every keepaliveMs (WxCC behaviour, independent of
// traffic) and drops a desktop that sent nothing for silenceMs. The driver owns the socket and calls tick(now) at
// nextDeadline() (a shared sweep; one socket never owns a timer).
import { CLOSE } from './close-codes.ts';
import {
  type CodecError,
  DEFAULT_MAX_MESSAGE,
  decodeDesktopMessage,
  encodeAck,
  encodeKeepalive,
  encodeWelcome,
} from './codec.ts';
import type { WelcomeData } from './messages.ts';

export interface NotifsConfig {
  keepaliveMs: number;
  silenceMs: number;
  maxMessage: number;
}

export const DEFAULT_NOTIFS_CONFIG: NotifsConfig = {
  keepaliveMs: 4000,
  silenceMs: 16000,
  maxMessage: DEFAULT_MAX_MESSAGE,
};

export type NotifsOutput =
  | { type: 'send'; text: string; cls: 'keepalive' | 'welcome' | 'resume' }
  | { type: 'close'; code: number; reason: string }
  | { type: 'keepalive-received' }
  /** A desktop message to hand to the application (first delivery of this cseq). */
  | { type: 'message'; cseq: number; data: unknown }
  /** A redelivered desktop message already handed over: acknowledged again, not delivered. */
  | { type: 'duplicate-message'; cseq: number }
  | { type: 'protocol-error'; error: CodecError };

export class NotifsConnectionMachine {
  readonly cfg: NotifsConfig;
  private lastRxAt: number;
  private nextKeepaliveAt = Number.POSITIVE_INFINITY;
  private open = false;
  closed = false;
  /** Highest desktop cseq handed to the application for this desktop (clientId). */
  lastCseq: number;
  /** Simulated stall (fault lab): send no keepalives. The driver also holds notifications back. */
  stalled = false;

  constructor(now: number, cfg: Partial<NotifsConfig> = {}, lastCseq = 0) {
    this.cfg = { ...DEFAULT_NOTIFS_CONFIG, ...cfg };
    this.lastRxAt = now;
    this.lastCseq = lastCseq;
  }

  /** The socket is accepted: the Welcome goes first (WxCC). */
  welcome(now: number, data: WelcomeData): NotifsOutput[] {
    if (this.open || this.closed) return [];
    this.open = true;
    this.lastRxAt = now;
    this.nextKeepaliveAt = now + this.cfg.keepaliveMs;
    return [{ type: 'send', text: encodeWelcome({ ...data, ackedCseq: this.lastCseq }), cls: 'welcome' }];
  }

  receive(now: number, text: string): NotifsOutput[] {
    if (this.closed) return [];
    this.lastRxAt = now;
    const d = decodeDesktopMessage(text, this.cfg.maxMessage);
    if (!d.ok) {
      this.closed = true;
      return [
        { type: 'protocol-error', error: d.error },
        { type: 'close', code: d.error.closeCode, reason: d.error.code },
      ];
    }
    const m = d.msg;
    if (m.kind === 'keepalive') return [{ type: 'keepalive-received' }];
    const out: NotifsOutput[] = [];
    if (m.cseq > this.lastCseq) {
      this.lastCseq = m.cseq;
      out.push({ type: 'message', cseq: m.cseq, data: m.data });
    } else {
      out.push({ type: 'duplicate-message', cseq: m.cseq });
    }
    out.push({ type: 'send', text: encodeAck(m.cseq), cls: 'resume' });
    return out;
  }

  tick(now: number): NotifsOutput[] {
    if (this.closed || !this.open) return [];
    if (now >= this.lastRxAt + this.cfg.silenceMs) {
      this.closed = true;
      return [{ type: 'close', code: CLOSE.SILENCE_TIMEOUT, reason: 'silence timeout' }];
    }
    if (now >= this.nextKeepaliveAt) {
      // Keep the 4 s cadence even when ticks come late (a shared sweep is up to one period late): no drift build-up.
      this.nextKeepaliveAt += this.cfg.keepaliveMs;
      if (this.nextKeepaliveAt <= now) this.nextKeepaliveAt = now + this.cfg.keepaliveMs;
      if (!this.stalled) return [{ type: 'send', text: encodeKeepalive(), cls: 'keepalive' }];
    }
    return [];
  }

  nextDeadline(): number {
    if (this.closed || !this.open) return Number.POSITIVE_INFINITY;
    return Math.min(this.lastRxAt + this.cfg.silenceMs, this.nextKeepaliveAt);
  }

  /** The driver closes for its own reasons (shutdown, multi-login, replaced). */
  markClosed(): void {
    this.closed = true;
  }
}
