// A periodic schedule for many items with spread phases: one timer for all of them instead of one setInterval per
// item. Item i fires once per period, in slot (phase mod slotCount). Sans-IO: the caller passes `now` and owns the
// single timer that calls advance().

export class PhaseWheel<T> {
  private readonly slots: T[][];
  private readonly slotMs: number;
  private readonly origin: number;
  /** absolute number of slots already fired since origin */
  private fired = 0;

  constructor(
    readonly periodMs: number,
    readonly slotCount: number,
    now: number,
  ) {
    if (!(periodMs > 0) || !(slotCount >= 1)) throw new RangeError('PhaseWheel needs periodMs > 0 and slotCount >= 1');
    this.slots = Array.from({ length: slotCount }, () => []);
    this.slotMs = periodMs / slotCount;
    this.origin = now;
  }

  add(item: T, phase: number): void {
    this.slots[((phase % this.slotCount) + this.slotCount) % this.slotCount].push(item);
  }

  /**
   * Fires every slot that became due since the last call. `visit` returns false to drop the item for good (closed
   * connections are removed lazily, so removal costs nothing at close time). If the caller fell behind by more than a
   * period, each slot fires once (never a burst of catch-up rounds).
   */
  advance(now: number, visit: (item: T) => boolean): number {
    const due = Math.floor((now - this.origin) / this.slotMs);
    const behind = due - this.fired;
    if (behind <= 0) return 0;
    const count = Math.min(behind, this.slotCount);
    let visited = 0;
    for (let k = due - count + 1; k <= due; k++) {
      const slot = this.slots[k % this.slotCount];
      let w = 0;
      for (let r = 0; r < slot.length; r++) {
        const item = slot[r];
        visited++;
        if (visit(item)) slot[w++] = item;
      }
      slot.length = w;
    }
    this.fired = due;
    return visited;
  }

  size(): number {
    let n = 0;
    for (const s of this.slots) n += s.length;
    return n;
  }
}
