// Notifs' side of one desktop socket, sans-IO: the whole server role of one connection.
//   accepted  → (claimed: the desktop's acked cseq is known) → welcoming: ask the store for the stream's info
//   welcoming → (streamInfo) → live: Welcome first (WxCC), then the replay pump: read, send, wait until written
//   live      → closed (silence, bad input, epoch change, fell behind, or the driver's own reasons)
// Inputs: received text, `now`, and the store's answers (info, entries, appends seen). Outputs: frames to send, a
// close, store reads, and application events. No sockets, no timers, no clock: the driver owns the socket and calls
// tick(now) at nextDeadline() (a shared sweep; one socket never owns a timer).
// Ordering and exactly-once per socket: `sentSeq` is the last notification handed to the socket; one pump at a time
// asks for entries sentSeq+1…, so replay and live publishes never interleave or repeat.
// The server sends its own keepalive every keepaliveMs (WxCC behaviour, independent of traffic) and drops a desktop
// that sent nothing for silenceMs.

import { CLOSE } from './close-codes.ts';
import {
  type CodecError,
  DEFAULT_MAX_MESSAGE,
  decodeDesktopMessage,
  encodeAck,
  encodeKeepalive,
  encodeNotification,
  encodeWelcome,
} from './codec.ts';
import type { NotificationEnvelope, WelcomeData } from './messages.ts';
import { planResume, type ResumeResult, type StreamInfo, type StreamPosition } from './stream-position.ts';
import { WXCC_TIMERS } from './wxcc.ts';

export interface NotifsConfig {
  keepaliveMs: number;
  silenceMs: number;
  maxMessage: number;
  /** Entries asked for per replay read. */
  replayBatch: number;
  /** Tracked sessions: re-record the delivered position at least this often even when it did not move. */
  markRefreshMs: number;
}

export const DEFAULT_NOTIFS_CONFIG: NotifsConfig = {
  keepaliveMs: WXCC_TIMERS.keepaliveMs,
  silenceMs: WXCC_TIMERS.silenceMs,
  maxMessage: DEFAULT_MAX_MESSAGE,
  replayBatch: 500,
  markRefreshMs: 30000,
};

/**
 * What a client that cannot resume is told, as a notification its SDK hands to the application, when the server
 * could not replay everything it missed since its last connection.
 */
export const RECOVERY_NOTICE_TYPE = 'LifelineStreamRecovery';

/** Who is on the socket (from the subscription). */
export interface NotifsSession {
  agentId: string;
  subscriptionId?: string;
  resumeFrom?: StreamPosition;
  /**
   * A client that cannot resume (no resumeFrom, no clientId: Cisco's SDK): the server records the last position
   * delivered (per agent and client type) and, on its next fresh subscribe, resumes from there itself.
   */
  trackDelivered?: boolean;
}

/** One stored notification as the store hands it over. */
export interface NotifsEntry {
  seq: number;
  type: string;
  data: unknown;
  /** trackingId / orgId / eventTime given at publish, passed through on the wire. */
  meta?: NotificationEnvelope;
}

export type NotifsState = 'accepted' | 'welcoming' | 'live' | 'closed';

export type SendOutput = {
  type: 'send';
  text: string;
  cls: 'keepalive' | 'welcome' | 'resume' | 'notification';
  /** Notifications: the seq sent. */
  seq?: number;
  /** Last frame of a replay batch: report written() once it is on the wire (flow control). */
  flush?: boolean;
};

export type NotifsOutput =
  | SendOutput
  | { type: 'close'; code: number; reason: string }
  /** Ask the store for the stream's info; answer with streamInfo(). */
  | { type: 'info' }
  /** Ask the store for up to `limit` entries from `fromSeq`; answer with entries(). */
  | { type: 'read'; fromSeq: number; limit: number }
  /** The resume decision went out in the Welcome (desktops that asked to resume, or were resumed implicitly). */
  | { type: 'resumed'; result: ResumeResult; implicit: boolean }
  /** Record this position as delivered to this agent's client type (tracked sessions only). */
  | { type: 'mark'; position: StreamPosition }
  /** The socket drained slower than the stream was trimmed; a close follows. */
  | { type: 'behind-backlog'; sentSeq: number; next: number }
  | { type: 'keepalive-received' }
  /** A desktop message to hand to the application (first delivery of this cseq). */
  | { type: 'message'; cseq: number; data: unknown }
  /** A redelivered desktop message already handed over: acknowledged again, not delivered. */
  | { type: 'duplicate-message'; cseq: number }
  | { type: 'protocol-error'; error: CodecError };

type Pump = 'idle' | 'reading' | 'writing';

export class NotifsConnectionMachine {
  readonly cfg: NotifsConfig;
  readonly session: NotifsSession;
  state: NotifsState = 'accepted';
  /** Highest desktop cseq handed to the application for this desktop (clientId). */
  lastCseq: number;
  /** Last notification handed to the socket, and the epoch it belongs to. */
  sentSeq = 0;
  epoch = '';
  private lastRxAt: number;
  private nextKeepaliveAt = Number.POSITIVE_INFINITY;
  private pump: Pump = 'idle';
  private pumpAgain = false;
  /** A frame was held back by the driver: send nothing more until writable(). */
  private holding = false;
  /** Tracked sessions: the position recorded before this connection (implicit resume) and the last one marked. */
  private implicitFrom: StreamPosition | undefined;
  private markedSeq = -1;
  private markedAt = Number.NEGATIVE_INFINITY;
  private finalMarked = false;

  constructor(now: number, cfg: Partial<NotifsConfig> = {}, lastCseq = 0, session: NotifsSession = { agentId: '' }) {
    this.cfg = { ...DEFAULT_NOTIFS_CONFIG, ...cfg };
    this.lastRxAt = now;
    this.lastCseq = lastCseq;
    this.session = session;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * The session is registered and the desktop's acked cseq is known: prepare the Welcome. `delivered`: for a
   * tracked session, the position last delivered to its client type (the store's answer), resumed from implicitly.
   */
  claimed(now: number, lastCseq: number, delivered?: StreamPosition): NotifsOutput[] {
    if (this.state !== 'accepted') return [];
    this.lastCseq = lastCseq;
    if (this.session.trackDelivered && !this.session.resumeFrom && delivered) this.implicitFrom = delivered;
    this.lastRxAt = now;
    this.state = 'welcoming';
    return this.holding ? [] : [{ type: 'info' }];
  }

  /** The store's answer to 'info': Welcome (with the resume decision), then the replay. */
  streamInfo(now: number, info: StreamInfo): NotifsOutput[] {
    if (this.state !== 'welcoming' || this.holding) return [];
    const implicit = !this.session.resumeFrom && !!this.implicitFrom;
    const plan = planResume(this.session.resumeFrom ?? this.implicitFrom, info);
    this.epoch = info.epoch;
    this.sentSeq = plan.start.seq;
    const data: WelcomeData = {
      agentId: this.session.agentId,
      ...(this.session.subscriptionId ? { subscriptionId: this.session.subscriptionId } : {}),
      position: plan.start,
      ...(plan.result ? { resume: plan.result } : {}),
      keepaliveMs: this.cfg.keepaliveMs,
      silenceMs: this.cfg.silenceMs,
    };
    const out = this.welcome(now, data);
    if (plan.result && implicit && !plan.result.recovered) out.push(this.recoveryNotice(plan.result));
    if (plan.result) out.push({ type: 'resumed', result: plan.result, implicit });
    if (this.session.trackDelivered) out.push(this.mark(now));
    return out.concat(this.requestPump());
  }

  /** The final delivered position of a tracked session, once (the driver asks when the socket is gone). */
  lastMark(now: number): NotifsOutput[] {
    if (!this.session.trackDelivered || !this.epoch || this.finalMarked) return [];
    this.finalMarked = true;
    return [this.mark(now)];
  }

  /** Send the Welcome with data the caller prepared (the role above does it from streamInfo). */
  welcome(now: number, data: WelcomeData): NotifsOutput[] {
    if (this.state === 'live' || this.state === 'closed') return [];
    this.state = 'live';
    this.lastRxAt = now;
    this.nextKeepaliveAt = now + this.cfg.keepaliveMs;
    return [{ type: 'send', text: encodeWelcome({ ...data, ackedCseq: this.lastCseq }), cls: 'welcome' }];
  }

  /** The store's answer to 'read'. */
  entries(_now: number, epoch: string, entries: NotifsEntry[]): NotifsOutput[] {
    if (this.state !== 'live' || this.pump !== 'reading') return [];
    if (epoch !== this.epoch) {
      // The stream was replaced under us (store restart): make the desktop resume and be told.
      return this.close(CLOSE.SERVER_SHUTDOWN, 'stream epoch changed');
    }
    this.pump = 'idle';
    if (entries.length === 0) return this.pumpAgain ? this.requestPump() : [];
    if (entries[0].seq > this.sentSeq + 1) {
      // This socket fell behind the retained backlog (it drained slower than the agent's stream was trimmed).
      // Sending on would leave the desktop to notice a hole; closing makes it resume, and the resume names the
      // trimmed range exactly (recovered: false).
      const behind: NotifsOutput = { type: 'behind-backlog', sentSeq: this.sentSeq, next: entries[0].seq };
      return [behind, ...this.close(CLOSE.OVERLOADED, 'fell behind the retained backlog; resume')];
    }
    const out: SendOutput[] = [];
    for (const e of entries) {
      if (e.seq <= this.sentSeq) continue;
      this.sentSeq = e.seq;
      out.push(this.notification(epoch, e));
    }
    if (out.length === 0) return this.requestPump();
    out[out.length - 1].flush = true;
    this.pump = 'writing';
    return out;
  }

  /** The last frame of a batch is on the wire: read the next one. */
  written(_now: number): NotifsOutput[] {
    if (this.pump !== 'writing') return [];
    this.pump = 'idle';
    return this.requestPump();
  }

  /** A notification was appended to this agent's stream by this process. */
  appended(_now: number, epoch: string, entry: NotifsEntry): NotifsOutput[] {
    if (this.state !== 'live' || this.holding) return [];
    // Fast path: a caught-up socket gets the new entry directly; anything else goes through the pump.
    if (this.pump === 'idle' && this.epoch === epoch && this.sentSeq === entry.seq - 1) {
      this.sentSeq = entry.seq;
      return [this.notification(epoch, entry)];
    }
    return this.requestPump();
  }

  /** The store says the stream grew (to `seq`, or unknown: notices may have been missed). */
  notice(_now: number, seq?: number): NotifsOutput[] {
    if (this.state !== 'live' || (seq !== undefined && this.sentSeq >= seq)) return [];
    return this.requestPump();
  }

  /**
   * The driver held a frame back instead of sending it (the lab's stall switch): rewind to before it, and send
   * nothing more until writable(). A held Welcome is prepared again from fresh info; held notifications are read
   * again from the store. A held keepalive is simply not sent.
   */
  held(_now: number, out: SendOutput): NotifsOutput[] {
    if (this.closed || out.cls === 'keepalive' || out.cls === 'resume') return [];
    this.holding = true;
    this.pump = 'idle';
    this.pumpAgain = false;
    if (out.cls === 'welcome') {
      this.state = 'welcoming';
      this.nextKeepaliveAt = Number.POSITIVE_INFINITY;
    } else if (out.seq !== undefined) {
      this.sentSeq = Math.min(this.sentSeq, out.seq - 1);
    }
    return [];
  }

  /** Frames may flow again (also: look at the stream again). */
  writable(_now: number): NotifsOutput[] {
    const wasHolding = this.holding;
    this.holding = false;
    if (this.state === 'welcoming' && wasHolding) return [{ type: 'info' }];
    return this.requestPump();
  }

  receive(now: number, text: string): NotifsOutput[] {
    if (this.state === 'closed' || this.state === 'accepted') return [];
    this.lastRxAt = now;
    const d = decodeDesktopMessage(text, this.cfg.maxMessage);
    if (!d.ok) {
      this.state = 'closed';
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
    if (this.state !== 'live') return [];
    if (now >= this.lastRxAt + this.cfg.silenceMs) {
      this.state = 'closed';
      return [{ type: 'close', code: CLOSE.SILENCE_TIMEOUT, reason: 'silence timeout' }];
    }
    if (now >= this.nextKeepaliveAt) {
      // Keep the 4 s cadence even when ticks come late (a shared sweep is up to one period late): no drift build-up.
      this.nextKeepaliveAt += this.cfg.keepaliveMs;
      if (this.nextKeepaliveAt <= now) this.nextKeepaliveAt = now + this.cfg.keepaliveMs;
      const out: NotifsOutput[] = [{ type: 'send', text: encodeKeepalive(), cls: 'keepalive' }];
      // Tracked sessions record their delivered position at keepalive pace: moved, or due for a refresh.
      const due = this.sentSeq !== this.markedSeq || now - this.markedAt >= this.cfg.markRefreshMs;
      if (this.session.trackDelivered && due) out.push(this.mark(now));
      return out;
    }
    return [];
  }

  nextDeadline(): number {
    if (this.state !== 'live') return Number.POSITIVE_INFINITY;
    return Math.min(this.lastRxAt + this.cfg.silenceMs, this.nextKeepaliveAt);
  }

  /** The driver closes for its own reasons (shutdown, multi-login, replaced, slow consumer, store error). */
  close(code: number, reason: string): NotifsOutput[] {
    if (this.state === 'closed') return [];
    this.state = 'closed';
    return [{ type: 'close', code, reason }];
  }

  /** The socket is gone (peer closed, terminated). */
  markClosed(): void {
    this.state = 'closed';
  }

  private mark(now: number): NotifsOutput {
    this.markedSeq = this.sentSeq;
    this.markedAt = now;
    return { type: 'mark', position: { epoch: this.epoch, seq: this.sentSeq } };
  }

  /** Sent (as cls 'welcome': held and re-prepared with it) right after the Welcome of an implicit resume. */
  private recoveryNotice(result: ResumeResult): SendOutput {
    const data = { type: RECOVERY_NOTICE_TYPE, ...result };
    return { type: 'send', text: encodeNotification(RECOVERY_NOTICE_TYPE, data), cls: 'welcome' };
  }

  private notification(epoch: string, e: NotifsEntry): SendOutput {
    return {
      type: 'send',
      text: encodeNotification(e.type, e.data, { epoch, seq: e.seq }, e.meta),
      cls: 'notification',
      seq: e.seq,
    };
  }

  private requestPump(): NotifsOutput[] {
    if (this.state !== 'live' || this.holding) return [];
    if (this.pump !== 'idle') {
      this.pumpAgain = true;
      return [];
    }
    this.pump = 'reading';
    this.pumpAgain = false;
    return [{ type: 'read', fromSeq: this.sentSeq + 1, limit: this.cfg.replayBatch }];
  }
}
