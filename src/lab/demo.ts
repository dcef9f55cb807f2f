// `lifeline demo`: the representative lab scenarios end to end, one after the other, then an HTML index.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type DemoSummary, renderDemoIndex } from './demo-html.ts';
import { type RunResult, runScenario, scenarioUnavailable } from './run-scenario.ts';
import { type Pair, runLabel, type Scenario } from './scenario.ts';
import { SCENARIOS } from './scenarios/index.ts';

/** One demo run: a scenario on a lab pair. */
export interface DemoRun {
  s: Scenario;
  pair: Pair;
}

export interface DemoOptions {
  out: string;
  scenarios?: readonly DemoRun[];
  /** Called once per scenario as it completes. */
  onResult?: (r: RunResult, index: number, total: number) => void;
  onStart?: (run: DemoRun, index: number, total: number) => void;
  /** Detailed progress (lab log lines). */
  log?: (line: string) => void;
}

/** The representative set on Lifeline's own pair, then the same faults on the foreign pair where they run there. */
export function demoScenarios(): DemoRun[] {
  const demo = SCENARIOS.filter((s) => s.demo && !s.benchOnly);
  return [
    ...demo.map((s) => ({ s, pair: 'lifeline' as Pair })),
    ...demo.filter((s) => s.pairs?.includes('foreign')).map((s) => ({ s, pair: 'foreign' as Pair })),
  ];
}

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const t0 = performance.now();
  const out = path.resolve(o.out);
  await mkdir(out, { recursive: true });
  const list = o.scenarios ?? demoScenarios();
  const results: RunResult[] = [];
  const notes: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const { s, pair } = list[i];
    o.onStart?.(list[i], i, list.length);
    const why = scenarioUnavailable(s, pair);
    const label = runLabel(s.name, pair);
    const r: RunResult = why
      ? { scenario: label, outDir: path.join(out, label), skipped: why, durationMs: 0 }
      : await runScenario(s, { outDir: path.join(out, label), log: o.log, pair });
    if (why) notes.push(`${label} skipped: ${why}`);
    results.push(r);
    o.onResult?.(r, i, list.length);
  }
  const summary: DemoSummary = { createdAt: Date.now(), durationMs: performance.now() - t0, results, notes };
  await writeFile(path.join(out, 'index.html'), renderDemoIndex(summary));
  await writeFile(path.join(out, 'index.json'), `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

/** One line per finished scenario, as the CLI prints it. */
export function resultLine(r: RunResult, i: number, n: number): string {
  const head = `[${i + 1}/${n}] ${r.scenario.padEnd(26)}`;
  if (r.skipped) return `${head} skipped (${r.skipped})`;
  const secs = `${(r.durationMs / 1000).toFixed(1)} s`;
  if (!r.check) return `${head} ✗ did not finish: ${r.error ?? 'unknown error'} (${secs})`;
  const c = r.check;
  const got = c.got ? `${c.got.domain}/${c.got.cause} ${c.got.confidence.toFixed(2)}` : 'no incident';
  const exp = `${c.expected.domain}/${c.expected.cause}`;
  return `${head} ${c.ok ? '✓' : '✗'} expected ${exp}, got ${got} (${secs})`;
}
