// Redis scale-out benchmark (issue 7): a reconnect storm across 3 Notifs nodes sharing one Redis, and
// per-notification latency through Redis vs the memory store. Design and definitions: docs/bench-redis.md.
//
// Usage: node --import tsx bench/redis-storm/run.ts [--desktops 10000] [--loadgens 2] [--before 1] [--during 5]
//          [--policy desktop|retry-after] [--pool 0] [--nice=0] [--publish-concurrency 64] [--latency-desktops 1000]
//          [--latency-rate 500] [--latency-s 10] [--phases storm,latency] [--resume-shift 1] [--json FILE]
//          [--nodes 3] [--storm-store redis|memory] [--fault none|flush] [--max-run-s 900]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuPercent, loadAverage, type ProcSample, sampleProcess } from '../connection/proc-stats.ts';
import { type Summary, summarize } from '../connection/stats.ts';
import type { BackoffPolicy } from './desktop.ts';
import type { LatencyReply, ResumeReply } from './ipc.ts';
import {
  installCleanup,
  killAll,
  Loadgen,
  type NotifsNode,
  repoRoot,
  setNiceness,
  startNodes,
  stopNodes,
  track,
} from './processes.ts';
import { type BenchRedis, OpsSampler, opsRate, startRedis } from './redis-process.ts';
import { latencyTable, stormTable } from './report.ts';
import { tokenBucketFloorMs } from './stream-tracker.ts';

/** The server's subscribe limit (docs/server.md): a token bucket per node. */
export const SUBSCRIBE_RATE = { perSecond: 1000, burst: 2000 };

export interface StormOptions {
  desktops: number;
  loadgens: number;
  nodes: number;
  before: number;
  during: number;
  policy: BackoffPolicy;
  pool: number;
  publishConcurrency: number;
  latencyDesktops: number;
  latencyRate: number;
  latencyMs: number;
  phases: string[];
  /** desktop i resumes on node (i + resumeShift) mod nodes: 1 = another node than before, 0 = the same one */
  resumeShift: number;
  /** where the storm's nodes keep backlogs: 'redis' (shared) or 'memory' (one node only: the baseline) */
  stormStore: 'redis' | 'memory';
  /**
   * Harness self-check: 'flush' empties Redis while the desktops are down, so every resume must come back as not
   * recovered (epoch changed). Shows that "not recovered" can fail; never used for numbers.
   */
  fault: 'none' | 'flush';
}

export interface CommandCount {
  command: string;
  calls: number;
  /** calls per operation of the phase (publish, or resumed desktop) */
  perOp: number;
}

/** commandstats difference between two readings, biggest first; the benchmark's own INFO calls left out. */
function commandDiff(a: Map<string, number>, b: Map<string, number>, ops: number): CommandCount[] {
  return [...b]
    .map(([command, calls]) => ({ command, calls: calls - (a.get(command) ?? 0), perOp: Number.NaN }))
    .filter((c) => c.calls > 0 && c.command !== 'info')
    .sort((x, y) => y.calls - x.calls)
    .map((c) => ({ ...c, perOp: ops > 0 ? c.calls / ops : Number.NaN }));
}

export interface CpuRow {
  name: string;
  /** % of one core: while publishing during the outage, and while resuming */
  publishPct: number;
  resumePct: number;
}

export interface StormResult {
  desktops: number;
  nodes: number;
  connected: number;
  connectFailed: number;
  connectMs: number;
  connectRefusals: number;
  firstError?: string;
  steady: { published: number; deliveredMs: number; undelivered: number };
  outage: { published: number; errors: number; ms: number; opsPeak: number; opsMean: number };
  resume: {
    /** from the first resubscribe to the last desktop with all K replays (max over desktops) */
    allResumedMs: number;
    /** from the drop (includes publishing the K notifications while down) */
    fromDropMs: number;
    recovered: number;
    notRecovered: number;
    failures: Record<string, number>;
    settledMs: Summary;
    welcomeMs: Summary;
    subscribedMs: Summary;
    /** desktops that got at least one 429, all 429s, and their backoff time */
    refusedDesktops: number;
    refusals: number;
    backoffMs: Summary;
    /** settled time of desktops never refused: the storm without the limiter's waits */
    unrefusedSettledMs: Summary;
    /** storm time the 429s account for: all resumed − the last never-refused desktop */
    rateLimitShareMs: number;
    /** per desktop, Welcome → last replay */
    replayAfterWelcomeMs: Summary;
    /** the nodes' own counters (GET /metrics, summed over nodes, resume phase) */
    serverRecoveriesComplete: number;
    serverReplayed: number;
    rateLimitFloorMs: number;
    replayed: number;
    duplicates: number;
    replayPerSec: number;
    opsPeak: number;
    opsMean: number;
    redisCommands: number;
    loadgenCpuPct: number;
    /** TCP counters during the resume (whole network namespace): listen-queue overflows, SYN retransmits */
    tcp: Record<string, number>;
    /** cumulative desktops resumed at each 250 ms step */
    timeline: number[];
  };
  /** Redis commandstats deltas (commands run inside Lua scripts included), per publish and per resumed desktop */
  outageCommands: CommandCount[];
  resumeCommands: CommandCount[];
  cpu: CpuRow[];
  /** all cores of the machine (every user's processes), % busy: while publishing during the outage / resuming */
  machineBusyPct: { publish: number; resume: number };
  loadAvg: string;
  error?: string;
}

export interface LatencyResult {
  label: string;
  store: string;
  nodes: number;
  crossNode: boolean;
  desktops: number;
  ratePerSec: number;
  latencyMs: Summary;
  publishMs: Summary;
  published: number;
  errors: number;
  skipped: number;
  lost: number;
  nodeCpuPct: number;
  loadgenCpuPct: number;
  loadAvg: string;
  error?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
const log = (line: string) => process.stderr.write(`[redis-storm ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function split(total: number, parts: number): { offset: number; count: number }[] {
  const per = Math.ceil(total / parts);
  return Array.from({ length: parts }, (_, w) => ({
    offset: w * per,
    count: Math.max(0, Math.min(per, total - w * per)),
  }));
}

function sampleAll(pids: number[]): ProcSample[] {
  return pids.map((p) => {
    try {
      return sampleProcess(p);
    } catch {
      return { at: performance.now(), cpuSeconds: Number.NaN, rssKiB: Number.NaN };
    }
  });
}

/** Whole-machine CPU counters from /proc/stat (all cores): busy and total jiffies. */
function machineCpu(): { busy: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** Share of all cores busy between two machineCpu() readings, %. */
function machineBusyPct(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * 100 : Number.NaN;
}

/** TCP counters of this network namespace (/proc/net/netstat and /proc/net/snmp): listen-queue overflows, SYN retransmits. */
function tcpCounters(): Map<string, number> {
  const out = new Map<string, number>();
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    try {
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      for (let i = 0; i + 1 < lines.length; i += 2) {
        const names = lines[i].split(/\s+/);
        const vals = lines[i + 1].split(/\s+/);
        const prefix = names[0];
        for (let j = 1; j < names.length; j++) out.set(`${prefix}${names[j]}`, Number(vals[j]));
      }
    } catch {
      // not Linux: no counters
    }
  }
  return out;
}

const TCP_WATCH = ['TcpExt:ListenOverflows', 'TcpExt:ListenDrops', 'TcpExt:TCPSynRetrans', 'Tcp:RetransSegs'];

function tcpDiff(a: Map<string, number>, b: Map<string, number>): Record<string, number> {
  return Object.fromEntries(
    TCP_WATCH.map((k) => [k.split(':')[1], (b.get(k) ?? Number.NaN) - (a.get(k) ?? Number.NaN)]),
  );
}

/** Sum of every node's Prometheus counters (GET /metrics), by series name with labels. */
async function nodeMetrics(nodes: NotifsNode[]): Promise<Map<string, number>> {
  const sum = new Map<string, number>();
  await Promise.all(
    nodes.map(async (n) => {
      try {
        const res = await fetch(new URL('/metrics', n.server.url), { signal: AbortSignal.timeout(10_000) });
        for (const line of (await res.text()).split('\n')) {
          if (!line || line.startsWith('#')) continue;
          const i = line.lastIndexOf(' ');
          const v = Number(line.slice(i + 1));
          if (Number.isFinite(v)) sum.set(line.slice(0, i), (sum.get(line.slice(0, i)) ?? 0) + v);
        }
      } catch {
        // a node that does not answer leaves its counters out (NaN below)
      }
    }),
  );
  return sum;
}

function finite(xs: number[]): number[] {
  return xs.filter((x) => Number.isFinite(x));
}

async function connectAll(
  gens: Loadgen[],
  nodes: NotifsNode[],
  desktops: number,
  prefix: string,
  o: StormOptions,
): Promise<{ ok: number; failed: number; refusals: number; ms: number; firstError?: string }> {
  const parts = split(desktops, gens.length);
  const replies = await Promise.all(
    gens.map((g, w) =>
      g.request(
        {
          type: 'connect',
          nodes: nodes.map((n) => n.server.url),
          offset: parts[w].offset,
          count: parts[w].count,
          agentPrefix: prefix,
          poolPerNode: o.pool,
          maxInFlight: 48,
          keepaliveMs: 4000,
          policy: o.policy,
          deadlineMs: 60_000,
        },
        'connected',
        240_000,
      ),
    ),
  );
  const r = { ok: 0, failed: 0, refusals: 0, ms: 0, firstError: undefined as string | undefined };
  for (const c of replies) {
    r.ok += c.ok;
    r.failed += c.failed;
    r.refusals += c.refusals;
    r.ms = Math.max(r.ms, c.ms);
    r.firstError ??= c.firstError;
  }
  return r;
}

export async function runStorm(redis: BenchRedis, sampler: OpsSampler, o: StormOptions): Promise<StormResult> {
  const n = o.desktops;
  const result: StormResult = {
    desktops: n,
    nodes: o.nodes,
    connected: 0,
    connectFailed: 0,
    connectMs: 0,
    connectRefusals: 0,
    steady: { published: 0, deliveredMs: Number.NaN, undelivered: 0 },
    outage: { published: 0, errors: 0, ms: Number.NaN, opsPeak: Number.NaN, opsMean: Number.NaN },
    resume: {
      allResumedMs: Number.NaN,
      fromDropMs: Number.NaN,
      recovered: 0,
      notRecovered: n,
      failures: {},
      settledMs: summarize([]),
      welcomeMs: summarize([]),
      subscribedMs: summarize([]),
      refusedDesktops: 0,
      refusals: 0,
      backoffMs: summarize([]),
      unrefusedSettledMs: summarize([]),
      rateLimitShareMs: Number.NaN,
      replayAfterWelcomeMs: summarize([]),
      serverRecoveriesComplete: Number.NaN,
      serverReplayed: Number.NaN,
      rateLimitFloorMs: Number.NaN,
      replayed: 0,
      duplicates: 0,
      replayPerSec: Number.NaN,
      opsPeak: Number.NaN,
      opsMean: Number.NaN,
      redisCommands: Number.NaN,
      loadgenCpuPct: Number.NaN,
      tcp: {},
      timeline: [],
    },
    outageCommands: [],
    resumeCommands: [],
    cpu: [],
    machineBusyPct: { publish: Number.NaN, resume: Number.NaN },
    loadAvg: loadAverage(),
  };
  let nodes: NotifsNode[] = [];
  const gens: Loadgen[] = [];
  try {
    await sampler.flushAll();
    log(`storm: starting ${o.nodes} nodes on ${redis.url}`);
    nodes = await startNodes(o.nodes, o.stormStore === 'memory' ? 'memory' : redis.url, 'n');
    for (let i = 0; i < o.loadgens; i++) gens.push(new Loadgen());
    log(`storm: connecting ${n} desktops round-robin over ${o.nodes} nodes`);
    const c = await connectAll(gens, nodes, n, 'storm-', o);
    Object.assign(result, {
      connected: c.ok,
      connectFailed: c.failed,
      connectMs: c.ms,
      connectRefusals: c.refusals,
      firstError: c.firstError,
    });
    log(`storm: ${c.ok} connected, ${c.failed} failed, ${c.refusals} × 429, in ${(c.ms / 1000).toFixed(1)} s`);
    if (c.ok === 0) throw new Error(`no desktop connected: ${c.firstError ?? '?'}`);
    await sleep(2000);

    const perGen = Math.max(1, Math.floor(o.publishConcurrency / gens.length));
    /** Every load generator publishes `perAgent` to each of its agents (on the node `shift` after theirs). */
    const publishAll = (perAgent: number, shift: number, waitReceived: number, timeoutMs: number) =>
      Promise.all(
        gens.map((g) =>
          g.request(
            { type: 'publish', perAgent, shift, concurrency: perGen, waitReceived, timeoutMs },
            'published',
            timeoutMs + 30_000,
          ),
        ),
      );
    if (o.before > 0) {
      const steady = await publishAll(o.before, 0, o.before, 120_000);
      result.steady.published = steady.reduce((s, r) => s + r.published, 0);
      result.steady.deliveredMs = Math.max(...steady.map((r) => r.deliveredMs));
      result.steady.undelivered = steady.reduce((s, r) => s + r.undelivered, 0);
      log(`storm: ${result.steady.published} published at steady state, ${result.steady.undelivered} undelivered`);
    }
    await sleep(1000);

    const pids = [...nodes.map((x) => x.server.pid), redis.pid];
    const names = [...nodes.map((x) => `node ${x.id}`), 'redis-server'];
    sampler.start(250);
    await sleep(500);
    const cmd0 = await sampler.commandStats();
    const cpu0 = sampleAll(pids);
    const m0 = machineCpu();
    const tDrop = performance.now();
    await Promise.all(gens.map((g) => g.request({ type: 'drop' }, 'dropped', 30_000)));
    log(`storm: dropped all sockets; publishing ${o.during} per agent while they are down`);
    const outage = await publishAll(o.during, 2, 0, 300_000);
    const tPublished = performance.now();
    if (o.fault === 'flush') {
      log('storm: --fault flush: emptying Redis while the desktops are down (every resume must fail)');
      await sampler.flushAll();
    }
    const cpu1 = sampleAll(pids);
    const m1 = machineCpu();
    const tcp1 = tcpCounters();
    result.outage.published = outage.reduce((s, r) => s + r.published, 0);
    result.outage.errors = outage.reduce((s, r) => s + r.errors, 0);
    result.outage.ms = tPublished - tDrop;
    const outOps = opsRate(sampler.samples, tDrop, tPublished);
    result.outage.opsPeak = outOps.peak;
    result.outage.opsMean = outOps.mean;
    log(
      `storm: ${result.outage.published} published in ${(result.outage.ms / 1000).toFixed(1)} s (${result.outage.errors} errors); every desktop resumes on ${o.resumeShift % o.nodes === 0 ? 'its own' : 'another'} node now`,
    );

    const metrics1 = await nodeMetrics(nodes);
    const tResume = performance.now();
    const cmd1 = await sampler.commandStats();
    const replies: ResumeReply[] = await Promise.all(
      gens.map((g) =>
        g.request(
          { type: 'resume', shift: o.resumeShift, expectReplay: o.during, timeoutMs: 120_000 },
          'resumed',
          150_000,
        ),
      ),
    );
    const tResumed = performance.now();
    const cpu2 = sampleAll(pids);
    const m2 = machineCpu();
    result.resume.tcp = tcpDiff(tcp1, tcpCounters());
    result.machineBusyPct = { publish: machineBusyPct(m0, m1), resume: machineBusyPct(m1, m2) };
    await sleep(300); // one more ops sample after the end
    sampler.stop();
    const cmd2 = await sampler.commandStats();
    const metrics2 = await nodeMetrics(nodes);
    result.resume.serverRecoveriesComplete =
      (metrics2.get('lifeline_recoveries_total{result="complete"}') ?? Number.NaN) -
      (metrics1.get('lifeline_recoveries_total{result="complete"}') ?? 0);
    result.resume.serverReplayed =
      (metrics2.get('lifeline_replayed_total') ?? Number.NaN) - (metrics1.get('lifeline_replayed_total') ?? 0);

    const r = result.resume;
    const settled: number[] = [];
    const unrefused: number[] = [];
    const backoff: number[] = [];
    const welcome: number[] = [];
    const afterWelcome: number[] = [];
    const subscribed: number[] = [];
    r.recovered = 0;
    for (const rep of replies) {
      r.recovered += rep.recovered;
      r.replayed += rep.replayedReceived;
      r.duplicates += rep.duplicates;
      for (const [k, v] of Object.entries(rep.failures)) r.failures[k] = (r.failures[k] ?? 0) + v;
      for (let i = 0; i < rep.settledMs.length; i++) {
        const s = rep.settledMs[i];
        if (Number.isFinite(s)) {
          settled.push(s);
          if (rep.refusals[i] === 0) unrefused.push(s);
        }
        if (rep.refusals[i] > 0) {
          r.refusedDesktops++;
          r.refusals += rep.refusals[i];
          backoff.push(rep.backoffMs[i]);
        }
      }
      welcome.push(...finite(rep.welcomeMs));
      for (let i = 0; i < rep.settledMs.length; i++) {
        const d = rep.settledMs[i] - rep.welcomeMs[i];
        if (Number.isFinite(d)) afterWelcome.push(d);
      }
      subscribed.push(...finite(rep.subscribedMs));
      result.firstError ??= rep.firstError;
    }
    r.notRecovered = result.connected - r.recovered;
    r.settledMs = summarize(settled);
    r.welcomeMs = summarize(welcome);
    r.replayAfterWelcomeMs = summarize(afterWelcome);
    r.subscribedMs = summarize(subscribed);
    r.backoffMs = summarize(backoff);
    r.unrefusedSettledMs = summarize(unrefused);
    r.rateLimitShareMs = Math.max(0, r.settledMs.max - r.unrefusedSettledMs.max);
    r.allResumedMs = r.notRecovered === 0 ? r.settledMs.max : Number.NaN;
    r.fromDropMs = tResume - tDrop + r.allResumedMs;
    r.loadgenCpuPct = replies.reduce((s, x) => s + x.cpuPercent, 0);
    const perNode = Math.ceil(result.connected / o.nodes);
    r.rateLimitFloorMs = tokenBucketFloorMs(perNode, SUBSCRIBE_RATE.perSecond, SUBSCRIBE_RATE.burst);
    const span = Number.isFinite(r.settledMs.max) ? r.settledMs.max : tResumed - tResume;
    r.replayPerSec = span > 0 ? r.replayed / (span / 1000) : Number.NaN;
    const ops = opsRate(sampler.samples, tResume, tResume + span + 250);
    r.opsPeak = ops.peak;
    r.opsMean = ops.mean;
    r.redisCommands = ops.total;
    const steps = Math.ceil(span / 250);
    const sorted = settled.slice().sort((a, b) => a - b);
    let k = 0;
    for (let s = 1; s <= steps && s <= 2000; s++) {
      while (k < sorted.length && sorted[k] <= s * 250) k++;
      r.timeline.push(k);
    }
    result.outageCommands = commandDiff(cmd0, cmd1, result.outage.published);
    result.resumeCommands = commandDiff(cmd1, cmd2, r.recovered);
    log(
      r.notRecovered === 0
        ? `storm: all ${r.recovered} recovered in ${(r.allResumedMs / 1000).toFixed(2)} s`
        : `storm: only ${r.recovered}/${result.connected} recovered: ${JSON.stringify(r.failures)}`,
    );
    result.cpu = names.map((name, i) => ({
      name,
      publishPct: cpuPercent(cpu0[i], cpu1[i]),
      resumePct: cpuPercent(cpu1[i], cpu2[i]),
    }));
    result.loadAvg = loadAverage();
  } catch (err) {
    result.error = errText(err);
    log(`storm failed: ${result.error}`);
  } finally {
    sampler.stop();
    await Promise.all(gens.map((g) => g.close()));
    await stopNodes(nodes);
  }
  return result;
}

interface LatencyConfig {
  label: string;
  redis: boolean;
  nodes: number;
  shift: number;
}

export async function runLatency(
  redis: BenchRedis,
  sampler: OpsSampler,
  cfg: LatencyConfig,
  o: StormOptions,
): Promise<LatencyResult> {
  const result: LatencyResult = {
    label: cfg.label,
    store: cfg.redis ? 'redis' : 'memory',
    nodes: cfg.nodes,
    crossNode: cfg.shift !== 0,
    desktops: o.latencyDesktops,
    ratePerSec: o.latencyRate,
    latencyMs: summarize([]),
    publishMs: summarize([]),
    published: 0,
    errors: 0,
    skipped: 0,
    lost: 0,
    nodeCpuPct: Number.NaN,
    loadgenCpuPct: Number.NaN,
    loadAvg: loadAverage(),
  };
  let nodes: NotifsNode[] = [];
  let gen: Loadgen | undefined;
  try {
    if (cfg.redis) await sampler.flushAll();
    nodes = await startNodes(cfg.nodes, cfg.redis ? redis.url : 'memory', 'l');
    gen = new Loadgen();
    const c = await connectAll([gen], nodes, o.latencyDesktops, 'lat-', o);
    if (c.ok < o.latencyDesktops) throw new Error(`${c.failed} desktops failed to connect: ${c.firstError ?? '?'}`);
    await sleep(2000);
    const pids = nodes.map((x) => x.server.pid);
    const a = sampleAll(pids);
    const rep: LatencyReply = await gen.request(
      { type: 'latency', ratePerSec: o.latencyRate, durationMs: o.latencyMs, shift: cfg.shift, maxInFlight: 256 },
      'latency',
      o.latencyMs + 60_000,
    );
    const b = sampleAll(pids);
    Object.assign(result, {
      latencyMs: summarize(rep.samples),
      publishMs: summarize(rep.publishMs),
      published: rep.published,
      errors: rep.errors,
      skipped: rep.skipped,
      lost: rep.lost,
      nodeCpuPct: pids.reduce((s, _, i) => s + cpuPercent(a[i], b[i]), 0),
      loadgenCpuPct: rep.cpuPercent,
      loadAvg: loadAverage(),
      ...(rep.firstError ? { error: rep.firstError } : {}),
    });
    log(
      `latency ${cfg.label}: p50 ${result.latencyMs.p50.toFixed(2)} ms, p99 ${result.latencyMs.p99.toFixed(2)} ms over ${result.latencyMs.count}`,
    );
  } catch (err) {
    result.error = errText(err);
    log(`latency ${cfg.label} failed: ${result.error}`);
  } finally {
    await gen?.close();
    await stopNodes(nodes);
  }
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      desktops: { type: 'string', default: '10000' },
      loadgens: { type: 'string', default: '2' },
      nodes: { type: 'string', default: '3' },
      before: { type: 'string', default: '1' },
      during: { type: 'string', default: '5' },
      policy: { type: 'string', default: 'desktop' },
      pool: { type: 'string', default: '0' },
      nice: { type: 'string', default: '0' },
      'publish-concurrency': { type: 'string', default: '64' },
      'latency-desktops': { type: 'string', default: '1000' },
      'latency-rate': { type: 'string', default: '500' },
      'latency-s': { type: 'string', default: '10' },
      phases: { type: 'string', default: 'storm,latency' },
      json: { type: 'string' },
      'max-run-s': { type: 'string', default: '900' },
      'resume-shift': { type: 'string', default: '1' },
      'storm-store': { type: 'string', default: 'redis' },
      fault: { type: 'string', default: 'none' },
    },
  });
  const policy = values.policy as BackoffPolicy;
  if (policy !== 'desktop' && policy !== 'retry-after') throw new Error('--policy must be desktop or retry-after');
  const o: StormOptions = {
    desktops: Number(values.desktops),
    loadgens: Math.max(1, Number(values.loadgens)),
    nodes: Math.max(1, Number(values.nodes)),
    before: Number(values.before),
    during: Math.max(1, Number(values.during)),
    policy,
    pool: Number(values.pool),
    publishConcurrency: Number(values['publish-concurrency']),
    latencyDesktops: Number(values['latency-desktops']),
    latencyRate: Number(values['latency-rate']),
    latencyMs: Number(values['latency-s']) * 1000,
    phases: values.phases.split(',').map((s) => s.trim()),
    resumeShift: Number(values['resume-shift']),
    stormStore: values['storm-store'] === 'memory' ? 'memory' : 'redis',
    fault: values.fault === 'flush' ? 'flush' : 'none',
  };
  if (values.fault !== 'none' && values.fault !== 'flush') throw new Error('--fault must be none or flush');
  if (values['storm-store'] !== 'redis' && values['storm-store'] !== 'memory')
    throw new Error('--storm-store must be redis or memory');
  // A memory store is per process: a desktop resuming on another node would find another stream.
  if (o.stormStore === 'memory' && o.nodes !== 1) throw new Error('--storm-store memory needs --nodes 1');
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0)) throw new Error(`bad --${k}`);
  }
  installCleanup();
  const nice = Number(values.nice);
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new Error('--nice must be an integer in -20..19');
  setNiceness(nice);
  // Everything is bounded: past this the run is abandoned and every process killed.
  const guard = setTimeout(() => {
    log(`run exceeded --max-run-s ${values['max-run-s']}: killing everything`);
    killAll();
    process.exit(1);
  }, Number(values['max-run-s']) * 1000);
  guard.unref();

  const startedAt = new Date();
  const os = await import('node:os');
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    } catch {
      return '?';
    }
  };
  const machine = {
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? '?',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    loadAvgAtStart: loadAverage(),
    nice,
    schedAutogroup: (() => {
      try {
        return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
      } catch {
        return false;
      }
    })(),
    // The nodes run whatever src/ holds now (bin/lifeline.js bundles the working tree): record how clean it was.
    commit: git(['rev-parse', '--short', 'HEAD']),
    srcChanges: git(['status', '--short', '--', 'src']).split('\n').filter(Boolean),
  };
  log(`load average ${machine.loadAvgAtStart}`);
  const redis = await startRedis();
  track(redis.child);
  const sampler = new OpsSampler(redis.url);
  let storm: StormResult | undefined;
  const latency: LatencyResult[] = [];
  try {
    if (o.phases.includes('storm')) storm = await runStorm(redis, sampler, o);
    if (o.phases.includes('latency')) {
      const configs: LatencyConfig[] = [
        { label: 'memory store, 1 node', redis: false, nodes: 1, shift: 0 },
        { label: 'Redis store, 1 node', redis: true, nodes: 1, shift: 0 },
        // Same 3 processes, publish on the desktop's own node: separates the pub/sub hop from the extra processes.
        {
          label: `Redis store, ${o.nodes} nodes, publish on the desktop's node`,
          redis: true,
          nodes: o.nodes,
          shift: 0,
        },
        { label: `Redis store, ${o.nodes} nodes, publish on another node`, redis: true, nodes: o.nodes, shift: 1 },
      ];
      for (const cfg of configs) latency.push(await runLatency(redis, sampler, cfg, o));
    }
  } finally {
    await sampler.close();
    await redis.stop();
  }
  const file =
    values.json ??
    resolve(repoRoot, 'bench/results', `redis-storm-${startedAt.toISOString().replace(/[:.]/g, '')}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt: startedAt.toISOString(), machine, loadAvgAtEnd: loadAverage(), options: o, storm, latency }, null, 2)}\n`,
  );
  if (storm) process.stdout.write(`${stormTable(storm, o)}\n\n`);
  if (latency.length) process.stdout.write(`${latencyTable(latency)}\n\n`);
  process.stdout.write(`JSON: ${file}\n`);
  clearTimeout(guard);
  if (storm?.error || storm?.resume.notRecovered || latency.some((l) => l.error)) process.exitCode = 1;
}

if (import.meta.filename === process.argv[1]) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    killAll();
    process.exit(1);
  });
}
