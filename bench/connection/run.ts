// Connection benchmark orchestrator: for each N and each server, start the server in its own process, open N
// desktops from W load-generator processes, let it settle, measure a steady-state window (server CPU and RSS from
// /proc, keepalive round trips, server heartbeat gaps), then silence a sample of desktops and time how late the
// server drops them against the silence timeout. Prints a Markdown table; --json writes every number.
//
// Usage: node --import tsx bench/connection/run.ts [--targets lifeline,socketio,ws-baseline] [--n 1000,10000]
//          [--window-s 30] [--settle-s 8] [--rate 2000] [--silent 200] [--workers 2] [--json FILE]
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { IpcChild } from '../ipc-child.ts';
import type { FailureReport, FromLoadgen, LoadgenConfig, ToLoadgen } from './ipc.ts';
import { cpuPercent, loadAverage, type ProcSample, sampleProcess } from './proc-stats.ts';
import { markdownTable } from './report.ts';
import { type RunningServer, startServer, stopServer } from './server-process.ts';
import { type Summary, summarize } from './stats.ts';
import { repoRoot, TARGET_NAMES, type TargetName, type Timing, target } from './targets.ts';

export interface BenchOptions {
  targets: TargetName[];
  sizes: number[];
  timing: Timing;
  windowMs: number;
  settleMs: number;
  /** total connections started per second, all load generators together */
  rate: number;
  /** desktops silenced per run to time silence detection */
  silent: number;
  workers: number;
  /** number of loopback source addresses (127.0.0.2…) to spread desktops over; 0 = kernel's choice */
  sourceIps: number;
  /** ramp-up budget per run (default 8 × N / rate + 60 s) */
  rampBudgetMs?: number;
  /** scheduling priority (nice) of the server and load generators; negative needs root. 0 = unchanged */
  nice: number;
  log: (line: string) => void;
}

export interface RunResult {
  target: TargetName;
  label: string;
  n: number;
  connected: number;
  failedConnects: number;
  /** subscribes refused with 429 by the server's rate limit and retried */
  subscribeRetries: number;
  /** desktops never started because the ramp budget ran out (the machine could not take more) */
  notStarted: number;
  firstError?: string;
  rampMs: number;
  idleRssKiB: number;
  rssKiB: number;
  peakRssKiB: number;
  rssPerConnKiB: number;
  /** server CPU over the window, percent of one core */
  cpuPercent: number;
  loadgenCpuPercent: number;
  rttMs: Summary;
  rttLost: number;
  serverGapMs: Summary;
  falseRecoveries: number;
  failures: FailureReport;
  silence: { sampled: number; detected: number; undetected: number; errorMs: Summary };
  loadAvg: string;
  error?: string;
}

class Loadgen extends IpcChild<ToLoadgen, FromLoadgen> {
  constructor(nice: number) {
    super(
      fork(resolve(import.meta.dirname, 'loadgen.ts'), [], {
        execArgv: ['--import', 'tsx'],
        cwd: repoRoot,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    if (nice !== 0 && this.child.pid !== undefined) setPriority(this.child.pid, nice);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function emptySummary(): Summary {
  return { count: 0, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN };
}

function addFailures(into: FailureReport, f: FailureReport): void {
  into.unexpectedCloses += f.unexpectedCloses;
  into.clientLosses += f.clientLosses;
  for (const [k, v] of Object.entries(f.closeReasons)) into.closeReasons[k] = (into.closeReasons[k] ?? 0) + v;
}

export async function runOne(name: TargetName, n: number, o: BenchOptions): Promise<RunResult> {
  const t = target(name);
  const result: RunResult = {
    target: name,
    label: t.label,
    n,
    connected: 0,
    failedConnects: 0,
    subscribeRetries: 0,
    notStarted: 0,
    rampMs: 0,
    idleRssKiB: Number.NaN,
    rssKiB: Number.NaN,
    peakRssKiB: Number.NaN,
    rssPerConnKiB: Number.NaN,
    cpuPercent: Number.NaN,
    loadgenCpuPercent: Number.NaN,
    rttMs: emptySummary(),
    rttLost: 0,
    serverGapMs: emptySummary(),
    falseRecoveries: 0,
    failures: { unexpectedCloses: 0, clientLosses: 0, closeReasons: {} },
    silence: { sampled: 0, detected: 0, undetected: 0, errorMs: emptySummary() },
    loadAvg: loadAverage(),
  };
  let server: RunningServer | undefined;
  const gens: Loadgen[] = [];
  try {
    server = await startServer(t.argv(o.timing), { cwd: repoRoot, env: t.env, timeoutMs: 30_000 });
    if (o.nice !== 0) setPriority(server.pid, o.nice);
    await sleep(1000);
    result.idleRssKiB = sampleProcess(server.pid).rssKiB;
    const workers = Math.max(1, Math.min(o.workers, n));
    const sources = Array.from({ length: o.sourceIps }, (_, i) => `127.0.0.${i + 2}`);
    for (let w = 0; w < workers; w++) gens.push(new Loadgen(o.nice));
    const per = Math.ceil(n / workers);
    // On this shared machine the ramp is CPU-bound well below `rate`. After the budget the load generators stop
    // starting desktops and the run measures the ones connected ("as far as it goes"; the table says how many).
    // It also stops early when no desktop connected for 20 s.
    const rampBudget = o.rampBudgetMs ?? (n / o.rate) * 8000 + 60_000;
    const connected = await Promise.all(
      gens.map((g, w) => {
        const config: LoadgenConfig = {
          kind: t.kind,
          url: server!.url,
          offset: w * per,
          count: Math.max(0, Math.min(per, n - w * per)),
          ratePerSec: o.rate / workers,
          keepaliveMs: o.timing.keepaliveMs,
          silenceMs: o.timing.silenceMs,
          connectTimeoutMs: 20_000,
          rampBudgetMs: rampBudget,
          tokenTemplate: t.tokenTemplate,
          sourceAddresses: sources,
        };
        return g.request({ type: 'connect', config }, undefined, rampBudget + 60_000);
      }),
    );
    for (const c of connected) {
      if (c.type !== 'connected') continue;
      // Measured inside the load generators: their start-up (tsx compiling) is not part of the ramp.
      result.rampMs = Math.max(result.rampMs, c.ms);
      result.connected += c.ok;
      result.failedConnects += c.failed;
      result.subscribeRetries += c.retries;
      result.notStarted += c.notStarted;
      result.firstError ??= c.firstError;
    }
    o.log(
      `${name} N=${n}: ${result.connected} connected, ${result.failedConnects} failed in ${result.rampMs.toFixed(0)} ms`,
    );
    await sleep(o.settleMs);

    // Steady-state window.
    await Promise.all(gens.map((g) => g.request({ type: 'window-start' }, undefined, 10_000)));
    const first: ProcSample = sampleProcess(server.pid);
    let peak = first.rssKiB;
    const until = performance.now() + o.windowMs;
    while (performance.now() < until) {
      await sleep(Math.min(1000, Math.max(0, until - performance.now())));
      peak = Math.max(peak, sampleProcess(server.pid).rssKiB);
    }
    const last = sampleProcess(server.pid);
    const windows = await Promise.all(gens.map((g) => g.request({ type: 'window-end' }, undefined, 30_000)));
    result.cpuPercent = cpuPercent(first, last);
    result.rssKiB = last.rssKiB;
    result.peakRssKiB = Math.max(peak, last.rssKiB);
    result.rssPerConnKiB = result.connected > 0 ? (last.rssKiB - result.idleRssKiB) / result.connected : Number.NaN;
    const rtt: number[] = [];
    const gaps: number[] = [];
    let lgCpu = 0;
    for (const w of windows) {
      if (w.type !== 'window') continue;
      for (const x of w.report.rtt) rtt.push(x);
      for (const x of w.report.serverGaps) gaps.push(x);
      result.rttLost += w.report.rttLost;
      lgCpu += w.report.cpuPercent;
    }
    result.rttMs = summarize(rtt);
    result.serverGapMs = summarize(gaps);
    result.loadgenCpuPercent = lgCpu;
    result.loadAvg = loadAverage();

    // Silence detection: a sample of desktops stops sending; the server must drop each silenceMs after its last sign
    // of life. The other desktops keep going (and keep counting false recoveries).
    const sample = Math.min(o.silent, result.connected);
    const silenced = await Promise.all(
      gens.map((g) =>
        g.request(
          { type: 'silence', count: Math.ceil(sample / workers), deadlineMs: o.timing.silenceMs * 1.5 + 5000 },
          undefined,
          o.timing.silenceMs * 1.5 + 30_000,
        ),
      ),
    );
    const errors: number[] = [];
    for (const s of silenced) {
      if (s.type !== 'silenced') continue;
      for (const e of s.errors) errors.push(e);
      result.silence.undetected += s.undetected;
    }
    result.silence.sampled = errors.length + result.silence.undetected;
    result.silence.detected = errors.length;
    result.silence.errorMs = summarize(errors);

    const closed = await Promise.all(gens.map((g) => g.request({ type: 'close' }, undefined, 30_000)));
    for (const c of closed) if (c.type === 'closed') addFailures(result.failures, c.failures);
    result.falseRecoveries = result.failures.unexpectedCloses + result.failures.clientLosses;
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
    o.log(`${name} N=${n}: ${result.error}`);
  } finally {
    for (const g of gens) g.kill();
    if (server) await stopServer(server);
    await sleep(1000); // let sockets drain before the next run
  }
  return result;
}

export async function runConnectionBench(o: BenchOptions): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const n of o.sizes) {
    for (const name of o.targets) {
      o.log(`== ${name} N=${n} (load ${loadAverage()})`);
      results.push(await runOne(name, n, o));
    }
  }
  return results;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      targets: { type: 'string', default: TARGET_NAMES.join(',') },
      n: { type: 'string', default: '1000,10000,19500' },
      'window-s': { type: 'string', default: '30' },
      'settle-s': { type: 'string', default: '8' },
      rate: { type: 'string', default: '1000' },
      silent: { type: 'string', default: '200' },
      workers: { type: 'string', default: '2' },
      'source-ips': { type: 'string', default: '0' },
      nice: { type: 'string', default: '0' },
      'keepalive-ms': { type: 'string', default: '4000' },
      'silence-ms': { type: 'string', default: '16000' },
      json: { type: 'string' },
    },
  });
  const targets = values.targets.split(',').map((s) => s.trim()) as TargetName[];
  for (const t of targets) if (!TARGET_NAMES.includes(t)) throw new Error(`unknown target ${t}`);
  const opts: BenchOptions = {
    targets,
    sizes: values.n.split(',').map(Number),
    timing: { keepaliveMs: Number(values['keepalive-ms']), silenceMs: Number(values['silence-ms']) },
    windowMs: Number(values['window-s']) * 1000,
    settleMs: Number(values['settle-s']) * 1000,
    rate: Number(values.rate),
    silent: Number(values.silent),
    workers: Number(values.workers),
    sourceIps: Number(values['source-ips']),
    nice: Number(values.nice),
    log: (l) => process.stderr.write(`${l}\n`),
  };
  // The orchestrator drains the server's stdout/stderr pipes (Node writes to pipes synchronously: a starved reader
  // would stall the server), so it gets the same priority.
  if (opts.nice !== 0) setPriority(0, opts.nice);
  const results = await runConnectionBench(opts);
  if (values.json)
    writeFileSync(values.json, `${JSON.stringify({ options: { ...opts, log: undefined }, results }, null, 2)}\n`);
  process.stdout.write(`${markdownTable(results, opts.timing)}\n`);
}

if (import.meta.filename === process.argv[1]) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
}
