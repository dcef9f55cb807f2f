// Start a private redis-server for a test (loopback, random free port, no persistence); fails naming the package.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export interface TestRedis {
  url: string;
  stop(): Promise<void>;
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

export async function startRedis(): Promise<TestRedis> {
  const which = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  assert.ok(!which.error && which.status === 0, 'redis-server is missing: install the Debian package "redis-server"');
  for (let tries = 0; tries < 5; tries++) {
    const port = await freePort();
    const p: ChildProcess = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const ready = await new Promise<boolean>((resolve) => {
      let out = '';
      const t = setTimeout(() => resolve(false), 10000);
      p.stdout!.on('data', (d) => {
        out += d;
        if (/Ready to accept connections/.test(out)) {
          clearTimeout(t);
          resolve(true);
        }
      });
      p.once('exit', () => {
        clearTimeout(t);
        resolve(false);
      });
    });
    if (!ready) {
      p.kill('SIGKILL');
      continue; // port taken between probe and bind: try another
    }
    return {
      url: `redis://127.0.0.1:${port}`,
      stop: () =>
        new Promise<void>((resolve) => {
          if (p.exitCode !== null) return resolve();
          p.once('exit', () => resolve());
          p.kill('SIGTERM');
        }),
    };
  }
  throw new Error('could not start redis-server on a free port');
}
