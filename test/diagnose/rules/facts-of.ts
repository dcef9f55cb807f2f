// Fact fixtures for the rule unit tests: evidence (world projections or hand-made events) → the facts of each
// incident, exactly as diagnose() builds them (timeline → incidents → analyses), so a predicate is tested on the
// same input the judge sees.
import { analyseIncident, type IncidentFacts } from '../../../src/diagnose/analyses.ts';
import { findIncidents } from '../../../src/diagnose/incidents.ts';
import { DEFAULT_OPTIONS, type DiagnoseOptions } from '../../../src/diagnose/model.ts';
import { buildTimeline } from '../../../src/diagnose/timeline.ts';
import type { EvidenceResult, TimelineEvent } from '../../../src/events/types.ts';
import { CLIENT_IP, SERVER_IP, T0 } from '../world.ts';

export function factsOf(
  results: EvidenceResult[],
  extra: Partial<IncidentFacts> = {},
  opts: DiagnoseOptions = DEFAULT_OPTIONS,
): IncidentFacts[] {
  const tl = buildTimeline(results, opts);
  return findIncidents(tl, opts).map((inc) => ({ ...analyseIncident(inc, tl, opts), ...extra }));
}

/** The connection key the world's capture projection uses for connection n's port. */
export function connKey(port: number): string {
  return `${CLIENT_IP}:${port}-${SERVER_IP}:443`;
}

/** Adds hand-made events (times in seconds from T0) to a result, keeping it sorted. */
export function withEvents(
  r: EvidenceResult,
  events: (Omit<TimelineEvent, 'ts' | 'source' | 'sourceKind'> & { t: number })[],
): EvidenceResult {
  const add = events.map(
    ({ t, ...e }) => ({ ...e, ts: T0 + t * 1000, source: r.file, sourceKind: r.kind }) as TimelineEvent,
  );
  const all = [...r.events, ...add].sort((a, b) => a.ts - b.ts);
  return { ...r, events: all };
}
