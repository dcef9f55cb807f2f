// Runs the troubleshooter on a lab run's evidence and checks its verdict against the truth.
// The troubleshooter is run as a user would run it (`lifeline diagnose --json`, one process per evidence set), so
// the lab tests the whole path: readers, timeline, incidents, verdicts, reports.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Diagnosis, diagnose } from '../diagnose/diagnose.ts';
import type { DiagnoseOptions } from '../diagnose/model.ts';
import type { EvidenceResult } from '../events/types.ts';
import { readEvidence } from '../evidence/read-evidence.ts';
import { REPO_ROOT } from './agent-handle.ts';
import type { LabTimers } from './agent-protocol.ts';
import type { Expected, Truth } from './scenario.ts';

const run = promisify(execFile);

/** One incident's verdict as the lab needs it (a projection of `diagnose --json`). */
export interface GotVerdict {
  id?: number | string;
  start?: number;
  end?: number;
  domain: string;
  cause: string;
  confidence: number;
  outcome?: string;
  summary?: string;
}

export interface CheckResult {
  scenario: string;
  /** Which evidence was given to the troubleshooter. */
  subset: string;
  expected: Expected;
  /** The verdict compared (undefined = no incident found). */
  got?: GotVerdict;
  /** Incidents in the fault window, and in the whole run. */
  incidentsInWindow: number;
  incidents: number;
  domainOk: boolean;
  causeOk: boolean;
  ok: boolean;
  /** Wrong domain or cause with confidence > 0.8: the thing the lab must never see. */
  confidentWrong: boolean;
}

export const CONFIDENT = 0.8;

/** Projects the troubleshooter's JSON onto incidents with verdicts; tolerant of extra fields. */
export function verdictsFromJson(json: unknown): GotVerdict[] {
  const root = (json ?? {}) as Record<string, unknown>;
  const list = (root.incidents ?? root.verdicts ?? []) as unknown[];
  if (!Array.isArray(list)) return [];
  const out: GotVerdict[] = [];
  for (const raw of list) {
    if (typeof raw !== 'object' || raw === null) continue;
    const inc = raw as Record<string, unknown>;
    const v = (inc.verdict ?? inc) as Record<string, unknown>;
    const outcome = inc.outcome ?? v.outcome;
    out.push({
      id: inc.id as number | undefined,
      start: num(inc.start ?? inc.startTs ?? (inc.window as Record<string, unknown> | undefined)?.start),
      end: num(inc.end ?? inc.endTs ?? (inc.window as Record<string, unknown> | undefined)?.end),
      domain: String(v.domain ?? 'unknown'),
      cause: String(v.cause ?? 'unknown'),
      confidence: Number(v.confidence ?? 0),
      outcome:
        typeof outcome === 'string' ? outcome : ((outcome as { status?: string } | undefined)?.status ?? undefined),
      summary: typeof v.summary === 'string' ? v.summary : undefined,
    });
  }
  return out;
}

function num(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'string') {
    const t = Date.parse(x);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

export interface DiagnoseRun {
  timers: LabTimers;
  keylog?: string;
  jsonOut?: string;
  htmlOut?: string;
}

/** Reads each evidence file once (readEvidence), for diagnosing several subsets of it. */
export async function readAll(files: string[], keylog?: string): Promise<Map<string, EvidenceResult>> {
  const out = new Map<string, EvidenceResult>();
  for (const f of files) out.set(f, await readEvidence(f, keylog ? { keylog } : {}));
  return out;
}

export function labOptions(timers: LabTimers): DiagnoseOptions {
  return { silenceMs: timers.silenceMs, recoveryMs: timers.recoveryMs, keepaliveMs: timers.keepaliveMs };
}

/** The troubleshooter (library entry) on already-read evidence. */
export function diagnoseResults(results: EvidenceResult[], timers: LabTimers): Diagnosis {
  return diagnose({ results, options: labOptions(timers) }).diagnosis;
}

/**
 * The troubleshooter on `files`, run as a user runs it: `lifeline diagnose --json --html report.html FILES`
 * (one process: the JSON on stdout, the HTML report into its file).
 */
export async function runDiagnose(files: string[], o: DiagnoseRun): Promise<GotVerdict[]> {
  const extra = ['--json', ...(o.htmlOut ? ['--html', o.htmlOut] : [])];
  const jsonText = await diagnoseCli(files, o, extra);
  if (o.jsonOut) await writeFile(o.jsonOut, jsonText);
  return verdictsFromJson(JSON.parse(jsonText));
}

/** `lifeline diagnose` as a user runs it, with the lab's timers. */
export async function diagnoseCli(files: string[], o: DiagnoseRun, extra: string[]): Promise<string> {
  const args = [
    path.join(REPO_ROOT, 'bin', 'lifeline.js'),
    'diagnose',
    '--silence',
    `${o.timers.silenceMs}ms`,
    '--recovery',
    `${o.timers.recoveryMs}ms`,
    '--keepalive',
    `${o.timers.keepaliveMs}ms`,
    ...(o.keylog ? ['--keylog', o.keylog] : []),
    ...extra,
    ...files,
  ];
  try {
    return (await run(process.execPath, args, { maxBuffer: 64 << 20, cwd: REPO_ROOT })).stdout;
  } catch (err) {
    // Exit 4 = incidents found (with --fail-on-incident): stdout still holds the report.
    const e = err as { stdout?: string; stderr?: string; code?: number };
    if (e.code === 4 && e.stdout) return e.stdout;
    throw new Error(`lifeline diagnose failed (exit ${e.code}): ${(e.stderr ?? '').trim().slice(-2000)}`);
  }
}

/** Picks the incident the fault caused and compares it with the truth. */
export function checkVerdicts(truth: Truth, verdicts: GotVerdict[], subset: string): CheckResult {
  const { silenceMs, recoveryMs } = truth.timers;
  const lo = truth.start - silenceMs - 500;
  const hi = truth.end + recoveryMs + 2000;
  const inWindow = verdicts.filter((v) => v.start === undefined || ((v.end ?? v.start) >= lo && v.start <= hi));
  const exp = truth.expected;
  let got: GotVerdict | undefined;
  if (exp.cause === 'none') {
    got = verdicts[0];
  } else {
    got =
      inWindow.find((v) => v.cause === exp.cause && v.domain === exp.domain) ??
      inWindow.find((v) => v.cause === exp.cause) ??
      inWindow.find((v) => v.domain === exp.domain) ??
      inWindow[0];
  }
  const domainOk = exp.domain === 'none' ? got === undefined : got?.domain === exp.domain;
  const causeOk = exp.cause === 'none' ? got === undefined : got?.cause === exp.cause;
  return {
    scenario: truth.scenario,
    subset,
    expected: exp,
    got,
    incidentsInWindow: inWindow.length,
    incidents: verdicts.length,
    domainOk,
    causeOk,
    ok: domainOk && causeOk,
    confidentWrong: got !== undefined && !(domainOk && causeOk) && got.confidence > CONFIDENT,
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
