// The troubleshooter's pipeline: evidence results → timeline → incidents → facts → verdicts → one Diagnosis
// (the versioned JSON document every report renders). Pure: no files, no clock.

import type { EvidenceResult, Problem } from '../events/types.ts';
import { isLifelineMessage } from '../protocol/classify.ts';
import { redactDeep } from '../redact.ts';
import { analyseIncident } from './analyses.ts';
import type { Alignment } from './clock-alignment.ts';
import { formatDuration, iso } from './duration.ts';
import { connectionsDuring, type NotifsConnection, notifsConnections } from './incident-connections.ts';
import { findIncidents, messagesBySource } from './incidents.ts';
import type { Cause, DiagnoseOptions, Domain, EvidenceItem, MissingEvidence, Outcome, Step } from './model.ts';
import type { StepContext } from './next-steps.ts';
import { type SessionEnd, sessionEnd } from './rules/closes.ts';
import { withoutSendsIntoClosed } from './rules/facts.ts';
import { judge } from './rules/judge.ts';
import { type SurvivedFlap, survivedFlap } from './rules/loss.ts';
import { buildTimeline, type Timeline } from './timeline.ts';
import { indexOf } from './timeline-index.ts';

export const DIAGNOSIS_SCHEMA = 'lifeline.diagnosis';
export const DIAGNOSIS_VERSION = 1;
/** Captured strings (close reasons, device lines, message text) are capped at this length in reports. */
export const MAX_FACT_CHARS = 400;

export interface DiagnosisIncident {
  id: number;
  start: number;
  end: number;
  startIso: string;
  endIso: string;
  durationMs: number;
  domain: Domain;
  cause: Cause;
  detail?: string;
  summary: string;
  outcome: Outcome;
  confidence: number;
  evidence: EvidenceItem[];
  contradictions: string[];
  missing: MissingEvidence[];
  nextSteps: string[];
  alsoConsidered: { cause: Cause; domain: Domain; confidence: number; summary: string }[];
  triggers: { kind: string; source: string; dir?: string; from: number; to: number; tail?: boolean; fact: string }[];
  /** The Notifs connection(s) around the incident: 5-tuple, SNI, close frames, frame numbers. */
  connections: NotifsConnection[];
}

export interface DiagnosisSessionEnd extends SessionEnd {
  iso: string;
}

export interface DiagnosisSource {
  file: string;
  kind: string;
  format: string;
  events: number;
  eventsRead: number;
  firstTs?: number;
  lastTs?: number;
  /** How this source's clock was put on the reference time line (the alignment itself, copied). */
  clock: Alignment;
  blindTo: string[];
  problems: Problem[];
  notifsConnections: { conn: string; why: string }[];
}

export interface Diagnosis {
  schema: typeof DIAGNOSIS_SCHEMA;
  version: typeof DIAGNOSIS_VERSION;
  options: DiagnoseOptions;
  redacted: boolean;
  reference: string | null;
  start?: number;
  end?: number;
  sources: DiagnosisSource[];
  unreadable: { file: string; code: string; message: string }[];
  notifs: { hosts: string[]; ips: string[] };
  notes: string[];
  /** Normal session ends (the desktop closed a healthy connection and did not reconnect): shown, not incidents. */
  sessionEnds: DiagnosisSessionEnd[];
  /** Short flaps the connection survived (late bursts after retransmissions, under the silence timeout): notes. */
  flaps: (SurvivedFlap & { iso: string })[];
  summary: {
    incidents: number;
    text: string;
    byCause: Partial<Record<Cause, number>>;
    byDomain: Partial<Record<Domain, number>>;
    /** Set when no evidence recorded the Notifs connection at all: not "no incidents". */
    nothingToJudge?: true;
  };
  incidents: DiagnosisIncident[];
}

/** Message times per source and direction, for the HTML chart (not part of the JSON schema). */
export interface ChartSeries {
  source: string;
  dir: 'c2s' | 's2c';
  ts: number[];
}

export type DiagnosePhase = 'timeline' | 'incidents' | 'verdicts';

export interface DiagnoseInput {
  results: EvidenceResult[];
  unreadable?: { file: string; code: string; message: string }[];
  options: DiagnoseOptions;
  redact?: boolean;
  /** Told when each phase starts (done 0) and, for verdicts, after each incident (done of total). */
  progress?: (phase: DiagnosePhase, done: number, total: number) => void;
}

export function diagnose(input: DiagnoseInput): { diagnosis: Diagnosis; series: ChartSeries[]; timeline: Timeline } {
  const opts = input.options;
  const progress = input.progress;
  progress?.('timeline', 0, 1);
  const tl = buildTimeline(input.results, opts);
  progress?.('incidents', 0, 1);
  const incidents = findIncidents(tl, opts);
  const ctx: StepContext = { hosts: tl.notifs.hosts, ips: tl.notifs.ips, dc: opts.dc };
  const present = presentSteps(tl, opts);
  const serverIsLifeline = lifelineServer(tl);
  const conns = notifsConnections(tl);
  const sessionEnds: DiagnosisSessionEnd[] = [];
  const flaps: Diagnosis['flaps'] = [];
  const judged: DiagnosisIncident[] = [];
  progress?.('verdicts', 0, incidents.length);
  for (const [i, inc] of incidents.entries()) {
    const facts = withoutSendsIntoClosed({ ...analyseIncident(inc, tl, opts), serverIsLifeline });
    progress?.('verdicts', i + 1, incidents.length);
    const end = sessionEnd(facts);
    if (end) {
      sessionEnds.push({ ...end, iso: iso(end.ts) });
      continue;
    }
    const flap = survivedFlap(facts);
    if (flap) {
      flaps.push({ ...flap, iso: iso(flap.ts) });
      continue;
    }
    const { verdict, considered } = judge(facts, ctx, present);
    judged.push({
      id: judged.length + 1,
      start: inc.start,
      end: inc.end,
      startIso: iso(inc.start),
      endIso: iso(inc.end),
      durationMs: Math.round(inc.end - inc.start),
      domain: verdict.domain,
      cause: verdict.cause,
      ...(verdict.detail ? { detail: verdict.detail } : {}),
      summary: verdict.summary,
      outcome: inc.outcome,
      confidence: verdict.confidence,
      evidence: verdict.evidence.map((e) => ({ ...e, fact: cap(e.fact) })),
      contradictions: verdict.contradictions.map(cap),
      missing: verdict.missing,
      nextSteps: verdict.nextSteps,
      alsoConsidered: considered,
      triggers: inc.triggers.map((t) => ({
        kind: t.kind,
        source: t.source,
        ...(t.dir ? { dir: t.dir } : {}),
        from: t.from,
        to: t.to,
        ...(t.tail ? { tail: true } : {}),
        fact: cap(t.fact),
      })),
      connections: connectionsDuring(conns, inc.start, inc.end),
    });
  }
  const out = judged;
  const notes = [...tl.notes, ...[...sessionEnds, ...flaps].map((e) => `${e.iso}: ${e.summary} (${e.source}).`)];
  let diagnosis: Diagnosis = {
    schema: DIAGNOSIS_SCHEMA,
    version: DIAGNOSIS_VERSION,
    options: opts,
    redacted: input.redact !== false,
    reference: tl.reference ?? null,
    start: tl.start,
    end: tl.end,
    sources: tl.sources.map((s) => ({
      file: s.file,
      kind: s.kind,
      format: s.format,
      events: s.events,
      eventsRead: s.eventsRead,
      firstTs: s.firstTs,
      lastTs: s.lastTs,
      clock: { ...s.alignment },
      blindTo: s.blindTo,
      problems: s.problems.slice(0, 50),
      notifsConnections: s.notifsConns,
    })),
    unreadable: input.unreadable ?? [],
    notifs: { hosts: tl.notifs.hosts, ips: tl.notifs.ips },
    notes,
    sessionEnds,
    flaps,
    summary: summarize(out, nothingToJudge(tl)),
    incidents: out,
  };
  if (input.redact !== false) diagnosis = redactDeep(diagnosis);
  const series: ChartSeries[] = [];
  for (const [source, m] of messagesBySource(tl)) {
    if (m.c2s.length) series.push({ source, dir: 'c2s', ts: m.c2s });
    if (m.s2c.length) series.push({ source, dir: 's2c', ts: m.s2c });
  }
  return { diagnosis, series: input.redact !== false ? redactDeep(series) : series, timeline: tl };
}

/** Notifs is Lifeline's own server when one of its messages has a shape only Lifeline sends (positions, resume). */
function lifelineServer(tl: Timeline): boolean {
  return tl.events.some((e) => e.kind === 'ws-message' && e.dir === 's2c' && isLifelineMessage(e.text ?? '', e));
}

function cap(s: string): string {
  return s.length > MAX_FACT_CHARS ? `${s.slice(0, MAX_FACT_CHARS)}… (${s.length - MAX_FACT_CHARS} more chars)` : s;
}

function presentSteps(tl: Timeline, opts: DiagnoseOptions): Set<Step> {
  const kinds = new Set(tl.sources.filter((s) => s.events > 0).map((s) => s.kind));
  const present = new Set<Step>();
  if (kinds.has('report')) present.add(1);
  if (kinds.has('har') || kinds.has('netlog')) present.add(4);
  if (opts.ip || indexOf(tl).hasDnsAnswer) present.add(5);
  if (kinds.has('capture')) present.add(6);
  if (kinds.has('device-log')) present.add(7);
  return present;
}

/** No file recorded anything of a Notifs connection (a HAR or NetLog taken without the socket, say). */
function nothingToJudge(tl: Timeline): boolean {
  return !tl.events.some((e) => e.kind !== 'dns-answer');
}

/** "3 incidents: 2 desktop-throttled (desktop), 1 inbound-loss (network)". */
export function summarize(incidents: DiagnosisIncident[], empty = false): Diagnosis['summary'] {
  const byCause: Partial<Record<Cause, number>> = {};
  const byDomain: Partial<Record<Domain, number>> = {};
  const groups = new Map<string, number>();
  for (const i of incidents) {
    byCause[i.cause] = (byCause[i.cause] ?? 0) + 1;
    byDomain[i.domain] = (byDomain[i.domain] ?? 0) + 1;
    const k = `${i.cause} (${i.domain})`;
    groups.set(k, (groups.get(k) ?? 0) + 1);
  }
  const parts = [...groups.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${n} ${k}`);
  const n = incidents.length;
  const text = empty
    ? 'Nothing to judge: no evidence file recorded the Notifs connection (no WebSocket messages, connections or device lines for it).'
    : n === 0
      ? 'No incidents: no silence or connection end found in the evidence.'
      : `${n} incident${n === 1 ? '' : 's'}: ${parts.join(', ')}`;
  return { incidents: n, text, byCause, byDomain, ...(empty ? { nothingToJudge: true } : {}) };
}

export function outcomeWords(o: Outcome): string {
  if (o.status === 'recovered') return `recovered after ${formatDuration(o.recoveredAfterMs ?? 0)}`;
  if (o.status === 'lost')
    return o.resumedAfterMs !== undefined
      ? `lost (messages resumed only after ${formatDuration(o.resumedAfterMs)}, past the recovery timeout)`
      : 'lost (not recovered within the recovery timeout)';
  return 'ongoing when the evidence ends';
}

/** A source's clock for the Markdown and HTML reports' evidence table (the text report says more). */
export function clockWords(c: Alignment): string {
  if (c.method === 'reference') return 'reference';
  return `${c.offsetMs >= 0 ? '+' : ''}${formatDuration(c.offsetMs)} (${c.method}, ${c.matches} matches${c.clockUncertain ? ', uncertain' : ''})`;
}
