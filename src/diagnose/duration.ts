// Parses the CLI's durations: `16s`, `16000ms`, `1m`, `1.5s`, `500` (bare number = ms).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Returns milliseconds, or undefined when the text is not a non-negative duration. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]) * UNIT_MS[(m[2] ?? 'ms').toLowerCase()];
  return Number.isFinite(value) ? value : undefined;
}

/** `16000` → `16 s`, `61500` → `1 min 1.5 s`, `250` → `250 ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const neg = ms < 0 ? '-' : '';
  ms = Math.abs(ms);
  if (ms < 1000) return `${neg}${Math.round(ms)} ms`;
  if (ms < 60_000) return `${neg}${trim(ms / 1000)} s`;
  if (ms < 3_600_000) {
    const min = Math.floor(ms / 60_000);
    const s = (ms - min * 60_000) / 1000;
    return `${neg}${min} min${s >= 0.05 ? ` ${trim(s)} s` : ''}`;
  }
  const h = Math.floor(ms / 3_600_000);
  const min = Math.round((ms - h * 3_600_000) / 60_000);
  return `${neg}${h} h${min ? ` ${min} min` : ''}`;
}

function trim(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

/** ISO time with milliseconds, UTC. */
export function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? `? (${ts})` : d.toISOString();
}
