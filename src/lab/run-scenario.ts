// Runs one lab scenario end to end: Notifs + desktop (+ proxy or namespaces) up, warm-up, fault injected, outcome
// awaited, evidence collected the way a support engineer would (error report, capture, HAR, NetLog, device log),
// truth.json written, the troubleshooter run on the evidence, and its verdict checked against the truth.
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type ErrorKind, LifelineError } from '../errors.ts';
import { createAuth } from '../server/auth.ts';
import { AgentHandle } from './agent-handle.ts';
import { type DesktopAgentConfig, LAB_TIMERS, type LabTimers, type NotifsAgentConfig } from './agent-protocol.ts';
import { BrowserDesktop, truncateNetlog } from './browser-desktop.ts';
import { type CheckResult, checkVerdicts, runDiagnose } from './check.ts';
import { FaultProxy } from './fault-proxy.ts';
import { createTopology, DESKTOP_IP, NOTIFS_IP, netnsUnavailableReason, type Topology } from './netns.ts';
import { type EvidenceKind, type Pair, runLabel, type Scenario, type ScenarioContext, type Truth } from './scenario.ts';
import { type RunningCapture, startCapture } from './tcpdump.ts';

export interface RunOptions {
  outDir: string;
  timers?: LabTimers;
  /** Progress lines (not the result): stderr in the CLI, nothing in tests. */
  log?: (line: string) => void;
  /** Run the troubleshooter on the evidence (default true). */
  diagnose?: boolean;
  /** Which desktop ⇄ Notifs pair (default lifeline); see Pair. */
  pair?: Pair;
}

export interface RunResult {
  scenario: string;
  outDir: string;
  truth?: Truth;
  check?: CheckResult;
  /** Set when the scenario could not run (setup failed, a tool is missing, no root for netns). */
  error?: string;
  /** The kind of that failure when it was a LifelineError (a missing tool is `missing-tool`). */
  errorKind?: ErrorKind;
  skipped?: string;
  durationMs: number;
}

/** Why a scenario cannot run on this machine (or on this pair), or undefined. */
export function scenarioUnavailable(s: Scenario, pair: Pair = 'lifeline'): string | undefined {
  if (!(s.pairs ?? ['lifeline']).includes(pair)) return `not a ${pair}-pair scenario`;
  if (s.network === 'netns') return netnsUnavailableReason();
  return undefined;
}

/** The home-grown desktop page the foreign Notifs serves, with the run's timers (retry like Cisco's SDK: 5 s). */
function plainPageUrl(base: string, agentId: string, t: LabTimers): string {
  const retryMs = Math.min(5000, Math.max(100, Math.floor(t.recoveryMs / 8)));
  return `${base}/plain/?agentId=${agentId}&keepaliveMs=${t.keepaliveMs}&silenceMs=${t.silenceMs}&recoveryMs=${t.recoveryMs}&retryMs=${retryMs}`;
}

export const EVIDENCE_FILES: Record<EvidenceKind, string> = {
  report: 'error-report.json',
  har: 'desktop.har',
  netlog: 'netlog.json',
  capture: 'capture.pcap',
  keylog: 'sslkeys.log',
  'device-log': 'device.log',
};

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}

export async function runScenario(s: Scenario, opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const timers: LabTimers = { ...(opts.timers ?? LAB_TIMERS), ...s.timers };
  const out = path.resolve(opts.outDir);
  const log = (msg: string) => opts.log?.(`[${s.name}] ${msg}`);
  const pair: Pair = opts.pair ?? 'lifeline';
  const foreign = pair === 'foreign';
  const skipped = scenarioUnavailable(s, pair);
  if (skipped) return { scenario: runLabel(s.name, pair), outDir: out, skipped, durationMs: 0 };
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const f = (k: EvidenceKind) => path.join(out, EVIDENCE_FILES[k]);
  const labLog: string[] = [];
  const note = (msg: string) => {
    labLog.push(`${new Date().toISOString()} ${msg}`);
    log(msg);
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  let topo: Topology | undefined;
  let capture: RunningCapture | undefined;
  let truth: Truth | undefined;
  let error: string | undefined;
  let errorKind: ErrorKind | undefined;
  try {
    // ---- network and Notifs ----
    let notifsHost = '127.0.0.1';
    if (s.network === 'netns') {
      topo = await createTopology();
      const t = topo;
      cleanups.push(() => t.destroy());
      notifsHost = NOTIFS_IP;
      note(`namespaces ${t.desktopNs}, ${t.routerNs}, ${t.notifsNs}`);
    }
    const agentId = `lab-${s.name}`;
    // Off loopback (namespaces) Notifs refuses dev auth: use signed tokens with a per-run secret.
    const secret = topo ? randomBytes(16).toString('hex') : undefined;
    const token = secret ? (createAuth({ mode: 'secret', secret }).tokenFor(agentId) ?? agentId) : agentId;
    const notifsConfig: NotifsAgentConfig = {
      host: notifsHost,
      port: 0,
      timers,
      desktopPage: s.desktop === 'browser',
      agents: [agentId],
      secret,
    };
    const notifs = new AgentHandle(foreign ? 'foreign-notifs' : 'notifs', notifsConfig, {
      netnsExec: topo?.exec(topo.notifsNs),
      log: note,
    });
    cleanups.push(() => notifs.stop());
    const ready = await notifs.waitFor('Notifs ready', (e) => e.ev === 'ready', 20_000);
    const notifsPort = ready.ev === 'ready' ? (ready.port ?? 0) : 0;
    let desktopPort = notifsPort;
    let proxy: FaultProxy | undefined;
    if (s.network === 'proxy') {
      const p = new FaultProxy({
        listen: { host: '127.0.0.1', port: 0 },
        upstream: { host: notifsHost, port: notifsPort },
      });
      proxy = p;
      desktopPort = (await p.start()).port;
      cleanups.push(() => p.close());
      p.on('action', (a: { conn: number; stream: string; item: { kind: string; side?: string } }) => {
        if (a.item.kind !== 'data')
          labLog.push(`${new Date().toISOString()} proxy conn ${a.conn} ${a.stream} ${a.item.kind}`);
      });
      await p.startDeviceLog(f('device-log'));
    }
    // ---- the PC's capture (seed step 6), before the desktop connects so the handshake is in it ----
    capture = await startCapture(
      topo
        ? { file: f('capture'), iface: topo.desktopIf, filter: `tcp port ${notifsPort}`, netns: topo.desktopNs }
        : { file: f('capture'), iface: 'lo', filter: `tcp port ${desktopPort}` },
    );
    let deviceLog: { stop(): Promise<void> } | undefined;
    if (topo) deviceLog = await topo.startDeviceLog(f('device-log'));
    // ---- the desktop ----
    const notifsIp = topo ? NOTIFS_IP : '127.0.0.1';
    const baseUrl = `http://${notifsIp}:${desktopPort}`;
    let desktop: AgentHandle | undefined;
    let browser: BrowserDesktop | undefined;
    if (s.desktop === 'node' && !foreign) {
      const d = new AgentHandle('desktop', { url: baseUrl, agentId, token, timers } satisfies DesktopAgentConfig, {
        netnsExec: topo?.exec(topo.desktopNs),
        log: note,
      });
      desktop = d;
      cleanups.push(() => d.stop());
    } else {
      const pt: LabTimers = { ...timers, ...s.pageTimers };
      const b = await BrowserDesktop.launch({
        pageUrl: foreign
          ? plainPageUrl(baseUrl, agentId, pt)
          : `${baseUrl}/desktop/?agentId=${agentId}&token=${encodeURIComponent(token)}${s.pageQuery ? `&${s.pageQuery}` : ''}&keepaliveMs=${pt.keepaliveMs}&silenceMs=${pt.silenceMs}&recoveryMs=${pt.recoveryMs}&connectTimeoutMs=${Math.max(500, Math.floor(pt.recoveryMs / 4))}`,
        netlogFile: f('netlog'),
        keylogFile: f('keylog'),
        hideable: s.hideablePage,
        log: note,
      });
      browser = b;
      cleanups.push(() => b.close());
    }
    const stateEvents = () => desktop?.events ?? browser?.events ?? [];
    const waitDesktopState = async (states: string[], ms: number, from = stateEvents().length) => {
      if (desktop) {
        await desktop.waitFor(
          `desktop state ${states.join('|')}`,
          (e) => e.ev === 'state' && states.includes(e.state),
          ms,
          from,
        );
      } else if (browser) {
        await browser.waitForState(states, ms, from);
      }
    };
    // Warm-up: connected, and keepalives flowing both ways for a few periods.
    await waitDesktopState(['connected'], 15_000, 0);
    const warm = stateEvents().length;
    await waitForMessages(desktop, browser, 3, timers.keepaliveMs * 20, warm);
    note('connected, keepalives flowing');
    const faultFrom = stateEvents().length;
    const ctx: ScenarioContext = {
      timers,
      notifs,
      desktop,
      browser,
      proxy,
      topo,
      desktopPort,
      notifsPort,
      notifsIp,
      hold: (ms) => new Promise((r) => setTimeout(r, ms)),
      // From the fault's start: a state the fault caused before the scenario asks for it still counts.
      waitDesktopState: (states, ms) => waitDesktopState(states, ms, faultFrom),
      log: note,
    };
    const start = Date.now();
    note(`fault: ${s.fault}`);
    await s.inject(ctx);
    const end = Date.now();
    note('fault over; waiting for the outcome');
    // Let the outcome show: connected again and steady for a few keepalive periods (or the recovery timeout).
    const lastState = () => stateEvents().findLast((e) => e.ev === 'state');
    const connectedNow = () => {
      const l = lastState();
      return l?.ev === 'state' && l.state === 'connected';
    };
    if (s.expected.cause !== 'none' && s.expectReconnect !== false && !connectedNow()) {
      await waitDesktopState(['connected'], timers.recoveryMs + 4000).catch(() => note('desktop did not reconnect'));
    }
    const after = stateEvents().length;
    const last = lastState();
    // A desktop that closed for good receives nothing more: nothing to wait for.
    if (!(last?.ev === 'state' && last.state === 'closed'))
      await waitForMessages(desktop, browser, 3, timers.keepaliveMs * 20, after).catch(() => note('no messages after'));
    // ---- collect ----
    const evidence: Truth['evidence'] = {};
    if (desktop) await desktop.call('report', { file: f('report') }).catch((e) => note(`report: ${e.message}`));
    if (browser) {
      // The home-grown desktop writes no error report (only Lifeline's does).
      if (!foreign) await browser.writeErrorReport(f('report')).catch((e) => note(`report: ${(e as Error).message}`));
      await browser.writeHar(f('har'));
    }
    // The evidence ends here, while the desktop is still connected (as when an engineer stops a capture): the
    // lab's own shutdown afterwards is not part of it.
    const evidenceEnd = Date.now();
    await capture.stop();
    capture = undefined;
    await deviceLog?.stop();
    await proxy?.stopDeviceLog();
    cleanups.reverse();
    for (const c of cleanups.splice(0)) await c().catch((e) => note(`cleanup: ${(e as Error).message}`));
    if (browser && (await exists(f('netlog')))) {
      const dropped = await truncateNetlog(f('netlog'), evidenceEnd).catch((e: Error) => {
        note(`netlog: ${e.message}`);
        return 0;
      });
      note(`NetLog cut at the end of the evidence (${dropped} shutdown events dropped)`);
    }
    for (const k of Object.keys(EVIDENCE_FILES) as EvidenceKind[]) {
      if (await exists(f(k))) evidence[k] = EVIDENCE_FILES[k];
    }
    truth = {
      scenario: s.name,
      pair,
      title: s.title,
      fault: s.fault,
      direction: s.direction,
      network: s.network,
      desktop: s.desktop,
      start,
      end,
      expected: s.expected,
      timers,
      evidence,
      notes: [
        s.network === 'proxy'
          ? `capture taken on the desktop's side of the fault proxy (lo, tcp port ${desktopPort}); device.log is the proxy's own firewall-style log`
          : `capture taken on the desktop namespace's interface (${DESKTOP_IP}); device.log is conntrack -E in the router namespace`,
      ],
    };
    await writeFile(path.join(out, 'truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
  } catch (err) {
    error = (err as Error).message ?? String(err);
    if (err instanceof LifelineError) errorKind = err.kind;
    note(`error: ${error}`);
  } finally {
    cleanups.reverse();
    for (const c of cleanups) await c().catch(() => {});
    await capture?.stop().catch(() => {});
    await topo?.destroy().catch(() => {});
    await writeFile(path.join(out, 'lab.log'), `${labLog.join('\n')}\n`);
  }
  let check: CheckResult | undefined;
  if (truth && !error && opts.diagnose !== false) {
    try {
      const files = Object.entries(truth.evidence)
        .filter(([k]) => k !== 'keylog')
        .map(([, v]) => path.join(out, v));
      const verdicts = await runDiagnose(files, {
        timers,
        keylog: truth.evidence.keylog ? path.join(out, truth.evidence.keylog) : undefined,
        jsonOut: path.join(out, 'report.json'),
        htmlOut: path.join(out, 'report.html'),
      });
      check = checkVerdicts(truth, verdicts, 'all');
      await writeFile(path.join(out, 'check.json'), `${JSON.stringify(check, null, 2)}\n`);
    } catch (err) {
      error = `troubleshooter: ${(err as Error).message}`;
    }
  }
  return {
    scenario: runLabel(s.name, pair),
    outDir: out,
    truth,
    check,
    error,
    ...(errorKind ? { errorKind } : {}),
    durationMs: performance.now() - t0,
  };
}

async function waitForMessages(
  desktop: AgentHandle | undefined,
  browser: BrowserDesktop | undefined,
  n: number,
  ms: number,
  from: number,
): Promise<void> {
  if (desktop) {
    const received = () => desktop.events.slice(from).filter((e) => e.ev === 'message' && e.dir === 'received').length;
    await desktop.waitFor(`${n} messages received`, () => received() >= n, ms, from);
    return;
  }
  await browser?.waitForMessages(n, ms);
}
