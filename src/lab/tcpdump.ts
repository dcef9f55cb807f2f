// A packet capture during a lab run, the way a support engineer would take one (seed step 6):
// `tcpdump -i IF --immediate-mode -U -w FILE FILTER`, started before the fault and stopped (SIGINT, wait for exit) after it.
// Optionally inside a network namespace (`ip netns exec NS tcpdump …`).
import { type ChildProcess, spawn } from 'node:child_process';
import { LifelineError } from '../errors.ts';

export interface CaptureOptions {
  file: string;
  iface: string;
  filter: string;
  /** Run inside this network namespace. */
  netns?: string;
  /** Bounded wait for tcpdump to say "listening on" (ms). */
  startTimeoutMs?: number;
}

export interface RunningCapture {
  file: string;
  stop(): Promise<void>;
}

export async function startCapture(opts: CaptureOptions): Promise<RunningCapture> {
  // --immediate-mode: packets reach tcpdump as they arrive. Without it the kernel hands them over in blocks (or
  // after a timeout), and the last block can be lost at SIGINT — a capture ending a second early.
  const args = ['-i', opts.iface, '--immediate-mode', '-U', '-n', '-s', '0', '-w', opts.file, opts.filter];
  const [cmd, argv] = opts.netns ? ['ip', ['netns', 'exec', opts.netns, 'tcpdump', ...args]] : ['tcpdump', args];
  let child: ChildProcess;
  try {
    child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    throw new LifelineError('LAB_TCPDUMP_FAILED', `cannot start tcpdump: ${(err as Error).message}`, 'internal');
  }
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new LifelineError('LAB_TCPDUMP_FAILED', `tcpdump did not start: ${stderr.trim()}`, 'internal'));
    }, opts.startTimeoutMs ?? 10_000);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === 'ENOENT'
          ? new LifelineError('LAB_TOOL_MISSING', 'tcpdump is missing: apt-get install tcpdump', 'missing-tool')
          : err,
      );
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new LifelineError('LAB_TCPDUMP_FAILED', `tcpdump exited (${code}): ${stderr.trim()}`, 'internal'));
    });
  });
  return {
    file: opts.file,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
