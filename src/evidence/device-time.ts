// Device clocks are not the PC's clock, and syslog times often carry neither year nor timezone. These helpers
// turn what a line *says* into epoch ms, and say how sure that is: a time without a zone is read as if it were
// UTC and flagged uncertain (the troubleshooter estimates the real offset by aligning sources).
export interface DeviceTime {
  ts: number;
  /** The zone the line stated, in minutes east of UTC; undefined when the line did not say. */
  utcOffsetMin?: number;
  uncertain: boolean;
}

export interface YearHint {
  /** Year to use for lines without one (file mtime's year, or the --year option). */
  year: number;
  /** Month (0-11) of the reference date: a line month after it belongs to the previous year (log spans New Year). */
  refMonth?: number;
}

const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

/** Zone token → minutes east of UTC. Only unambiguous ones; others leave the time uncertain. */
export function zoneOffset(z: string | undefined): number | undefined {
  if (!z) return undefined;
  const u = z.toUpperCase();
  if (u === 'Z' || u === 'UTC' || u === 'GMT' || u === 'UT') return 0;
  const m = /^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$/.exec(u);
  if (!m) return undefined;
  const h = Number(m[2]);
  const min = Number(m[3] ?? 0);
  if (h > 14 || min > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + min);
}

function build(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  frac: string | undefined,
  zone: string | undefined,
): DeviceTime | undefined {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  let ts = Date.UTC(y, mo, d, h, mi, s);
  if (frac) ts += Number(`0.${frac}`) * 1000;
  const off = zoneOffset(zone);
  if (off !== undefined) return { ts: ts - off * 60_000, utcOffsetMin: off, uncertain: false };
  return { ts, uncertain: true };
}

const ISO_RE = /(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s?(Z|[+-]\d{2}:?\d{2})?/;
const BSD_RE =
  /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+(\d{1,2})(?:\s+(\d{4}))?\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:\s+(UTC|GMT|Z|[A-Z]{2,5}|[+-]\d{2}:?\d{2}))?(?=[\s:]|$)/i;

/** First timestamp found in `s` (ISO 8601 / `yyyy/mm/dd hh:mm:ss`, or BSD syslog `Mon dd [yyyy] hh:mm:ss [zone]`). */
export function findTime(s: string, hint: YearHint): DeviceTime | undefined {
  const iso = ISO_RE.exec(s);
  const bsd = BSD_RE.exec(s);
  // Prefer whichever comes first in the line (the syslog header is the event time).
  if (iso && (!bsd || iso.index <= bsd.index)) {
    return build(+iso[1], +iso[2] - 1, +iso[3], +iso[4], +iso[5], +iso[6], iso[7], iso[8]);
  }
  if (bsd) {
    const mo = MONTHS[bsd[1].toLowerCase()];
    let y = bsd[3] ? +bsd[3] : hint.year;
    if (!bsd[3] && hint.refMonth !== undefined && mo > hint.refMonth) y -= 1;
    return build(y, mo, +bsd[2], +bsd[4], +bsd[5], +bsd[6], bsd[7], bsd[8]);
  }
  return undefined;
}

/** Epoch number of unknown unit (s, ms, µs, ns) → ms. */
export function epochToMs(n: number): number {
  if (n > 1e17) return n / 1e6;
  if (n > 1e14) return n / 1e3;
  if (n > 1e11) return n;
  return n * 1000;
}
