// The troubleshooter accuracy matrix: every lab run × evidence subset (error report only, HAR only, capture only,
// all) → verdict, checked against the run's truth. Evidence is read once per run; each subset is one diagnose().
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvidenceResult } from '../events/types.ts';
import { type CheckResult, checkVerdicts, diagnoseResults, readAll, verdictsFromJson } from './check.ts';
import { type EvidenceKind, runLabel, type Truth } from './scenario.ts';

export interface Subset {
  name: string;
  kinds: EvidenceKind[];
}

export const SUBSETS: Subset[] = [
  { name: 'report', kinds: ['report'] },
  { name: 'har', kinds: ['har'] },
  { name: 'netlog', kinds: ['netlog'] },
  { name: 'capture', kinds: ['capture'] },
  { name: 'all', kinds: ['report', 'har', 'netlog', 'capture', 'device-log'] },
];

export interface MatrixCell extends CheckResult {
  /** Evidence files the subset had in this run (none = the cell is n/a). */
  files: string[];
}

/** Reads a run directory's truth and evidence, and checks every subset that has evidence in it. */
export async function matrixForRun(dir: string, subsets: Subset[] = SUBSETS): Promise<MatrixCell[]> {
  const truth = JSON.parse(await readFile(path.join(dir, 'truth.json'), 'utf8')) as Truth;
  const byKind = new Map<EvidenceKind, string>();
  for (const [k, f] of Object.entries(truth.evidence) as [EvidenceKind, string][]) {
    if (k !== 'keylog') byKind.set(k, path.join(dir, f));
  }
  const keylog = truth.evidence.keylog ? path.join(dir, truth.evidence.keylog) : undefined;
  const read = await readAll([...byKind.values()], keylog);
  const cells: MatrixCell[] = [];
  for (const sub of subsets) {
    const files = sub.kinds.map((k) => byKind.get(k)).filter((f): f is string => f !== undefined);
    if (files.length === 0) continue;
    const results = files.map((f) => read.get(f)).filter((r): r is EvidenceResult => r !== undefined);
    const verdicts = verdictsFromJson(diagnoseResults(results, truth.timers));
    const check = checkVerdicts(truth, verdicts, sub.name);
    // Runs of the foreign pair are their own rows: the same fault, evidence Lifeline did not make.
    cells.push({ ...check, scenario: runLabel(truth.scenario, truth.pair), files: files.map((f) => path.basename(f)) });
  }
  return cells;
}

export interface MatrixSummary {
  subset: string;
  runs: number;
  domainOk: number;
  causeOk: number;
  confidentWrong: number;
}

export function summarizeMatrix(cells: MatrixCell[]): MatrixSummary[] {
  return SUBSETS.map((s) => {
    const c = cells.filter((x) => x.subset === s.name);
    return {
      subset: s.name,
      runs: c.length,
      domainOk: c.filter((x) => x.domainOk).length,
      causeOk: c.filter((x) => x.causeOk).length,
      confidentWrong: c.filter((x) => x.confidentWrong).length,
    };
  });
}

function verdictText(c: MatrixCell | undefined): string {
  if (!c) return 'n/a';
  const mark = c.ok ? '✓' : c.domainOk ? '½' : '✗';
  if (!c.got) return `${mark} no incident`;
  return `${mark} ${c.got.domain}/${c.got.cause} ${c.got.confidence.toFixed(2)}${c.confidentWrong ? ' **(confident & wrong)**' : ''}`;
}

/** Markdown: per-subset shares, the full matrix, and the wrong verdicts listed. */
export function matrixMarkdown(cells: MatrixCell[]): string {
  const lines: string[] = [];
  const pct = (n: number, d: number) => (d ? `${Math.round((100 * n) / d)}%` : '–');
  lines.push('| evidence given | runs | correct domain | correct cause | wrong with confidence > 0.8 |');
  lines.push('|---|---|---|---|---|');
  for (const s of summarizeMatrix(cells)) {
    lines.push(
      `| ${s.subset} | ${s.runs} | ${s.domainOk} (${pct(s.domainOk, s.runs)}) | ${s.causeOk} (${pct(s.causeOk, s.runs)}) | ${s.confidentWrong} |`,
    );
  }
  lines.push('');
  const scenarios = [...new Set(cells.map((c) => c.scenario))];
  lines.push(`| scenario | expected | ${SUBSETS.map((s) => s.name).join(' | ')} |`);
  lines.push(`|---|---|${SUBSETS.map(() => '---').join('|')}|`);
  for (const sc of scenarios) {
    const row = cells.filter((c) => c.scenario === sc);
    const exp = row[0].expected;
    const expText = exp.cause === 'none' ? 'no incident' : `${exp.domain}/${exp.cause}`;
    lines.push(
      `| ${sc} | ${expText} | ${SUBSETS.map((s) => verdictText(row.find((c) => c.subset === s.name))).join(' | ')} |`,
    );
  }
  const wrong = cells.filter((c) => !c.ok);
  if (wrong.length) {
    lines.push('');
    lines.push('Wrong verdicts (expected → got, with the troubleshooter’s own summary):');
    lines.push('');
    for (const c of wrong) {
      const exp = c.expected.cause === 'none' ? 'no incident' : `${c.expected.domain}/${c.expected.cause}`;
      const got = c.got ? `${c.got.domain}/${c.got.cause} (${c.got.confidence.toFixed(2)})` : 'no incident';
      lines.push(`- ${c.scenario} [${c.subset}]: ${exp} → ${got}${c.got?.summary ? ` — “${c.got.summary}”` : ''}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Calibration: verdicts grouped by their confidence, with the share that was right (domain, and domain + cause).
 * A verdict at 0.7 should be right about 7 times in 10; "no incident" answers carry no confidence and are left out.
 */
export function calibrationMarkdown(cells: MatrixCell[]): string {
  const buckets = [0, 0.2, 0.4, 0.6, 0.8];
  const lines = ['| confidence | verdicts | right domain | right domain and cause |', '|---|---|---|---|'];
  for (const [i, lo] of buckets.entries()) {
    const hi = buckets[i + 1] ?? 1.01;
    const c = cells.filter((x) => x.got && x.got.confidence >= lo && x.got.confidence < hi);
    const pct = (n: number) => (c.length ? `${n} (${Math.round((100 * n) / c.length)}%)` : '–');
    lines.push(
      `| ${lo.toFixed(1)}–${Math.min(hi, 1).toFixed(1)} | ${c.length} | ${pct(c.filter((x) => x.domainOk).length)} | ${pct(c.filter((x) => x.ok).length)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
