// Kernel-level faults (root only): a desktop host, a router and a Notifs host as network namespaces joined by veth
// pairs, with iptables rules in the router namespace for one-way or two-way silent drops, middlebox resets, and a
// conntrack firewall whose events (`conntrack -E`) become the router's device log (seed step 7).
// Addresses exist only inside these namespaces (docs/decisions.md #6: never touch the host's own rules); names are
// unique per run, and every namespace is deleted in `destroy()` and, as a last resort, in a process exit handler.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { promisify } from 'node:util';
import { LifelineError } from '../errors.ts';

const run = promisify(execFile);

export const DESKTOP_IP = '10.231.1.2';
export const ROUTER_DESKTOP_IP = '10.231.1.1';
export const ROUTER_NOTIFS_IP = '10.231.2.1';
export const NOTIFS_IP = '10.231.2.2';

/** Why kernel-level scenarios cannot run here, or undefined when they can. */
export function netnsUnavailableReason(): string | undefined {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'needs root (network namespaces and iptables); run as root';
  }
  for (const tool of ['ip', 'iptables', 'conntrack']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const pkg = tool === 'ip' ? 'iproute2' : tool;
        return `${tool} is missing: apt-get install ${pkg}`;
      }
    }
  }
  return undefined;
}

const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a run is interrupted: remove every namespace this process created.
  process.once('exit', () => {
    for (const ns of live) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  });
}

export interface Topology {
  id: string;
  desktopNs: string;
  routerNs: string;
  notifsNs: string;
  /** The desktop's interface (where a PC capture is taken). */
  desktopIf: string;
  /** `ip netns exec NS` argv prefix. */
  exec(ns: string): string[];
  /** Adds an iptables rule in the router namespace's FORWARD chain; returns a handle to remove it. */
  addRule(rule: string[]): Promise<() => Promise<void>>;
  /** Sets the router's conntrack established-flow timeout (seconds); returns false if the kernel refused. */
  setConntrackTimeout(seconds: number): Promise<boolean>;
  /** Starts `conntrack -E` in the router namespace writing the device log to `file`. */
  startDeviceLog(file: string): Promise<{ stop(): Promise<void> }>;
  destroy(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (err) {
    throw new LifelineError(
      'LAB_NETNS_FAILED',
      `ip ${args.join(' ')}: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`,
      'internal',
    );
  }
}

/** Creates desktop ⇄ router ⇄ notifs. Throws (after cleaning up what it made) if any step fails. */
export async function createTopology(): Promise<Topology> {
  const why = netnsUnavailableReason();
  if (why) throw new LifelineError('LAB_NETNS_UNAVAILABLE', why, 'missing-tool');
  installExitHook();
  const id = randomBytes(3).toString('hex');
  const desktopNs = `lifeline-${id}-desktop`;
  const routerNs = `lifeline-${id}-router`;
  const notifsNs = `lifeline-${id}-notifs`;
  // veth names are at most 15 characters.
  const dIf = `lld${id}`;
  const raIf = `llra${id}`;
  const nIf = `lln${id}`;
  const rbIf = `llrb${id}`;
  const created: string[] = [];
  const destroy = async () => {
    for (const ns of created.splice(0)) {
      await run('ip', ['netns', 'del', ns]).catch(() => {});
      live.delete(ns);
    }
  };
  try {
    for (const ns of [desktopNs, routerNs, notifsNs]) {
      await ip('netns', 'add', ns);
      created.push(ns);
      live.add(ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await ip('-n', desktopNs, 'link', 'add', dIf, 'type', 'veth', 'peer', 'name', raIf, 'netns', routerNs);
    await ip('-n', notifsNs, 'link', 'add', nIf, 'type', 'veth', 'peer', 'name', rbIf, 'netns', routerNs);
    await ip('-n', desktopNs, 'addr', 'add', `${DESKTOP_IP}/24`, 'dev', dIf);
    await ip('-n', routerNs, 'addr', 'add', `${ROUTER_DESKTOP_IP}/24`, 'dev', raIf);
    await ip('-n', routerNs, 'addr', 'add', `${ROUTER_NOTIFS_IP}/24`, 'dev', rbIf);
    await ip('-n', notifsNs, 'addr', 'add', `${NOTIFS_IP}/24`, 'dev', nIf);
    for (const [ns, dev] of [
      [desktopNs, dIf],
      [routerNs, raIf],
      [routerNs, rbIf],
      [notifsNs, nIf],
    ]) {
      await ip('-n', ns, 'link', 'set', dev, 'up');
    }
    await ip('-n', desktopNs, 'route', 'add', 'default', 'via', ROUTER_DESKTOP_IP);
    await ip('-n', notifsNs, 'route', 'add', 'default', 'via', ROUTER_NOTIFS_IP);
    await run('ip', ['netns', 'exec', routerNs, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // A stateful firewall: conntrack on, packets of unknown (expired) flows dropped. This also makes the kernel
    // track flows in this namespace so `conntrack -E` has events to log.
    await run('ip', [
      'netns',
      'exec',
      routerNs,
      'iptables',
      '-A',
      'FORWARD',
      '-m',
      'conntrack',
      '--ctstate',
      'INVALID',
      '-j',
      'DROP',
    ]);
    await run('ip', [
      'netns',
      'exec',
      routerNs,
      'iptables',
      '-A',
      'FORWARD',
      '-p',
      'tcp',
      '!',
      '--syn',
      '-m',
      'conntrack',
      '--ctstate',
      'NEW',
      '-j',
      'DROP',
    ]);
  } catch (err) {
    await destroy();
    throw err;
  }
  const exec = (ns: string) => ['ip', 'netns', 'exec', ns];
  return {
    id,
    desktopNs,
    routerNs,
    notifsNs,
    desktopIf: dIf,
    exec,
    async addRule(rule) {
      await run('ip', ['netns', 'exec', routerNs, 'iptables', '-I', 'FORWARD', '1', ...rule]);
      return async () => {
        await run('ip', ['netns', 'exec', routerNs, 'iptables', '-D', 'FORWARD', ...rule]).catch(() => {});
      };
    },
    async setConntrackTimeout(seconds) {
      try {
        await run('ip', [
          'netns',
          'exec',
          routerNs,
          'sysctl',
          '-qw',
          `net.netfilter.nf_conntrack_tcp_timeout_established=${Math.max(1, Math.round(seconds))}`,
        ]);
        return true;
      } catch {
        return false;
      }
    },
    async startDeviceLog(file) {
      const out = createWriteStream(file);
      const child: ChildProcess = spawn('ip', ['netns', 'exec', routerNs, 'conntrack', '-E', '-o', 'timestamp'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      child.stdout?.pipe(out);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // conntrack -E subscribes asynchronously; a short bounded settle is not a correctness mechanism here (a
      // missed event only makes the device log shorter), and there is no readiness signal to wait for.
      await new Promise((r) => setTimeout(r, 200));
      return {
        async stop() {
          child.kill('SIGINT');
          const t = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(t);
          await new Promise<void>((resolve) => out.end(() => resolve()));
        },
      };
    },
    destroy,
  };
}
