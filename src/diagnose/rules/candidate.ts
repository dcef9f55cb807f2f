// What every verdict rule returns: a candidate cause with its evidence, and the helpers that build evidence items.
import type { IncidentFacts, WireFacts } from '../analyses.ts';
import type { Trigger } from '../incidents.ts';
import type { Cause, Domain, EvidenceItem } from '../model.ts';

export interface Candidate {
  cause: Cause;
  domain: Domain;
  detail?: string;
  summary: string;
  /** Strength of the reasoning before counting sources (0..1). */
  base: number;
  evidence: EvidenceItem[];
  contradictions: string[];
}

export type Rule = (f: IncidentFacts) => Candidate | null;

export function item(source: string, ts: number, fact: string): EvidenceItem {
  return { source, ts, fact };
}
export function fromTrigger(t: Trigger, prefix = ''): EvidenceItem {
  return item(t.source, t.from, prefix + t.fact);
}
export function fromWire(w: WireFacts, fact: string): EvidenceItem {
  return item(w.source, w.from, fact);
}
/** First and last few of a long list. */
export function ends<T>(arr: T[], n = 2): T[] {
  return arr.length <= 2 * n ? arr : [...arr.slice(0, n), ...arr.slice(-n)];
}
export function kindOf(f: IncidentFacts, source: string): string {
  return f.sources.get(source)?.kind ?? 'evidence';
}
