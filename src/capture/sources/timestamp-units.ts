// pcapng timestamps are a 64-bit count of interface-specific units (if_tsresol: 10^-k or 2^-k seconds), given as two
// uint32 halves. Nanosecond counts since 1970 exceed 2^53, so a plain `hi * 2^32 + lo` loses precision; this splits
// the count into (seconds, nanoseconds) exactly with number arithmetic and falls back to BigInt only for rare
// resolutions.

export interface TsResolution {
  /** Units per second. */
  perSec: number;
  /** `if_tsresol` byte as found (default 6 = µs). */
  raw: number;
  /** Nanoseconds per unit when that is an integer (10^-k with k ≤ 9), else 0. */
  nsPerUnit: number;
  /** For 2^-k resolutions: k; else -1. */
  pow2: number;
}

export function tsResolution(raw: number): TsResolution {
  if (raw & 0x80) {
    const k = raw & 0x7f;
    return { perSec: 2 ** k, raw, nsPerUnit: k === 0 ? 1e9 : 0, pow2: k };
  }
  return { perSec: 10 ** raw, raw, nsPerUnit: raw <= 9 ? 10 ** (9 - raw) : 0, pow2: -1 };
}

export const TS_MICRO = tsResolution(6);
export const TS_NANO = tsResolution(9);

/** Result slots (module-level so the hot path allocates nothing). */
export const split = { sec: 0, nsec: 0 };

/** Splits the unit count hi·2^32 + lo into `split.sec` / `split.nsec`. */
export function splitUnits(hi: number, lo: number, r: TsResolution): void {
  const d = r.perSec;
  let sec: number;
  let rem: number;
  if (hi < 0x200000) {
    // The count fits in 53 bits: exact in a double.
    const units = hi * 4294967296 + lo;
    sec = Math.floor(units / d);
    rem = units - sec * d;
    if (rem < 0) {
      sec -= 1;
      rem += d;
    } else if (rem >= d) {
      sec += 1;
      rem -= d;
    }
  } else if (d <= 137438953472 /* 2^37: rem·2^16 stays below 2^53 */) {
    // Long division in 16-bit digits.
    sec = 0;
    rem = 0;
    const digits0 = hi >>> 16;
    const digits1 = hi & 0xffff;
    const digits2 = lo >>> 16;
    const digits3 = lo & 0xffff;
    let cur = digits0;
    let q = Math.floor(cur / d);
    rem = cur - q * d;
    sec = q;
    cur = rem * 65536 + digits1;
    q = Math.floor(cur / d);
    rem = cur - q * d;
    sec = sec * 65536 + q;
    cur = rem * 65536 + digits2;
    q = Math.floor(cur / d);
    rem = cur - q * d;
    sec = sec * 65536 + q;
    cur = rem * 65536 + digits3;
    q = Math.floor(cur / d);
    rem = cur - q * d;
    sec = sec * 65536 + q;
  } else {
    splitBig(hi, lo, r);
    return;
  }
  split.sec = sec;
  if (r.nsPerUnit !== 0) split.nsec = rem * r.nsPerUnit;
  else if (r.pow2 >= 0 && r.pow2 <= 23) split.nsec = Math.floor((rem * 1e9) / d);
  else split.nsec = Number((BigInt(rem) * 1_000_000_000n) / BigInt(d));
}

function splitBig(hi: number, lo: number, r: TsResolution): void {
  const units = (BigInt(hi) << 32n) | BigInt(lo);
  const d = r.pow2 >= 0 ? 1n << BigInt(r.pow2) : 10n ** BigInt(r.raw);
  const sec = units / d;
  split.sec = Number(sec);
  split.nsec = Number(((units - sec * d) * 1_000_000_000n) / d);
}
