// One timer for all connections: a hashed timing wheel swept every `sweepMs` (default 250 ms). Scheduling is lazy:
// when a connection's deadline moves later (every received message does that) nothing happens here; when its old
// slot comes due the owner is asked again and re-slotted. So there is no per-message timer work, and 20k sockets
// cost one setInterval, not 20k setTimeouts re-armed on every keepalive.

export interface Sweepable {
  /** Monotonic ms when this item needs attention; +Infinity for never. */
  nextDeadline(): number;
  /** Called when due. Return nothing; the wheel re-reads nextDeadline() afterwards. */
  onDeadline(now: number): void;
  /** Wheel bookkeeping: the slot the item currently sits in (undefined = not scheduled). */
  wheelSlot?: number;
}

export class DeadlineSweep<T extends Sweepable> {
  private readonly slots = new Map<number, T[]>();
  private lastSwept: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private size = 0;

  constructor(
    readonly sweepMs: number,
    private readonly now: () => number,
  ) {
    this.lastSwept = Math.floor(now() / sweepMs);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.sweep(this.now()), this.sweepMs);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Number of scheduled items (stale duplicates excluded). */
  get scheduled(): number {
    return this.size;
  }

  /** (Re)schedule: only moves an item earlier; a later deadline is picked up lazily when the old slot fires. */
  schedule(item: T): void {
    const d = item.nextDeadline();
    if (!Number.isFinite(d)) return;
    // floor, not ceil: the sweep timer's phase is arbitrary, so an item is checked at the first sweep of its slot
    // and, if not yet due, re-slotted into the next one: at most one sweep period late.
    const slot = Math.max(Math.floor(d / this.sweepMs), this.lastSwept + 1);
    if (item.wheelSlot !== undefined && item.wheelSlot <= slot) return;
    if (item.wheelSlot === undefined) this.size++;
    item.wheelSlot = slot;
    let list = this.slots.get(slot);
    if (!list) this.slots.set(slot, (list = []));
    list.push(item);
  }

  remove(item: T): void {
    if (item.wheelSlot !== undefined) this.size--;
    item.wheelSlot = undefined; // its entry stays in the slot list and is skipped as stale
  }

  /** Run every slot up to `now`. Public so tests can drive it with explicit times. */
  sweep(now: number): void {
    const upTo = Math.floor(now / this.sweepMs);
    // After a long event-loop stall there may be many empty slots; walk only the ones that exist.
    const due: number[] = [];
    if (upTo - this.lastSwept > this.slots.size) {
      for (const k of this.slots.keys()) if (k <= upTo) due.push(k);
      due.sort((a, b) => a - b);
    } else {
      for (let s = this.lastSwept + 1; s <= upTo; s++) if (this.slots.has(s)) due.push(s);
    }
    this.lastSwept = upTo;
    for (const s of due) {
      const list = this.slots.get(s)!;
      this.slots.delete(s);
      for (const item of list) {
        if (item.wheelSlot !== s) continue; // moved earlier or removed
        item.wheelSlot = undefined;
        this.size--;
        if (item.nextDeadline() <= now) item.onDeadline(now);
        this.schedule(item);
      }
    }
  }
}
