// Fault-test harness for Notifs scale-out on one Redis: real `lifeline serve` processes (SIGKILL, restart), a TCP
// balancer in front of them, a publisher that records only what Notifs acknowledged, desktops that record what their
// application saw, and the checker that compares the two: every acknowledged notification reaches each desktop of
// its agent exactly once and in order, or the desktop was told it is missing. Nothing silent.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { DesktopClient } from '../../src/desktop/desktop-client.ts';
import type { Missing, ResumeResult, StreamPosition } from '../../src/protocol/stream-position.ts';
import { TcpBalancer } from './tcp-balancer.ts';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;

/** Every child this module started, killed if the test process exits without tearing down (a crash, Ctrl-C). */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

export const NODE_TIMERS = { keepaliveMs: 200, silenceMs: 1600, sweepMs: 20 };

// ---------------------------------------------------------------------------------------------------------------
// Notifs nodes

export class NotifsNode {
  private proc: ChildProcess | undefined;
  private readonly stderrTail: string[] = [];
  url = '';
  port = 0;
  /** How many times this node was started. */
  starts = 0;

  constructor(
    readonly id: string,
    private readonly redisUrl: string,
    /** More `lifeline serve` arguments (e.g. ['--backlog', '20']). */
    private readonly extraArgs: string[] = [],
  ) {}

  get alive(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Last lines the node logged (warn and above), for failure messages. */
  logs(): string[] {
    return [...this.stderrTail];
  }

  async start(timeoutMs = 30000): Promise<void> {
    if (this.alive) throw new Error(`node ${this.id} is already running`);
    const args = [
      bin,
      'serve',
      '--port',
      '0',
      '--dev',
      '--store',
      this.redisUrl,
      '--node-id',
      this.id,
      '--keepalive-ms',
      String(NODE_TIMERS.keepaliveMs),
      '--silence-ms',
      String(NODE_TIMERS.silenceMs),
      '--sweep-ms',
      String(NODE_TIMERS.sweepMs),
      '--log-level',
      'warn',
      ...this.extraArgs,
    ];
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    children.add(p);
    p.once('exit', () => children.delete(p));
    createInterface({ input: p.stderr! }).on('line', (l) => {
      this.stderrTail.push(`${this.id}#${this.starts}: ${l}`);
      if (this.stderrTail.length > 200) this.stderrTail.shift();
    });
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => {
        reject(new Error(`node ${this.id}: no listening line within ${timeoutMs} ms\n${this.logs().join('\n')}`));
      }, timeoutMs);
      const rl = createInterface({ input: p.stdout! });
      rl.once('line', (l) => {
        clearTimeout(t);
        resolve(l);
      });
      p.once('exit', (code, sig) => {
        clearTimeout(t);
        reject(new Error(`node ${this.id} exited (${code ?? sig}) before listening\n${this.logs().join('\n')}`));
      });
    });
    const ready = JSON.parse(line) as { event?: string; url?: string };
    if (ready.event !== 'listening' || typeof ready.url !== 'string') {
      throw new Error(`node ${this.id}: unexpected first line ${line}`);
    }
    this.url = ready.url;
    this.port = Number(new URL(ready.url).port);
    this.starts++;
  }

  /** SIGKILL: no close frames, no cleanup; resolves once the process is gone. */
  async kill(timeoutMs = 10000): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`node ${this.id} did not die after SIGKILL`)), timeoutMs);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGKILL');
    });
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }
}

export class Cluster {
  private constructor(
    readonly nodes: NotifsNode[],
    readonly balancer: TcpBalancer,
  ) {}

  /** Start `count` nodes on one Redis (in parallel) and a balancer in front of them. */
  static async start(redisUrl: string, count = 3, prefix = 'n', extraArgs: string[] = []): Promise<Cluster> {
    const nodes = Array.from({ length: count }, (_, i) => new NotifsNode(`${prefix}${i + 1}`, redisUrl, extraArgs));
    const balancer = await TcpBalancer.start();
    const cluster = new Cluster(nodes, balancer);
    try {
      await Promise.all(nodes.map((n) => n.start()));
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    cluster.syncBalancer();
    return cluster;
  }

  /** What desktops use: the balancer. */
  get url(): string {
    return this.balancer.url;
  }

  liveNodes(): NotifsNode[] {
    return this.nodes.filter((n) => n.alive);
  }

  /** Point the balancer at the live nodes (what a health check would do). */
  syncBalancer(): void {
    this.balancer.setTargets(this.liveNodes().map((n) => n.port));
  }

  async kill(node: NotifsNode): Promise<void> {
    await node.kill();
    this.syncBalancer();
  }

  async restart(node: NotifsNode): Promise<void> {
    await node.restart();
    this.syncBalancer();
  }

  logs(): string {
    return this.nodes.flatMap((n) => n.logs()).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    await this.balancer.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Publisher

export interface Ack {
  agentId: string;
  n: number;
  epoch: string;
  seq: number;
  node: string;
  /** performance.now() when the request was sent / when the answer arrived. */
  sentAt: number;
  ackedAt: number;
}

export interface PublisherOptions {
  agents: string[];
  /** Base URLs to publish to, asked before each publish (a random one is used; dead ones fail). */
  targets: () => { id: string; url: string }[];
  /** Pause between publishes of one worker. */
  intervalMs?: number;
  /** Concurrent publish loops. */
  workers?: number;
  /** Upper bound on publishes (all workers). */
  max?: number;
  timeoutMs?: number;
  adminToken?: string;
}

/** Publishes {n} notifications continuously; a publish counts as acknowledged only on a 200 with a position. */
export class Publisher {
  /** Every n ever attempted → its agent (acknowledged or not: an unacknowledged one may still have been stored). */
  readonly attempts = new Map<number, string>();
  readonly acked: Ack[] = [];
  failures = 0;
  lastError = '';
  private counter = 0;
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly o: Required<Omit<PublisherOptions, 'adminToken'>> & { adminToken: string };

  constructor(opts: PublisherOptions) {
    this.o = {
      intervalMs: 10,
      workers: 2,
      max: 5000,
      timeoutMs: 3000,
      adminToken: 'admin',
      ...opts,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = Array.from({ length: this.o.workers }, () => this.loop());
  }

  /** Stop publishing; resolves when every in-flight publish has been answered or has failed. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  get attempted(): number {
    return this.counter;
  }

  /** Acknowledged publishes that were sent after `t` (performance.now()). */
  ackedSince(t: number): number {
    let k = 0;
    for (const a of this.acked) if (a.sentAt >= t) k++;
    return k;
  }

  /** The position each agent must reach: the highest acknowledged seq in the epoch acknowledged last. */
  finalPositions(): Map<string, StreamPosition> {
    const lastEpoch = new Map<string, { epoch: string; at: number }>();
    for (const a of this.acked) {
      const cur = lastEpoch.get(a.agentId);
      if (!cur || a.ackedAt >= cur.at) lastEpoch.set(a.agentId, { epoch: a.epoch, at: a.ackedAt });
    }
    const out = new Map<string, StreamPosition>();
    for (const a of this.acked) {
      if (a.epoch !== lastEpoch.get(a.agentId)?.epoch) continue;
      const cur = out.get(a.agentId);
      if (!cur || a.seq > cur.seq) out.set(a.agentId, { epoch: a.epoch, seq: a.seq });
    }
    return out;
  }

  private async loop(): Promise<void> {
    while (this.running && this.counter < this.o.max) {
      const n = ++this.counter;
      const agentId = this.o.agents[Math.floor(Math.random() * this.o.agents.length)];
      const targets = this.o.targets();
      const node = targets[Math.floor(Math.random() * targets.length)];
      this.attempts.set(n, agentId);
      const sentAt = performance.now();
      try {
        const res = await fetch(`${node.url}/v1/notification/publish`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.o.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ agentId, type: 'N', data: { n } }),
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`HTTP ${res.status} ${text.slice(0, 120)}`);
        const body = JSON.parse(text) as { agentId?: unknown; epoch?: unknown; seq?: unknown };
        if (body.agentId !== agentId || typeof body.epoch !== 'string' || !Number.isSafeInteger(body.seq)) {
          throw new Error(`bad publish answer ${text.slice(0, 120)}`);
        }
        this.acked.push({
          agentId,
          n,
          epoch: body.epoch,
          seq: body.seq as number,
          node: node.id,
          sentAt,
          ackedAt: performance.now(),
        });
      } catch (err) {
        this.failures++;
        const e = err as Error & { cause?: { code?: string } };
        this.lastError = `${node.id}: ${e.cause?.code ?? e.message}`;
      }
      // Pacing only (keeps a 2-core machine usable); correctness never depends on it.
      await new Promise((r) => setTimeout(r, this.o.intervalMs));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Desktops

export interface Delivery {
  n: unknown;
  type: string;
  position?: StreamPosition;
}

export interface DesktopRecord {
  name: string;
  agentId: string;
  client: DesktopClient;
  /** Position and time (performance.now()) of the first Welcome. */
  firstWelcome?: StreamPosition;
  firstWelcomeAt?: number;
  deliveries: Delivery[];
  resumes: ResumeResult[];
  /** For each resume, how many notifications had been delivered before it (where its replay starts). */
  resumeAt: number[];
  /** Gaps the desktop detected itself (also "told": the application got a gap event). */
  gaps: Missing[];
  /** Welcomes received (connected transitions). */
  welcomes: number;
  /** Failed connect attempts (subscribe refused or failed, socket closed before the Welcome), with the reason. */
  connectErrors: string[];
  closes: string[];
}

export const DESKTOP_TIMERS = {
  keepaliveMs: 200,
  silenceMs: 1600,
  recoveryMs: 60000,
  connectTimeoutMs: 1500,
  backoff: { baseMs: 50, capMs: 500 },
};

/**
 * A DesktopClient on `serverUrl` whose application records everything it is handed. Not started. `name` is also its
 * clientId; several desktops of one agent need `allowMultiLogin` (or they would log each other out).
 */
export function recordedDesktop(
  serverUrl: string,
  agentId: string,
  name = agentId,
  opts: { allowMultiLogin?: boolean; timers?: Partial<typeof DESKTOP_TIMERS> } = {},
): DesktopRecord {
  const client = new DesktopClient({
    serverUrl,
    agentId,
    token: agentId,
    clientId: name,
    ...DESKTOP_TIMERS,
    ...opts.timers,
    ...(opts.allowMultiLogin ? { allowMultiLogin: true } : {}),
  });
  const rec: DesktopRecord = {
    name,
    agentId,
    client,
    deliveries: [],
    resumes: [],
    resumeAt: [],
    gaps: [],
    welcomes: 0,
    closes: [],
    connectErrors: [],
  };
  client.on('error', (e) => {
    if (e.message.startsWith('connect') && rec.connectErrors.length < 1000) rec.connectErrors.push(e.message);
  });
  client.on('notification', (e) => {
    const d: Delivery = { n: (e.data as { n?: unknown } | null)?.n, type: e.type };
    if (e.position) d.position = { ...e.position };
    rec.deliveries.push(d);
  });
  client.on('resume', (r) => {
    rec.resumes.push(r);
    rec.resumeAt.push(rec.deliveries.length);
  });
  client.on('gap', (g) => rec.gaps.push(g));
  client.on('state', (s) => {
    if (s.to === 'connected') {
      rec.welcomes++;
      if (!rec.firstWelcome && client.position) {
        rec.firstWelcome = { ...client.position };
        rec.firstWelcomeAt = performance.now();
      }
    }
    if (s.to === 'closed' || s.to === 'lost') rec.closes.push(`${s.to}: ${s.reason}`);
  });
  return rec;
}

// ---------------------------------------------------------------------------------------------------------------
// The checker (pure)

export interface CheckedDesktop {
  name: string;
  agentId: string;
  firstWelcome?: StreamPosition;
  firstWelcomeAt?: number;
  deliveries: Delivery[];
  /** Every missing range the application was told about: resume results' `missing` and gap events. */
  reported: Missing[];
}

export function toChecked(d: DesktopRecord): CheckedDesktop {
  const c: CheckedDesktop = {
    name: d.name,
    agentId: d.agentId,
    deliveries: d.deliveries,
    reported: [...d.resumes.flatMap((r) => r.missing ?? []), ...d.gaps],
  };
  if (d.firstWelcome) c.firstWelcome = d.firstWelcome;
  if (d.firstWelcomeAt !== undefined) c.firstWelcomeAt = d.firstWelcomeAt;
  return c;
}

const fmt = (p: StreamPosition | undefined) => (p ? `${p.epoch}:${p.seq}` : '-');

function covers(m: Missing, p: StreamPosition): boolean {
  return m.epoch === p.epoch && p.seq >= m.fromSeq && (m.toSeq === undefined || p.seq <= m.toSeq);
}

/**
 * Violations (empty = correct) for one desktop:
 * - every delivery carries a position and the `n` of a publish to this desktop's agent;
 * - no `n` is delivered twice; positions strictly increase within an epoch and an epoch once left never returns;
 * - an acknowledged `n` is delivered at the position Notifs acknowledged;
 * - every acknowledged publish of the agent made after the desktop's first Welcome (sent after it, or positioned
 *   after it) is delivered, or lies in a missing range the desktop was told about.
 * Unacknowledged publishes may be delivered (at most once: the duplicate rule) or not.
 */
export function checkDesktop(
  d: CheckedDesktop,
  attempts: ReadonlyMap<number, string>,
  acked: readonly Ack[],
): string[] {
  const v: string[] = [];
  const where = `desktop ${d.name} (agent ${d.agentId})`;
  if (!d.firstWelcome) return [`${where}: never received a Welcome`];
  const ackByN = new Map<number, Ack>();
  for (const a of acked) ackByN.set(a.n, a);
  const deliveredN = new Map<number, StreamPosition | undefined>();
  const leftEpochs = new Set<string>();
  let last: StreamPosition | undefined;
  d.deliveries.forEach((del, i) => {
    const at = `${where}, delivery #${i} (n=${String(del.n)} at ${fmt(del.position)})`;
    if (!del.position) v.push(`${at}: no stream position`);
    if (typeof del.n !== 'number' || attempts.get(del.n) !== d.agentId) {
      v.push(`${at}: not a notification published to ${d.agentId}`);
    } else {
      if (deliveredN.has(del.n)) v.push(`${at}: delivered twice (first at ${fmt(deliveredN.get(del.n))})`);
      deliveredN.set(del.n, del.position);
      const a = ackByN.get(del.n);
      if (a && del.position && (a.epoch !== del.position.epoch || a.seq !== del.position.seq)) {
        v.push(`${at}: acknowledged at ${a.epoch}:${a.seq}, delivered at another position`);
      }
    }
    const p = del.position;
    if (p && last) {
      if (p.epoch === last.epoch && p.seq <= last.seq) v.push(`${at}: out of order after ${fmt(last)}`);
      if (p.epoch !== last.epoch) {
        leftEpochs.add(last.epoch);
        if (leftEpochs.has(p.epoch)) v.push(`${at}: back to epoch ${p.epoch} after leaving it`);
      }
    }
    if (p) last = p;
  });
  const fw = d.firstWelcome;
  for (const a of acked) {
    if (a.agentId !== d.agentId || deliveredN.has(a.n)) continue;
    const after =
      (d.firstWelcomeAt !== undefined && a.sentAt > d.firstWelcomeAt) || (a.epoch === fw.epoch && a.seq > fw.seq);
    if (!after) continue;
    const pos = { epoch: a.epoch, seq: a.seq };
    if (!d.reported.some((m) => covers(m, pos))) {
      v.push(
        `${where}: acknowledged n=${a.n} at ${fmt(pos)} (via ${a.node}) never delivered and never reported missing`,
      );
    }
  }
  return v;
}

/** All desktops' violations, each line prefixed; capped so a failure message stays readable. */
export function checkAll(
  desktops: CheckedDesktop[],
  attempts: ReadonlyMap<number, string>,
  acked: readonly Ack[],
  cap = 40,
): string[] {
  const all = desktops.flatMap((d) => checkDesktop(d, attempts, acked));
  return all.length > cap ? [...all.slice(0, cap), `… and ${all.length - cap} more`] : all;
}
