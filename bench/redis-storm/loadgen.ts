// Load-generator process of the Redis storm benchmark (forked by run.ts; commands in ipc.ts). It runs a share of
// the desktops (one agent each): connects them round-robin over the nodes, drives their 4 s keepalives from ONE
// phase wheel (bench/connection/phase-wheel.ts), publishes to its own agents, drops every socket at once, and
// resumes them all at once on another node. Publishes for the latency phase are sent from this process too, so the
// send time in each notification and the receipt time come from the same clock.
import { PhaseWheel } from '../connection/phase-wheel.ts';
import { StormDesktop } from './desktop.ts';
import type {
  ConnectCmd,
  ConnectReply,
  FromLoadgen,
  LatencyReply,
  PublishReply,
  ResumeReply,
  ToLoadgen,
} from './ipc.ts';
import { NodeClient } from './node-client.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

let cfg: ConnectCmd | undefined;
let clients: NodeClient[] = [];
let desktops: StormDesktop[] = [];
let beatTimer: NodeJS.Timeout | undefined;
/** where latency samples go while the latency phase runs */
let latencySink: number[] | undefined;
const onLatency = (ms: number) => latencySink?.push(ms);

const nodeFor = (d: StormDesktop, shift: number) => clients[(d.idx + shift) % clients.length];

async function connect(c: ConnectCmd): Promise<ConnectReply> {
  cfg = c;
  const t0 = performance.now();
  clients = c.nodes.map((u) => new NodeClient(u, c.poolPerNode));
  desktops = Array.from(
    { length: c.count },
    (_, i) => new StormDesktop(c.offset + i, `${c.agentPrefix}${c.offset + i}`),
  );
  // One timer for every keepalive: slots of ~50 ms, each desktop in the slot of its global index.
  const slots = Math.max(1, Math.round(c.keepaliveMs / 50));
  const wheel = new PhaseWheel<StormDesktop>(c.keepaliveMs, slots, t0);
  for (const d of desktops) wheel.add(d, d.idx);
  beatTimer = setInterval(
    () =>
      wheel.advance(performance.now(), (d) => {
        d.beat();
        return true;
      }),
    Math.max(5, Math.floor(c.keepaliveMs / slots)),
  );
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < desktops.length) {
      const d = desktops[next++];
      try {
        await d.connect({
          node: nodeFor(d, 0),
          resume: false,
          expectReplay: 0,
          policy: c.policy,
          deadlineMs: c.deadlineMs,
          onLatency,
        });
        ok++;
      } catch (err) {
        failed++;
        firstError ??= errText(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, c.maxInFlight) }, worker));
  const refusals = desktops.reduce((s, d) => s + d.refusals, 0);
  return { type: 'connected', ok, failed, refusals, ms: performance.now() - t0, firstError };
}

async function publish(m: Extract<ToLoadgen, { type: 'publish' }>): Promise<PublishReply> {
  const t0 = performance.now();
  const total = desktops.length * m.perAgent;
  let next = 0;
  let published = 0;
  let errors = 0;
  let firstError: string | undefined;
  // Round by round over the agents, so one agent's notifications are never in flight together.
  const worker = async () => {
    while (next < total) {
      const k = next++;
      const d = desktops[k % desktops.length];
      try {
        await nodeFor(d, m.shift).publish(d.agentId, 'BenchNotification', { n: Math.floor(k / desktops.length) });
        published++;
      } catch (err) {
        errors++;
        firstError ??= errText(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, m.concurrency) }, worker));
  const ms = performance.now() - t0;
  let deliveredMs = Number.NaN;
  let undelivered = 0;
  if (m.waitReceived > 0) {
    const until = t0 + m.timeoutMs;
    const pending = () => desktops.filter((d) => d.open && d.tracker.received < m.waitReceived).length;
    while (pending() > 0 && performance.now() < until) await sleep(20);
    undelivered = pending();
    if (undelivered === 0) deliveredMs = performance.now() - t0;
  }
  return { type: 'published', published, errors, firstError, ms, deliveredMs, undelivered };
}

async function resume(m: Extract<ToLoadgen, { type: 'resume' }>): Promise<ResumeReply> {
  const c = cfg;
  if (!c) throw new Error('resume before connect');
  // Only desktops that were connected (have a position to resume from) take part; the others failed at connect.
  const live = desktops.filter((d) => d.tracker.epoch !== '');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let settled = 0;
  let firstError: string | undefined;
  const done = new Promise<void>((resolve) => {
    const onSettled = () => {
      if (++settled === live.length) resolve();
    };
    if (live.length === 0) resolve();
    // Every desktop at once: the storm. The HTTP pools (poolPerNode per node) queue what they cannot send yet.
    for (const d of live) {
      d.connect({
        node: nodeFor(d, m.shift),
        resume: true,
        expectReplay: m.expectReplay,
        policy: c.policy,
        deadlineMs: m.timeoutMs,
        onLatency,
        onSettled,
      }).catch((err: unknown) => {
        firstError ??= errText(err);
        d.fail(errText(err));
      });
    }
  });
  await Promise.race([done, sleep(m.timeoutMs + 2000)]);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const rel = (x: number) => (x > 0 ? x - t0 : Number.NaN);
  const failures: Record<string, number> = {};
  let recovered = 0;
  let replayedReceived = 0;
  let duplicates = 0;
  for (const d of live) {
    const state = d.tracker.state();
    if (state === 'done' && d.settledAt > 0) recovered++;
    else {
      const why = d.tracker.failure ?? `unfinished-${state}`;
      failures[why] = (failures[why] ?? 0) + 1;
    }
    replayedReceived += Math.max(0, d.tracker.seq - (d.tracker.resume?.requested.seq ?? d.tracker.seq));
    duplicates += d.tracker.duplicates;
  }
  return {
    type: 'resumed',
    subscribedMs: live.map((d) => rel(d.subscribedAt)),
    welcomeMs: live.map((d) => rel(d.welcomeAt)),
    settledMs: live.map((d) => (d.tracker.state() === 'done' ? rel(d.settledAt) : Number.NaN)),
    refusals: live.map((d) => d.refusals),
    backoffMs: live.map((d) => d.backoffMs),
    recovered,
    failures,
    replayedReceived,
    duplicates,
    cpuPercent: wall > 0 ? ((cpu.user + cpu.system) / 1000 / wall) * 100 : Number.NaN,
    firstError,
  };
}

async function latency(m: Extract<ToLoadgen, { type: 'latency' }>): Promise<LatencyReply> {
  const samples: number[] = [];
  const publishMs: number[] = [];
  latencySink = samples;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const total = Math.floor((m.ratePerSec * m.durationMs) / 1000);
  let sent = 0;
  let inFlight = 0;
  let published = 0;
  let errors = 0;
  let skipped = 0;
  let firstError: string | undefined;
  const fire = (d: StormDesktop) => {
    inFlight++;
    const t = performance.now();
    nodeFor(d, m.shift)
      .publish(d.agentId, 'BenchLatency', { t })
      .then(
        () => {
          published++;
          publishMs.push(performance.now() - t);
        },
        (err: unknown) => {
          errors++;
          firstError ??= errText(err);
        },
      )
      .finally(() => inFlight--);
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * m.ratePerSec) / 1000));
      for (; sent < due; sent++) {
        // A fixed schedule: a send that finds maxInFlight calls unanswered is skipped, not queued, so a slow
        // server cannot turn the offered load into a backlog that inflates every later sample.
        if (inFlight >= m.maxInFlight) skipped++;
        else fire(desktops[sent % desktops.length]);
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const until = performance.now() + 5000;
  while ((inFlight > 0 || samples.length < published) && performance.now() < until) await sleep(20);
  latencySink = undefined;
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    type: 'latency',
    samples,
    publishMs,
    published,
    errors,
    skipped,
    lost: Math.max(0, published - samples.length),
    cpuPercent: wall > 0 ? ((cpu.user + cpu.system) / 1000 / wall) * 100 : Number.NaN,
    firstError,
  };
}

async function handle(m: ToLoadgen): Promise<FromLoadgen> {
  switch (m.type) {
    case 'connect':
      return connect(m);
    case 'publish':
      return publish(m);
    case 'drop':
      for (const d of desktops) d.drop();
      return { type: 'dropped', dropped: desktops.length };
    case 'resume':
      return resume(m);
    case 'latency':
      return latency(m);
    case 'close':
      if (beatTimer) clearInterval(beatTimer);
      for (const d of desktops) d.drop();
      for (const c of clients) c.close();
      setTimeout(() => process.exit(0), 200).unref();
      return { type: 'closed' };
  }
}

process.on('message', (raw: unknown) => {
  void handle(raw as ToLoadgen).then(
    (r) => process.send?.(r),
    (err: unknown) => process.send?.({ type: 'error', message: errText(err) } satisfies FromLoadgen),
  );
});
process.on('disconnect', () => process.exit(0));
