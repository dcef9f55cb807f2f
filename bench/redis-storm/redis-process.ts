// A private redis-server for the benchmark (127.0.0.1, a free port, no persistence), and a sampler of its command
// counter. The bench starts and stops it; a missing binary fails naming the Debian package.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export interface BenchRedis {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<BenchRedis> {
  const v = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) throw new Error('redis-server is missing: install the Debian package "redis-server"');
  for (let tries = 0; tries < 5; tries++) {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxclients', '1000'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      const timer = setTimeout(() => resolve(false), 10_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    child.stdout?.resume();
    child.stderr?.resume();
    if (!ready || child.pid === undefined) {
      child.kill('SIGKILL');
      continue; // the port was taken between the probe and the bind
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      pid: child.pid,
      child,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const t = setTimeout(() => child.kill('SIGKILL'), 3000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    };
  }
  throw new Error('could not start redis-server on a free port');
}

export interface OpsSample {
  /** orchestrator performance.now() */
  at: number;
  totalCommands: number;
}

/** Parses `INFO` text into key → value. */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** `INFO commandstats` → command → calls. */
export function commandCalls(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of parseInfo(text)) {
    if (!k.startsWith('cmdstat_')) continue;
    const calls = /(?:^|,)calls=(\d+)/.exec(v);
    if (calls) out.set(k.slice('cmdstat_'.length), Number(calls[1]));
  }
  return out;
}

/** Samples total_commands_processed every `everyMs` on its own connection (its INFO calls are counted too). */
export class OpsSampler {
  readonly samples: OpsSample[] = [];
  private readonly redis: Redis;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(url: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: false });
  }

  async sample(): Promise<OpsSample> {
    const info = parseInfo(await this.redis.info('stats'));
    const s = { at: performance.now(), totalCommands: Number(info.get('total_commands_processed') ?? Number.NaN) };
    this.samples.push(s);
    return s;
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.sample()
        .catch(() => {})
        .finally(() => {
          this.busy = false;
        });
    }, everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async commandStats(): Promise<Map<string, number>> {
    return commandCalls(await this.redis.info('commandstats'));
  }

  async flushAll(): Promise<void> {
    await this.redis.flushall();
  }

  async close(): Promise<void> {
    this.stop();
    this.redis.disconnect();
  }
}

/** ops/s between consecutive samples inside [from, to] (orchestrator clock): peak and mean. */
export function opsRate(samples: OpsSample[], from: number, to: number): { peak: number; mean: number; total: number } {
  const inside = samples.filter((s) => s.at >= from && s.at <= to);
  let peak = 0;
  for (let i = 1; i < inside.length; i++) {
    const dt = (inside[i].at - inside[i - 1].at) / 1000;
    if (dt > 0) peak = Math.max(peak, (inside[i].totalCommands - inside[i - 1].totalCommands) / dt);
  }
  if (inside.length < 2) return { peak: Number.NaN, mean: Number.NaN, total: Number.NaN };
  const first = inside[0];
  const last = inside[inside.length - 1];
  const total = last.totalCommands - first.totalCommands;
  return { peak, mean: total / ((last.at - first.at) / 1000), total };
}
