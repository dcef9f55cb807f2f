// Durations for people, in one place for every command: parse the CLI's `16s`, `16000ms`, `1m`, `1.5s`, `500`
// (bare number = ms), and print any span as `41 s`, `3 h 12 min`, `2199 d 17 h` (never `190054795.0 s`).
// Imports nothing, so every layer can use it.
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Returns milliseconds, or undefined when the text is not a non-negative duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) * UNIT_MS[(m[2] ?? 'ms').toLowerCase()];
  return Number.isFinite(value) ? value : undefined;
}

/** `250` → `250 ms`, `16000` → `16 s`, `61500` → `1 min 1.5 s`, `11520000` → `3 h 12 min`, 2 days → `2 d`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const neg = ms < 0 ? '-' : '';
  ms = Math.abs(ms);
  if (ms < 1000) return `${neg}${Math.round(ms)} ms`;
  if (ms < 60_000) return `${neg}${trim(ms / 1000)} s`;
  if (ms < HOUR) {
    const min = Math.floor(ms / 60_000);
    const s = (ms - min * 60_000) / 1000;
    return `${neg}${min} min${s >= 0.05 ? ` ${trim(s)} s` : ''}`;
  }
  if (ms < DAY) {
    let h = Math.floor(ms / HOUR);
    let min = Math.round((ms - h * HOUR) / 60_000);
    if (min === 60) [h, min] = [h + 1, 0];
    return `${neg}${h} h${min ? ` ${min} min` : ''}`;
  }
  let d = Math.floor(ms / DAY);
  let h = Math.round((ms - d * DAY) / HOUR);
  if (h === 24) [d, h] = [d + 1, 0];
  return `${neg}${d} d${h ? ` ${h} h` : ''}`;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function trim(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** ISO time with milliseconds, UTC. */
export function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? `? (${ts})` : d.toISOString();
}
