// The keepalive rhythm of an encrypted connection: WxCC / Lifeline send a small message every ~4 s in both
// directions, so a TLS flow carrying Notifs shows periodic small application-data records both ways. This file
// only measures (period, jitter, sizes, regularity); it does not decide. Sans-IO, bounded memory per flow.

export interface DirRhythm {
  /** Small records seen in this direction (all, not only the kept window). */
  count: number;
  /** Median interval between consecutive small records (ms); 0 when fewer than 3 samples. */
  periodMs: number;
  /** Median absolute deviation of the intervals from the period (ms). */
  jitterMs: number;
  /** Share of intervals within ±25 % of the period. */
  regularity: number;
  /** Record sizes: min / median / max of the small records. */
  sizeMin: number;
  sizeMedian: number;
  sizeMax: number;
  /** Longest interval between small records (ms): a silence. */
  maxGapMs: number;
}

export interface Rhythm {
  c2s: DirRhythm;
  s2c: DirRhythm;
  /** Both directions periodic (regularity ≥ 0.6, ≥ 4 intervals) with a period between 1 s and 30 s. */
  periodicBothWays: boolean;
  /** Periodic both ways with a period near the WxCC keepalive (2.5 s–6 s): very likely the Notifs socket. */
  looksLikeKeepalive: boolean;
}

/** Records up to this size count as "small" (a TLS record around a ~20-byte JSON keepalive is ~40–100 bytes). */
export const SMALL_RECORD = 256;
const KEEP = 1024;

class DirSamples {
  count = 0;
  ts: number[] = [];
  sizes: number[] = [];
  maxGap = 0;
  private last = -1;
  add(ts: number, len: number): void {
    this.count++;
    if (this.last >= 0 && ts - this.last > this.maxGap) this.maxGap = ts - this.last;
    this.last = ts;
    if (this.ts.length >= KEEP) {
      // Keep a bounded window: drop the oldest half at once (amortised O(1)).
      this.ts = this.ts.slice(KEEP / 2);
      this.sizes = this.sizes.slice(KEEP / 2);
    }
    this.ts.push(ts);
    this.sizes.push(len);
  }
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length & 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function summarise(d: DirSamples): DirRhythm {
  const iv: number[] = [];
  for (let i = 1; i < d.ts.length; i++) iv.push(d.ts[i] - d.ts[i - 1]);
  const period = iv.length >= 2 ? median(iv) : 0;
  const jitter = period > 0 ? median(iv.map((x) => Math.abs(x - period))) : 0;
  const regular = period > 0 ? iv.filter((x) => Math.abs(x - period) <= period * 0.25).length / iv.length : 0;
  return {
    count: d.count,
    periodMs: round(period),
    jitterMs: round(jitter),
    regularity: Math.round(regular * 100) / 100,
    sizeMin: d.sizes.length ? Math.min(...d.sizes) : 0,
    sizeMedian: median(d.sizes),
    sizeMax: d.sizes.length ? Math.max(...d.sizes) : 0,
    maxGapMs: round(d.maxGap),
  };
}

const round = (x: number): number => Math.round(x * 10) / 10;

export class RhythmTracker {
  private readonly dirs = [new DirSamples(), new DirSamples()];

  /** One application-data record (or message) of `len` bytes in direction 0 (c2s) or 1 (s2c) at `ts` ms. */
  add(dir: 0 | 1, ts: number, len: number): void {
    if (len <= SMALL_RECORD) this.dirs[dir].add(ts, len);
  }

  get samples(): number {
    return this.dirs[0].count + this.dirs[1].count;
  }

  result(): Rhythm {
    const c2s = summarise(this.dirs[0]);
    const s2c = summarise(this.dirs[1]);
    const periodic = (r: DirRhythm): boolean =>
      r.count >= 5 && r.regularity >= 0.6 && r.periodMs >= 1000 && r.periodMs <= 30_000;
    const both = periodic(c2s) && periodic(s2c);
    const near = (r: DirRhythm): boolean => r.periodMs >= 2500 && r.periodMs <= 6000;
    return { c2s, s2c, periodicBothWays: both, looksLikeKeepalive: both && near(c2s) && near(s2c) };
  }
}
