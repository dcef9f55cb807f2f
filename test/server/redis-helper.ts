// Start a private redis-server for a test (loopback, random free port); fails naming the Debian package.
// Fault tests also SIGKILL it and start it again on the same port and data directory, with or without persistence
// (AOF with fsync on every write: an acknowledged write survives a kill; 'rdb': only what the last snapshot()
// holds survives, i.e. a restart goes back in time; 'none': a restart loses everything).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type RedisPersistence = 'none' | 'aof' | 'rdb';

/** Every redis-server this module started, killed if the test process exits without stopping it (a failed test). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

export interface StartRedisOptions {
  /**
   * 'none' (default): nothing is written to disk. 'aof': append-only file, fsync on every write. 'rdb': a snapshot
   * only when snapshot() asks for one (no automatic save points, no save at shutdown).
   */
  persistence?: RedisPersistence;
  /** Data directory (default: a temp directory created here and removed by stop()). */
  dir?: string;
  /** More redis-server arguments (e.g. ['--stream-node-max-entries', '10']), on every start. */
  args?: string[];
}

export interface TestRedis {
  url: string;
  port: number;
  persistence: RedisPersistence;
  /** The data directory Redis runs in. */
  dir: string;
  /** Graceful stop (SIGTERM); removes the data directory if this helper created it. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown save, no goodbye to clients. Resolves once the process is gone. */
  kill(): Promise<void>;
  /** Start again on the same port with the same data directory and options (after kill() or stop()). */
  restart(): Promise<void>;
  /** True while the current process is running. */
  running(): boolean;
  /** SAVE: write a snapshot now (what an 'rdb' Redis comes back with after kill()). */
  snapshot(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function redisArgs(port: number, persistence: RedisPersistence, dir: string, extra: string[] = []): string[] {
  const base = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--protected-mode',
    'yes',
    '--dir',
    dir,
    '--save',
    '',
    ...extra,
  ];
  if (persistence === 'aof') return [...base, '--appendonly', 'yes', '--appendfsync', 'always'];
  return [...base, '--appendonly', 'no', '--dbfilename', 'dump.rdb'];
}

/** Spawn redis-server and wait (bounded) for "Ready to accept connections"; undefined if it exited or timed out. */
async function launch(args: string[], timeoutMs = 10000): Promise<ChildProcess | undefined> {
  const p: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(p);
  p.once('exit', () => running.delete(p));
  const ready = await new Promise<boolean>((resolve) => {
    let out = '';
    const t = setTimeout(() => resolve(false), timeoutMs);
    p.stdout!.on('data', (d) => {
      if (out.length < 64 * 1024) out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        resolve(true);
      }
    });
    p.stderr!.resume();
    p.once('exit', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
  if (ready) {
    p.stdout!.resume(); // keep draining, or a chatty Redis would block on a full pipe
    return p;
  }
  await signalAndWait(p, 'SIGKILL');
  return undefined;
}

function signalAndWait(p: ChildProcess, sig: NodeJS.Signals, timeoutMs = 10000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    const t = setTimeout(() => reject(new Error(`redis-server (pid ${p.pid}) did not exit after ${sig}`)), timeoutMs);
    p.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    p.kill(sig);
  });
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<TestRedis> {
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  assert.ok(!which.error && which.status === 0, 'redis-server is missing: install the Debian package "redis-server"');
  const persistence = opts.persistence ?? 'none';
  const ownDir = !opts.dir;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'lifeline-redis-'));
  for (let tries = 0; tries < 5; tries++) {
    const port = await freePort();
    let proc = await launch(redisArgs(port, persistence, dir, opts.args));
    if (!proc) continue; // port taken between probe and bind: try another
    const cleanup = () => {
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    };
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      persistence,
      dir,
      running: () => !!proc && proc.exitCode === null && proc.signalCode === null,
      snapshot: async () => {
        const { Redis } = await import('ioredis');
        const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
        try {
          await c.connect();
          assert.equal(await c.save(), 'OK');
        } finally {
          c.disconnect();
        }
      },
      stop: async () => {
        if (proc) await signalAndWait(proc, 'SIGTERM');
        proc = undefined;
        cleanup();
      },
      kill: async () => {
        if (proc) await signalAndWait(proc, 'SIGKILL');
      },
      restart: async () => {
        if (proc) await signalAndWait(proc, 'SIGKILL');
        // The port was ours a moment ago; another process grabbing it in between is possible but rare: retry briefly.
        for (let i = 0; i < 5; i++) {
          proc = await launch(redisArgs(port, persistence, dir, opts.args));
          if (proc) return;
          await new Promise((r) => setTimeout(r, 100 * (i + 1)));
        }
        throw new Error(`redis-server did not restart on port ${port}`);
      },
    };
  }
  if (ownDir) rmSync(dir, { recursive: true, force: true });
  throw new Error('could not start redis-server on a free port');
}
