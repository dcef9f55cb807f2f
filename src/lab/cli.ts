// CLI commands of src/lab: `lab proxy`, `lab list`, `lab run NAME`, and the top-level `demo`.

import path from 'node:path';
import type { Command } from 'commander';
import { EXIT, LifelineError } from '../cli/exit-codes.ts';
import { PRODUCTION_TIMERS } from './agent-protocol.ts';
import { demoScenarios, resultLine, runDemo } from './demo.ts';
import { FaultProxy } from './fault-proxy.ts';
import { startProxyApi } from './proxy-http-api.ts';
import { runScenario, scenarioUnavailable } from './run-scenario.ts';
import { runLabel } from './scenario.ts';
import { findScenario, SCENARIOS } from './scenarios/index.ts';

/** Progress on stderr: one line per finished item; a spinner line only when stderr is a terminal. */
function progress() {
  const tty = process.stderr.isTTY === true;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let timer: NodeJS.Timeout | undefined;
  let label = '';
  let i = 0;
  const clear = () => {
    if (tty) process.stderr.write('\r\x1b[K');
  };
  return {
    start(text: string) {
      label = text;
      if (!tty) return;
      clearInterval(timer);
      timer = setInterval(() => {
        process.stderr.write(`\r\x1b[K${frames[i++ % frames.length]} ${label}`);
      }, 100);
    },
    line(text: string) {
      clear();
      process.stderr.write(`${text}\n`);
    },
    stop() {
      clearInterval(timer);
      clear();
    },
  };
}

/**
 * Ends the process once stdout and stderr are flushed. After a long demo (17 scenarios: child processes, a
 * browser, tsx's esbuild service) Node's own teardown was seen spinning in FreeEnvironment → CleanupHandles on a
 * request that never completed, long after every result was written; the lab's work is done at this point, so it
 * exits explicitly rather than leave a user's terminal hanging.
 */
function finish(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/** Parses `host:port` (host defaults to 127.0.0.1). */
export function parseEndpoint(value: string, what: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) {
    throw new LifelineError('LAB_BAD_ENDPOINT', `${what} must be host:port or port, got "${value}"`, 'usage');
  }
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

export function registerLabCommands(program: Command): void {
  const lab = program
    .command('lab')
    .description('The fault lab: break the desktop ⇄ Notifs connection on purpose and check the verdicts.');
  registerProxy(lab);
  registerList(lab);
  registerRun(lab);
  registerDemo(program);
}

function registerProxy(lab: Command): void {
  lab
    .command('proxy')
    .description('Run the TCP fault proxy (desktop ⇄ proxy ⇄ Notifs) with an HTTP API to add and remove faults.')
    .requiredOption('--listen <host:port>', 'where desktops connect')
    .requiredOption('--upstream <host:port>', 'the Notifs server')
    .option('--api <host:port>', 'where the HTTP JSON API listens', '127.0.0.1:8474')
    .addHelpText(
      'after',
      `
Faults ("toxics") apply per direction: stream "upstream" = desktop → Notifs, "downstream" = Notifs → desktop.
Types: latency {latencyMs, jitterMs}, bandwidth {rateKBps}, stall (hold; release on delete), blackhole,
reset {afterMs, side: desktop|server|both}, limit {bytes}, timeout {afterMs}, slicer {sizeBytes, delayMs}, refuse.

Examples:
  lifeline lab proxy --listen 127.0.0.1:9100 --upstream 127.0.0.1:8080 --api 127.0.0.1:8474
  curl -X POST localhost:8474/toxics -d '{"name":"bh","type":"blackhole","stream":"downstream"}'
  curl localhost:8474/toxics
  curl -X DELETE localhost:8474/toxics/bh
  curl -X POST localhost:8474/toxics -d '{"type":"stall","stream":"downstream"}'   # later DELETE = "delayed"
  curl -X POST localhost:8474/toxics -d '{"type":"reset","attributes":{"afterMs":0,"side":"both"}}'
See docs/lab.md.`,
    )
    .action(runProxy);
}

async function runProxy(o: { listen: string; upstream: string; api: string }): Promise<void> {
  const proxy = new FaultProxy({
    listen: parseEndpoint(o.listen, '--listen'),
    upstream: parseEndpoint(o.upstream, '--upstream'),
  });
  let listen: { host: string; port: number };
  try {
    listen = await proxy.start();
  } catch (err) {
    throw new LifelineError('LAB_LISTEN_FAILED', `cannot listen on ${o.listen}: ${(err as Error).message}`, 'usage');
  }
  const apiAt = parseEndpoint(o.api, '--api');
  const api = await startProxyApi(proxy, apiAt).catch(async (err: Error) => {
    await proxy.close();
    throw new LifelineError('LAB_LISTEN_FAILED', `cannot listen on ${o.api}: ${err.message}`, 'usage');
  });
  process.stderr.write(
    `lab proxy: ${listen.host}:${listen.port} → ${o.upstream}; API http://${apiAt.host}:${api.port}/toxics (Ctrl-C stops)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await api.close();
  await proxy.close();
}

function registerList(lab: Command): void {
  lab
    .command('list')
    .description('List the lab scenarios: the injected fault and the verdict the troubleshooter should give.')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const rows = SCENARIOS.map((s) => ({
        name: s.name,
        title: s.title,
        fault: s.fault,
        direction: s.direction,
        network: s.network,
        desktop: s.desktop,
        expected: s.expected,
        demo: s.demo === true,
        unavailable: scenarioUnavailable(s) ?? null,
      }));
      if (o.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const r of rows) {
        const exp = r.expected.cause === 'none' ? 'no incident' : `${r.expected.domain}/${r.expected.cause}`;
        process.stdout.write(
          `${r.name.padEnd(26)} ${r.network.padEnd(5)} ${exp.padEnd(30)} ${r.fault}${r.unavailable ? `  [skipped here: ${r.unavailable}]` : ''}\n`,
        );
      }
    });
}

interface RunOpts {
  out?: string;
  json?: boolean;
  pair: string;
  productionTimers?: boolean;
}

function registerRun(lab: Command): void {
  lab
    .command('run')
    .description('Run one scenario end to end: inject the fault, collect evidence, run the troubleshooter, check it.')
    .argument('<name>', 'scenario name (see `lifeline lab list`)')
    .option('--out <dir>', 'where the evidence, truth.json, report and check.json go (default lab-out/<name>)')
    .option('--json', 'print check.json on stdout')
    .option(
      '--pair <pair>',
      'lifeline (our Notifs and desktop) or foreign (an independent WxCC-like Notifs and a home-grown page)',
      'lifeline',
    )
    .option(
      '--production-timers',
      'run at the production timers (4 s / 16 s / 50 s) instead of the compressed lab ones',
    )
    .addHelpText(
      'after',
      `
Writes: error-report.json, capture.pcap, device.log (and desktop.har, netlog.json for browser scenarios),
truth.json (the injected fault and the expected verdict), report.json + report.html (the troubleshooter),
check.json (expected vs got). Exit code 0 if the verdict matches, 4 if not.

Examples:
  lifeline lab run inbound-loss --out /tmp/inbound
  lifeline lab run netns-reset-by-middlebox --json     # as root
  lifeline lab run inbound-loss --pair foreign --production-timers`,
    )
    .action(runOne);
}

async function runOne(name: string, o: RunOpts): Promise<void> {
  if (o.pair !== 'lifeline' && o.pair !== 'foreign')
    throw new LifelineError('USAGE_BAD_PAIR', `--pair ${JSON.stringify(o.pair)}: lifeline or foreign`, 'usage');
  const pair = o.pair;
  const s = findScenario(name);
  if (!s) {
    throw new LifelineError(
      'LAB_UNKNOWN_SCENARIO',
      `no scenario "${name}"; one of: ${SCENARIOS.map((x) => x.name).join(', ')}`,
      'usage',
    );
  }
  const why = scenarioUnavailable(s, pair);
  if (why) throw new LifelineError('LAB_SCENARIO_UNAVAILABLE', `${name} cannot run here: ${why}`, 'missing-tool');
  const p = progress();
  p.start(`running ${name}…`);
  const r = await runScenario(s, {
    outDir: o.out ?? path.join('lab-out', runLabel(s.name, pair)),
    pair,
    ...(o.productionTimers ? { timers: PRODUCTION_TIMERS } : {}),
    log: (line) => {
      if (process.stderr.isTTY) p.start(line);
    },
  }).finally(() => p.stop());
  if (!r.check) {
    throw new LifelineError(
      'LAB_RUN_FAILED',
      `${name} did not run to the end: ${r.error ?? 'unknown'}`,
      r.errorKind === 'missing-tool' ? 'missing-tool' : 'internal',
    );
  }
  if (o.json) process.stdout.write(`${JSON.stringify(r.check, null, 2)}\n`);
  else process.stdout.write(`${resultLine(r, 0, 1)}\n  evidence and report: ${r.outDir}\n`);
  finish(r.check.ok ? EXIT.OK : EXIT.FOUND);
}

function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Break a live connection in every representative way, run the troubleshooter, write an HTML index.')
    .option('--out <dir>', 'output directory', 'lifeline-demo')
    .option('--json', 'print the summary (every scenario: truth and check) on stdout')
    .addHelpText(
      'after',
      `
Runs the representative lab scenarios one after the other on embedded defaults (memory store, loopback, a TCP
fault proxy; as root also network namespaces with iptables), collects the evidence of each, runs the
troubleshooter, and writes <out>/index.html: injected fault vs verdict (domain, cause, confidence, ✓/✗), with
links to each scenario's report and evidence. One progress line per scenario on stderr. Exit code 0 when every
verdict matched, 4 otherwise.

Examples:
  ./lifeline demo
  lifeline demo --out /tmp/demo --json > summary.json`,
    )
    .action(runDemoCommand);
}

async function runDemoCommand(o: { out: string; json?: boolean }): Promise<void> {
  const p = progress();
  const list = demoScenarios();
  const summary = await runDemo({
    out: o.out,
    scenarios: list,
    onStart: ({ s, pair }, i, n) => p.start(`[${i + 1}/${n}] ${runLabel(s.name, pair)}: ${s.fault}`),
    onResult: (r, i, n) => p.line(resultLine(r, i, n)),
  }).finally(() => p.stop());
  const ran = summary.results.filter((r) => r.check);
  const ok = ran.filter((r) => r.check?.ok).length;
  p.line(
    `${ok}/${ran.length} verdicts correct in ${(summary.durationMs / 1000).toFixed(0)} s; open ${path.join(o.out, 'index.html')}`,
  );
  if (o.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  finish(ok === ran.length && ran.length > 0 ? EXIT.OK : EXIT.FOUND);
}
