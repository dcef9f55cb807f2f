// Troubleshooter accuracy matrix (BENCHMARKS.md, issues 6 and 11): every lab scenario × pair × evidence subset →
// verdict, and the calibration of the verdicts' confidence.
//   node --import tsx bench/accuracy.ts                 run every scenario here, print the Markdown
//   node --import tsx bench/accuracy.ts --from DIR      reuse runs in DIR/<scenario>/ (e.g. a demo's output)
//   … --pairs lifeline,foreign                          which lab pairs to run (default: lifeline)
//   … --production-timers                               4 s / 16 s / 50 s instead of the compressed lab timers
//   … --write                                           also replace the section in BENCHMARKS.md
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { calibrationMarkdown, type MatrixCell, matrixForRun, matrixMarkdown } from '../src/lab/accuracy.ts';
import { LAB_TIMERS, type LabTimers, PRODUCTION_TIMERS } from '../src/lab/agent-protocol.ts';
import { runScenario, scenarioUnavailable } from '../src/lab/run-scenario.ts';
import { type Pair, runLabel } from '../src/lab/scenario.ts';
import { SCENARIOS } from '../src/lab/scenarios/index.ts';

const HEADING_LAB = '## Troubleshooter accuracy matrix (issue 6)';
const HEADING_PRODUCTION = '## Troubleshooter accuracy at production timers, both lab pairs (issue 11)';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fromIdx = args.indexOf('--from');
  const write = args.includes('--write');
  const production = args.includes('--production-timers');
  const timers: LabTimers = production ? PRODUCTION_TIMERS : LAB_TIMERS;
  const pairsIdx = args.indexOf('--pairs');
  const pairs = (pairsIdx >= 0 ? args[pairsIdx + 1].split(',') : ['lifeline']) as Pair[];
  const HEADING = production ? HEADING_PRODUCTION : HEADING_LAB;
  let root: string;
  const skipped: string[] = [];
  const failed: string[] = [];
  const t0 = performance.now();
  if (fromIdx >= 0) {
    root = path.resolve(args[fromIdx + 1]);
  } else {
    root = await mkdtemp(path.join(tmpdir(), 'lifeline-accuracy-'));
    for (const pair of pairs)
      for (const s of SCENARIOS) {
        if (scenarioUnavailable(s, pair)) continue;
        const label = runLabel(s.name, pair);
        const r = await runScenario(s, { outDir: path.join(root, label), diagnose: false, pair, timers });
        if (r.skipped) skipped.push(`${label}: ${r.skipped}`);
        else if (r.error) failed.push(`${label}: ${r.error}`);
        process.stderr.write(
          `${label}: ${r.skipped ? 'skipped' : r.error ? `error ${r.error}` : 'ok'} (${(r.durationMs / 1000).toFixed(0)} s)\n`,
        );
      }
  }
  const cells: MatrixCell[] = [];
  for (const name of (await readdir(root)).sort()) {
    const dir = path.join(root, name);
    if (!(await stat(path.join(dir, 'truth.json')).catch(() => undefined))) continue;
    cells.push(...(await matrixForRun(dir)));
  }
  const order = new Map(SCENARIOS.map((s, i) => [s.name, i]));
  const rank = (name: string) =>
    (order.get(name.replace(/@foreign$/, '')) ?? 99) + (name.endsWith('@foreign') ? 0.5 : 0);
  cells.sort((a, b) => rank(a.scenario) - rank(b.scenario));
  const md = [
    HEADING,
    '',
    ...(production
      ? [
          'Command: `node --import tsx bench/accuracy.ts --pairs lifeline,foreign --production-timers --write` (runs',
          'every lab scenario once per pair, ~50 min; the runs stay in a temp directory, and `--from DIR` re-judges',
          'them with the current rules), then the troubleshooter on each evidence subset',
        ]
      : fromIdx >= 0
        ? [
            'Command: `LIFELINE_KEEP_LAB=1 node --import tsx --test test/lab/scenarios.int.test.ts`, then',
            '`node --import tsx bench/accuracy.ts --from <kept runs> --write`: the troubleshooter on each evidence subset',
          ]
        : [
            'Command: `node --import tsx bench/accuracy.ts --write` (runs every lab scenario once), then the troubleshooter',
            'on each evidence subset',
          ]),
    'of each run: error report only, HAR only, NetLog only (browser runs), capture only, all evidence.',
    `Pairs: ${pairs.join(', ')} (foreign = an independently written WxCC-like Notifs and a home-grown desktop page with`,
    'main-thread timers and no error report; rows named `<scenario>@foreign`).',
    `Machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}.`,
    `Run: ${new Date().toISOString()}${fromIdx >= 0 ? '' : `, ${((performance.now() - t0) / 1000).toFixed(0)} s`}.`,
    `Timers: keepalive ${timers.keepaliveMs} ms, silence ${timers.silenceMs} ms, recovery ${timers.recoveryMs} ms (server, client and \`diagnose\` alike).`,
    '✓ = domain and cause right, ½ = domain right, ✗ = domain wrong; the number is the verdict’s confidence.',
    'Single-source cells that cannot be right in principle (a PC capture alone cannot tell inbound loss from a',
    'stalled Notifs; on loopback a proxy reset has the same TTL as Notifs’ own) should at least stay ≤ 0.8.',
    '',
    matrixMarkdown(cells),
    'Calibration (every cell above with an incident: confidence bucket → share right):',
    '',
    calibrationMarkdown(cells),
    ...(skipped.length ? ['Skipped here:', '', ...skipped.map((s) => `- ${s}`), ''] : []),
    ...(failed.length ? ['Did not run to the end:', '', ...failed.map((s) => `- ${s}`), ''] : []),
  ].join('\n');
  process.stdout.write(md);
  if (write) {
    const file = path.join(import.meta.dirname, '..', 'BENCHMARKS.md');
    const text = await readFile(file, 'utf8');
    const start = text.indexOf(HEADING);
    const next = start < 0 ? -1 : text.indexOf('\n## ', start + HEADING.length);
    // A section not there yet goes at the end.
    const out =
      start < 0
        ? `${text.trimEnd()}\n\n${md.trimEnd()}\n`
        : text.slice(0, start) + md.trimEnd() + '\n' + (next >= 0 ? text.slice(next) : '');
    await writeFile(file, out);
    process.stderr.write('BENCHMARKS.md updated\n');
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
