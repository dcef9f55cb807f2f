// What one benchmark desktop has seen of its agent's stream, and whether a resume is complete. Sans-IO: the load
// generator feeds it the Welcome's data and each notification's position; no sockets or clocks in here.

export interface Position {
  epoch: string;
  seq: number;
}

export interface ResumeInfo {
  requested: Position;
  recovered: boolean;
  replayed: number;
  missing?: unknown[];
}

export type ResumeState = 'waiting-welcome' | 'replaying' | 'done' | 'failed';

export class StreamTracker {
  /** last position seen (Welcome position or notification); epoch '' until the first Welcome */
  epoch = '';
  seq = 0;
  received = 0;
  duplicates = 0;
  /** notifications that jumped past seq + 1 (a hole the desktop would report) */
  gaps = 0;
  /** notifications from another epoch than the Welcome's (the stream was replaced) */
  foreign = 0;
  resume: ResumeInfo | undefined;
  /** why the current resume failed (stable short codes, counted by the load generator) */
  failure: string | undefined;
  /** notifications the current resume must replay, and the position they end at */
  private expectReplay = 0;
  private expectToSeq = 0;
  private resuming = false;

  /** Starts a resume: the desktop will ask for `resumeFrom` = its last position and expects `count` replays. */
  beginResume(count: number): Position {
    this.resuming = true;
    this.resume = undefined;
    this.failure = undefined;
    this.expectReplay = count;
    this.expectToSeq = this.seq + count;
    return { epoch: this.epoch, seq: this.seq };
  }

  onWelcome(data: unknown): void {
    const d = (data ?? {}) as { position?: Partial<Position>; resume?: ResumeInfo };
    const pos = d.position;
    if (pos && typeof pos.epoch === 'string' && typeof pos.seq === 'number') {
      this.epoch = pos.epoch;
      this.seq = pos.seq;
    } else if (!this.failure) {
      this.failure = 'welcome-without-position';
    }
    if (!this.resuming) return;
    const r = d.resume;
    if (!r || typeof r !== 'object') this.failure ??= 'no-resume-in-welcome';
    else {
      this.resume = r;
      if (r.recovered !== true) this.failure ??= 'not-recovered';
      else if (r.replayed !== this.expectReplay) this.failure ??= 'replayed-count-mismatch';
    }
  }

  onNotification(epoch: unknown, seq: unknown): void {
    this.received++;
    if (typeof epoch !== 'string' || typeof seq !== 'number') {
      this.failure ??= 'notification-without-position';
      return;
    }
    if (epoch !== this.epoch) {
      this.foreign++;
      this.failure ??= 'epoch-changed';
      return;
    }
    if (seq <= this.seq) {
      this.duplicates++;
      return;
    }
    if (seq > this.seq + 1) {
      this.gaps++;
      if (this.resuming) this.failure ??= 'gap';
    }
    this.seq = seq;
  }

  state(): ResumeState {
    if (this.failure) return 'failed';
    if (!this.resume) return 'waiting-welcome';
    return this.epoch === this.resume.requested.epoch && this.seq >= this.expectToSeq ? 'done' : 'replaying';
  }

  endResume(): void {
    this.resuming = false;
  }
}

/**
 * Lower bound on how long a token bucket (rate/s, burst) makes `n` subscribes that all arrive at once wait: the
 * first `burst` pass, the rest at `rate` per second. The storm cannot be shorter than the slowest node's bound.
 */
export function tokenBucketFloorMs(n: number, ratePerSec: number, burst: number): number {
  if (!(ratePerSec > 0)) return Number.POSITIVE_INFINITY;
  return (Math.max(0, n - burst) / ratePerSec) * 1000;
}
