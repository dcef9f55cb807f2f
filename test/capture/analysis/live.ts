// Test helper: capture real loopback traffic with tcpdump (start, wait for "listening on", run, SIGINT, wait exit).
// --immediate-mode: without it packets sitting in the kernel ring's current block are lost at SIGINT;
// -Z root: tcpdump otherwise drops to its own user and cannot write into the test's private temp dir.
import { type ChildProcess, spawn } from 'node:child_process';
import { decodePacket } from '../../../src/capture/decode/decode-packet.ts';
import { openCapture } from '../../../src/capture/open-capture.ts';
import { newDecodedPacket, TCP_FIN, TCP_RST } from '../../../src/capture/packet.ts';

export interface Tcpdump {
  /** Waits until the file holds the end of every TCP connection (FIN both ways or a RST), then stops tcpdump. */
  stop(opts?: { waitForEnd?: boolean; timeoutMs?: number }): Promise<void>;
}

/** tcpdump writes asynchronously: poll the file until the connection ends are in it (bounded). */
async function waitForEnds(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ends = new Map<string, number>();
    let rst = false;
    try {
      const src = await openCapture(file);
      const pkt = newDecodedPacket();
      for await (const rec of src) {
        decodePacket(rec, pkt);
        if (pkt.l4 !== 6) continue;
        if (pkt.tcp.flags & TCP_RST) rst = true;
        if (pkt.tcp.flags & TCP_FIN) ends.set(`${pkt.srcPort}>${pkt.dstPort}`, 1);
      }
    } catch {
      // not readable yet
    }
    if (rst || ends.size >= 2) return;
    if (Date.now() > deadline) throw new Error(`capture ${file} never showed the connection end`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startTcpdump(
  file: string,
  filter: string,
  timeoutMs = 10_000,
  opts: { snaplen?: number } = {},
): Promise<Tcpdump> {
  let child: ChildProcess;
  // -B 65536: a 64 MiB kernel buffer, so bursts of 64 KiB loopback segments are not dropped on a loaded machine.
  const args = ['-i', 'lo', '--immediate-mode', '-U', '-Z', 'root', '-n', '-B', '65536'];
  args.push('-s', String(opts.snaplen ?? 0), '-w', file, filter);
  try {
    child = spawn('tcpdump', args, {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    throw new Error(`cannot start tcpdump (apt-get install tcpdump): ${(e as Error).message}`);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tcpdump did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(e.code === 'ENOENT' ? 'tcpdump is required: apt-get install tcpdump' : e.message));
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited: ${stderr}`));
    });
  });
  return {
    async stop(opts = {}) {
      if (opts.waitForEnd !== false) await waitForEnds(file, opts.timeoutMs ?? 5000).catch(() => {});
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Resolve when `emitter` emits `event`, or reject after `ms` (bounded waits in integration tests). */
export function waitFor<T = unknown>(
  emitter: { once(ev: string, fn: (...a: unknown[]) => void): unknown },
  event: string,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), ms);
    emitter.once(event, (...a: unknown[]) => {
      clearTimeout(t);
      resolve(a[0] as T);
    });
  });
}
