// Reconnect delays: capped exponential backoff with full jitter on every attempt, the first included, so a fleet
// of desktops dropped by one outage does not reconnect in lockstep (the thundering herd).

export interface BackoffConfig {
  /** Upper bound of the first attempt's window. */
  baseMs: number;
  /** No window grows past this (Cisco's SDK retries every 5 s; our mean stays below that). */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = { baseMs: 1000, capMs: 5000 };

/** Window for attempt n (1-based): min(cap, base·2^(n−1)). */
export function backoffWindow(attempt: number, cfg: BackoffConfig = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.min(attempt, 31));
  return Math.min(cfg.capMs, cfg.baseMs * 2 ** (n - 1));
}

/** Full jitter: uniform in [0, window). `random` returns [0, 1) (injected so tests are deterministic). */
export function backoffDelay(attempt: number, random: () => number, cfg: BackoffConfig = DEFAULT_BACKOFF): number {
  const r = Math.min(Math.max(random(), 0), 0.999999);
  return Math.floor(r * backoffWindow(attempt, cfg));
}
