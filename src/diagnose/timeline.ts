// One timeline from many evidence files: keep the Notifs connection's events, move every source onto the
// reference clock, sort. Knows events only (no judgement).
import type { EvidenceResult, Problem, SourceKind, TimelineEvent } from '../events/types.ts';
import { type Alignment, alignSources } from './clock-alignment.ts';
import { identifyNotifs, isNotifsEvent, type NotifsConnections } from './find-notifs.ts';
import type { DiagnoseOptions } from './model.ts';

/**
 * A timeline event moved to the reference clock; `srcTs` keeps the source's own time where it differs (absent: the
 * same as `ts`, i.e. the reference file's events, kept as read).
 */
export type AlignedEvent = TimelineEvent & { srcTs?: number };

export interface SourceInfo {
  file: string;
  kind: SourceKind;
  format: string;
  /** Events kept (Notifs-related) / read. */
  events: number;
  eventsRead: number;
  /** Reference clock. */
  firstTs?: number;
  lastTs?: number;
  alignment: Alignment;
  blindTo: string[];
  problems: Problem[];
  /** Connection ids taken as Notifs and why. */
  notifsConns: { conn: string; why: string }[];
}

export interface Timeline {
  reference?: string;
  sources: SourceInfo[];
  events: AlignedEvent[];
  notifs: NotifsConnections;
  start?: number;
  end?: number;
  notes: string[];
  /**
   * Sources whose time spans overlap (within the recovery timeout) share a segment number; files days apart are
   * separate timelines, judged on their own (an incident never spans two segments).
   */
  segmentOf: Map<string, number>;
  /** Per segment, when its evidence ends (reference clock). */
  segmentEnd: number[];
}

export function buildTimeline(results: EvidenceResult[], opts: DiagnoseOptions): Timeline {
  const notifs = identifyNotifs(results, opts);
  // Events without a usable time cannot be placed on a timeline: leave them out and say how many.
  const untimed = new Map<string, number>();
  const kept = results.map((r) => ({
    r,
    events: r.events.filter((e) => {
      if (!Number.isFinite(e.ts)) {
        untimed.set(r.file, (untimed.get(r.file) ?? 0) + 1);
        return false;
      }
      return isNotifsEvent(e, r.file, notifs);
    }),
  }));
  const { reference, alignments } = alignSources(
    kept.map((k) => ({ file: k.r.file, kind: k.r.kind, events: k.events })),
    opts.keepaliveMs,
  );
  const events: AlignedEvent[] = [];
  const sources: SourceInfo[] = [];
  const notes = [...notifs.notes];
  for (const [file, n] of untimed) notes.push(`${file}: ${n} event(s) without a valid time were left out.`);
  for (const { r, events: evs } of kept) {
    const alignment = alignments.get(r.file) ?? {
      offsetMs: 0,
      method: 'assumed' as const,
      matches: 0,
      spreadMs: 0,
      confidence: 0.3,
      clockUncertain: true,
    };
    let first: number | undefined;
    let last: number | undefined;
    for (const e of evs) {
      const ae = aligned(e, r.file, alignment);
      events.push(ae);
      if (first === undefined || ae.ts < first) first = ae.ts;
      if (last === undefined || ae.ts > last) last = ae.ts;
    }
    // A file may say it covers more than its Notifs events (a capture running on after the last packet we kept).
    if (typeof r.meta.lastTs === 'number' && evs.length > 0) last = Math.max(last!, r.meta.lastTs + alignment.offsetMs);
    if (alignment.question) notes.push(alignment.question);
    sources.push({
      file: r.file,
      kind: r.kind,
      format: r.format,
      events: evs.length,
      eventsRead: r.events.length,
      firstTs: first,
      lastTs: last,
      alignment,
      blindTo: r.meta.blindTo ?? [],
      problems: r.problems,
      notifsConns: [...(notifs.perSource.get(r.file) ?? new Map()).entries()].map(([conn, why]) => ({ conn, why })),
    });
  }
  events.sort((a, b) => a.ts - b.ts);
  const withTs = sources.filter((s) => s.firstTs !== undefined);
  const { segmentOf, segmentEnd } = segments(withTs, opts.recoveryMs, notes);
  return {
    segmentOf,
    segmentEnd,
    reference,
    sources,
    events,
    notifs,
    start: withTs.length ? Math.min(...withTs.map((s) => s.firstTs!)) : undefined,
    end: withTs.length ? Math.max(...withTs.map((s) => s.lastTs!)) : undefined,
    notes,
  };
}

/** Groups sources whose spans overlap (with `slackMs`); says so in a note when there is more than one group. */
function segments(
  sources: SourceInfo[],
  slackMs: number,
  notes: string[],
): { segmentOf: Map<string, number>; segmentEnd: number[] } {
  const sorted = [...sources].sort((a, b) => a.firstTs! - b.firstTs!);
  const segmentOf = new Map<string, number>();
  const segmentEnd: number[] = [];
  const members: string[][] = [];
  for (const s of sorted) {
    const i = segmentEnd.length - 1;
    if (i >= 0 && s.firstTs! <= segmentEnd[i] + slackMs) {
      segmentEnd[i] = Math.max(segmentEnd[i], s.lastTs!);
      members[i].push(s.file);
    } else {
      segmentEnd.push(s.lastTs!);
      members.push([s.file]);
    }
    segmentOf.set(s.file, segmentEnd.length - 1);
  }
  if (members.length > 1)
    notes.push(
      `The evidence covers ${members.length} time spans that do not overlap (${members.map((m) => m.join(', ')).join(' | ')}): each is judged as its own timeline, and their clocks could not be checked against each other.`,
    );
  return { segmentOf, segmentEnd };
}

/**
 * The event on the reference clock. Events already on it (offset 0, source named) are used as they are, untouched:
 * copying millions of capture events, or even adding `srcTs` to each (~50 bytes), would add a third to diagnose's
 * memory. Others are copied property by property (a spread copy of a plain object is a slow, 3× larger
 * dictionary object in V8).
 */
function aligned(e: TimelineEvent, file: string, alignment: Alignment): AlignedEvent {
  if (alignment.offsetMs === 0 && e.source && e.kind !== 'device-log') return e;
  const ae = {} as Record<string, unknown>;
  for (const k in e) ae[k] = (e as unknown as Record<string, unknown>)[k];
  const out = ae as unknown as AlignedEvent;
  // Readers set `source`; fall back to the file so every event names its evidence.
  out.source = e.source || file;
  out.ts = e.ts + alignment.offsetMs;
  out.srcTs = e.ts;
  // A device line's clock is uncertain until alignment pinned it (5-tuple match), whatever the reader guessed.
  if (out.kind === 'device-log') out.clockUncertain = alignment.clockUncertain;
  return out;
}

/** Which events count as "a completed message" in one direction for one source (any message is proof of life). */
export function isMessage(e: AlignedEvent, sourceHasWs: boolean): boolean {
  if (e.kind === 'ws-message') return true;
  // Encrypted without keys: application-data records stand in for messages.
  return !sourceHasWs && e.kind === 'tls-record' && e.contentType === 23;
}
