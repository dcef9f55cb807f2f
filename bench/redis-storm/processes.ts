// Every process the storm benchmark starts (Redis, Notifs nodes, load generators) is registered here, so that
// all of them are killed when the run ends, fails, times out or is interrupted.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { resolve } from 'node:path';
import { type RunningServer, startServer, stopServer } from '../connection/server-process.ts';
import { IpcChild } from '../ipc-child.ts';
import type { FromLoadgen, ToLoadgen } from './ipc.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
const children = new Set<ChildProcess>();
let niceness = 0;

let autogroupBefore: string | undefined;

/**
 * Scheduling priority for every process started from now on (and this one); negative needs root. With the kernel's
 * autogroup scheduling (sched_autogroup_enabled = 1) a nice value only ranks processes inside their session's
 * group, and groups share the CPUs fairly: the benchmark's processes would still get one group's share on a machine
 * shared with other sessions. So the session's autogroup gets the same nice value, restored at exit.
 */
export function setNiceness(n: number): void {
  niceness = n;
  if (n === 0) return;
  setPriority(0, n);
  try {
    const now = readFileSync('/proc/self/autogroup', 'utf8');
    const m = /nice (-?\d+)/.exec(now);
    writeFileSync('/proc/self/autogroup', String(n));
    autogroupBefore = m ? m[1] : '0';
  } catch {
    // no autogroup scheduling (or not allowed): the per-process nice is all there is
  }
}

function restoreAutogroup(): void {
  if (autogroupBefore === undefined) return;
  try {
    writeFileSync('/proc/self/autogroup', autogroupBefore);
  } catch {
    // best effort
  }
  autogroupBefore = undefined;
}

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  if (niceness !== 0 && child.pid !== undefined) setPriority(child.pid, niceness);
  child.once('exit', () => children.delete(child));
  return child;
}

/** SIGKILL whatever is still running (synchronous: usable from an 'exit' handler). */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  restoreAutogroup();
}

let installed = false;
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

export interface NotifsNode {
  id: string;
  server: RunningServer;
}

/** `lifeline serve` nodes on free ports. The first one alone: a cold start builds the CLI bundle once. */
export async function startNodes(count: number, store: string, prefix = 'n'): Promise<NotifsNode[]> {
  const argv = (id: string) => [
    process.execPath,
    resolve(repoRoot, 'bin/lifeline.js'),
    'serve',
    '--port',
    '0',
    '--dev',
    '--store',
    store,
    '--node-id',
    id,
    '--log-level',
    'warn',
  ];
  const start = async (id: string): Promise<NotifsNode> => {
    const server = await startServer(argv(id), { cwd: repoRoot, timeoutMs: 120_000 });
    track(server.child);
    return { id, server };
  };
  const nodes = [await start(`${prefix}1`)];
  nodes.push(...(await Promise.all(Array.from({ length: count - 1 }, (_, i) => start(`${prefix}${i + 2}`)))));
  return nodes;
}

export async function stopNodes(nodes: NotifsNode[]): Promise<void> {
  await Promise.all(nodes.map((n) => stopServer(n.server)));
}

export class Loadgen extends IpcChild<ToLoadgen, FromLoadgen> {
  constructor() {
    super(
      track(
        fork(resolve(import.meta.dirname, 'loadgen.ts'), [], {
          execArgv: ['--import', 'tsx'],
          cwd: repoRoot,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      ),
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  async close(): Promise<void> {
    try {
      await this.request({ type: 'close' }, 'closed', 10_000);
    } catch {
      // killed below
    }
    this.kill();
  }
}
