// A hashed timing wheel for deadlines that move often (silence timeouts that every received message pushes back).
// Receiving a message costs nothing here: the owner only updates its own `lastReceivedAt`. When an item's slot comes
// round, `visit` looks at the real deadline and either expires the item or files it again under the new deadline,
// so each item is touched about once per timeout, not once per message. Sans-IO: the caller passes `now`.

export class DeadlineWheel<T> {
  private readonly slots: T[][];
  private lastTick: number;

  constructor(
    readonly tickMs: number,
    readonly horizonMs: number,
    now: number,
  ) {
    if (!(tickMs > 0) || !(horizonMs > 0)) throw new RangeError('DeadlineWheel needs tickMs > 0 and horizonMs > 0');
    this.slots = Array.from({ length: Math.ceil(horizonMs / tickMs) + 2 }, () => []);
    this.lastTick = Math.floor(now / tickMs);
  }

  /** Files `item` to be visited at the first tick at or after `deadline` (clamped to the wheel's horizon). */
  schedule(item: T, deadline: number): void {
    const latest = (this.lastTick + this.slots.length - 1) * this.tickMs;
    const at = Math.min(deadline, latest);
    const tick = Math.max(this.lastTick + 1, Math.ceil(at / this.tickMs));
    this.slots[tick % this.slots.length].push(item);
  }

  /**
   * Visits the items of every tick that passed since the last call. `visit` returns a new deadline to keep the item,
   * or undefined to drop it (expired or closed).
   */
  advance(now: number, visit: (item: T, now: number) => number | undefined): number {
    const target = Math.floor(now / this.tickMs);
    let visited = 0;
    // Bounded: at most one full turn of the wheel per call (a longer stall visits every slot once).
    const first = Math.max(this.lastTick + 1, target - this.slots.length + 1);
    for (let t = first; t <= target; t++) {
      const idx = t % this.slots.length;
      const items = this.slots[idx];
      if (items.length === 0) continue;
      this.slots[idx] = [];
      this.lastTick = t; // so schedule() from inside visit files into later slots
      for (const item of items) {
        visited++;
        const next = visit(item, now);
        if (next !== undefined) this.schedule(item, Math.max(next, (t + 1) * this.tickMs));
      }
    }
    this.lastTick = Math.max(this.lastTick, target);
    return visited;
  }
}
