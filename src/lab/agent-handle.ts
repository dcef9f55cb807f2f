// Parent side of a lab agent: a child process (optionally inside a network namespace) that runs one role —
// the Notifs server or a Node desktop — and takes commands as JSON lines on stdin, answering and reporting events
// as JSON lines on stdout. A separate process is what lets the lab SIGSTOP a "sleeping PC" and place hosts in
// namespaces.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { AgentCommand, AgentEvent } from './agent-protocol.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AGENT_ENTRY = fileURLToPath(new URL('./agent.ts', import.meta.url));

export class AgentHandle {
  readonly events: AgentEvent[] = [];
  private readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  private nextId = 1;
  private stderr = '';
  private exitInfo: { code: number | null; signal: string | null } | undefined;
  readonly exited: Promise<void>;

  constructor(
    readonly role: 'notifs' | 'foreign-notifs' | 'desktop',
    config: unknown,
    opts: { netnsExec?: string[]; log?: (line: string) => void } = {},
  ) {
    const argv = [process.execPath, '--import', 'tsx', AGENT_ENTRY, role, JSON.stringify(config)];
    const [cmd, ...args] = [...(opts.netnsExec ?? []), ...argv];
    this.child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin?.on('error', () => {});
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let ev: AgentEvent;
      try {
        ev = JSON.parse(line) as AgentEvent;
      } catch {
        opts.log?.(`${role}: ${line}`);
        return;
      }
      this.events.push(ev);
      if (ev.ev === 'log') opts.log?.(`${role}: ${ev.msg}`);
      for (const w of [...this.waiters]) w();
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        for (const w of [...this.waiters]) w();
        resolve();
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stderrTail(): string {
    return this.stderr;
  }

  /** Waits until an event matching `pred` arrives (or has arrived after index `from`); fails after `ms`. */
  async waitFor(what: string, pred: (e: AgentEvent) => boolean, ms: number, from = 0): Promise<AgentEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.events.length; i++) {
          if (pred(this.events[i])) {
            done();
            resolve(this.events[i]);
            return;
          }
        }
        if (this.exitInfo) {
          done();
          reject(
            new Error(
              `${this.role} agent exited (${this.exitInfo.code ?? this.exitInfo.signal}) while waiting for ${what}: ${this.stderr.slice(-2000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.role}: timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a command and waits for its reply. */
  async call(cmd: AgentCommand['cmd'], args: Record<string, unknown> = {}, ms = 10_000): Promise<unknown> {
    const id = this.nextId++;
    const from = this.events.length;
    this.child.stdin?.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    const reply = await this.waitFor(`reply to ${cmd}`, (e) => e.ev === 'reply' && e.id === id, ms, from);
    if (reply.ev === 'reply' && !reply.ok) throw new Error(`${this.role} ${cmd}: ${reply.error}`);
    return reply.ev === 'reply' ? reply.result : undefined;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.child.pid && !this.exitInfo) process.kill(this.child.pid, sig);
  }

  /** Asks the agent to exit; kills it if it does not within `ms`. */
  async stop(ms = 5000): Promise<void> {
    if (this.exitInfo) return;
    this.child.stdin?.write(`${JSON.stringify({ id: 0, cmd: 'exit' })}\n`);
    const t = setTimeout(() => {
      this.child.kill('SIGCONT');
      this.child.kill('SIGKILL');
    }, ms);
    await this.exited;
    clearTimeout(t);
  }
}
