// Troubleshooter accuracy matrix (BENCHMARKS.md, issue 6): every lab scenario × evidence subset → verdict.
//   node --import tsx bench/accuracy.ts                 run every scenario here, print the Markdown
//   node --import tsx bench/accuracy.ts --from DIR      reuse runs in DIR/<scenario>/ (e.g. a demo's output)
//   … --write                                           also replace the section in BENCHMARKS.md
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { type MatrixCell, matrixForRun, matrixMarkdown } from '../src/lab/accuracy.ts';
import { runScenario } from '../src/lab/run-scenario.ts';
import { SCENARIOS } from '../src/lab/scenarios/index.ts';

const HEADING = '## Troubleshooter accuracy matrix (issue 6)';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fromIdx = args.indexOf('--from');
  const write = args.includes('--write');
  let root: string;
  const skipped: string[] = [];
  const failed: string[] = [];
  const t0 = performance.now();
  if (fromIdx >= 0) {
    root = path.resolve(args[fromIdx + 1]);
  } else {
    root = await mkdtemp(path.join(tmpdir(), 'lifeline-accuracy-'));
    for (const s of SCENARIOS) {
      const r = await runScenario(s, { outDir: path.join(root, s.name), diagnose: false });
      if (r.skipped) skipped.push(`${s.name}: ${r.skipped}`);
      else if (r.error) failed.push(`${s.name}: ${r.error}`);
      process.stderr.write(`${s.name}: ${r.skipped ? 'skipped' : r.error ? `error ${r.error}` : 'ok'}\n`);
    }
  }
  const cells: MatrixCell[] = [];
  for (const name of (await readdir(root)).sort()) {
    const dir = path.join(root, name);
    if (!(await stat(path.join(dir, 'truth.json')).catch(() => undefined))) continue;
    cells.push(...(await matrixForRun(dir)));
  }
  const order = new Map(SCENARIOS.map((s, i) => [s.name, i]));
  cells.sort((a, b) => (order.get(a.scenario) ?? 99) - (order.get(b.scenario) ?? 99));
  const md = [
    HEADING,
    '',
    fromIdx >= 0
      ? 'Command: `LIFELINE_KEEP_LAB=1 node --import tsx --test test/lab/scenarios.int.test.ts`, then'
      : 'Command: `node --import tsx bench/accuracy.ts --write` (runs every lab scenario once), then the troubleshooter',
    fromIdx >= 0
      ? '`node --import tsx bench/accuracy.ts --from <kept runs> --write`: the troubleshooter on each evidence subset'
      : 'on each evidence subset',
    'of each run: error report only, HAR only (browser runs), capture only, all evidence.',
    `Machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}.`,
    `Run: ${new Date().toISOString()}${fromIdx >= 0 ? '' : `, ${((performance.now() - t0) / 1000).toFixed(0)} s`}.`,
    'Timers: keepalive 250 ms, silence 1 s, recovery 4 s (server, client and `diagnose` alike).',
    '✓ = domain and cause right, ½ = domain right, ✗ = domain wrong; the number is the verdict’s confidence.',
    'Single-source cells that cannot be right in principle (a PC capture alone cannot tell inbound loss from a',
    'stalled Notifs; on loopback a proxy reset has the same TTL as Notifs’ own) should at least stay ≤ 0.8.',
    '',
    matrixMarkdown(cells),
    ...(skipped.length ? ['Skipped here:', '', ...skipped.map((s) => `- ${s}`), ''] : []),
    ...(failed.length ? ['Did not run to the end:', '', ...failed.map((s) => `- ${s}`), ''] : []),
  ].join('\n');
  process.stdout.write(md);
  if (write) {
    const file = path.join(import.meta.dirname, '..', 'BENCHMARKS.md');
    const text = await readFile(file, 'utf8');
    const start = text.indexOf(HEADING);
    if (start < 0) throw new Error(`${HEADING} not found in BENCHMARKS.md`);
    const next = text.indexOf('\n## ', start + HEADING.length);
    const out = text.slice(0, start) + md.trimEnd() + '\n' + (next >= 0 ? text.slice(next) : '');
    await writeFile(file, out);
    process.stderr.write('BENCHMARKS.md updated\n');
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
