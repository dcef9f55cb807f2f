// A real browser desktop for the lab: Debian's Chromium (playwright-core, never a downloaded browser) on the
// /desktop/ page that Notifs serves. It records what a support engineer would get from that PC: a HAR with the
// WebSocket messages (built here from CDP Network.webSocket* events, like DevTools' own export), a NetLog
// (--log-net-log, complete once the browser closes cleanly), the TLS key log (SSLKEYLOGFILE) and the page's error
// report (window.lifeline.errorReport()). Browser-side faults: Debugger.pause/resume (a frozen page: the brief's
// lab notes say Page.setWebLifecycleState 'frozen' does not stop timers in headless Chromium), and a really
// hidden page (hide()/show(): another tab in front). Hiding only works on a page Playwright did not set up:
// Playwright's default Emulation.setFocusEmulationEnabled keeps every page it creates 'visible' (measured: with
// it, a background tab stayed visible with 250 ms timers on time; without it, the page turned 'hidden' and its
// main-thread timers fired at 1 s spacing while a Worker's kept 250 ms, in plain --headless). So a `hideable`
// desktop is started by us and attached with connectOverCDP({noDefaults: true}); see docs/lab.md.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHROMIUM_FLAGS, requireChromium } from '../browser/chromium.ts';
import { LifelineError } from '../errors.ts';
import { type CdpSessionLike, HarRecorder } from '../evidence/har-from-cdp.ts';
import type { AgentEvent } from './agent-protocol.ts';

export interface BrowserDesktopOptions {
  pageUrl: string;
  netlogFile?: string;
  keylogFile?: string;
  log?: (line: string) => void;
  /** Bounded wait for the page to load (ms). */
  loadTimeoutMs?: number;
  /** Open the page without Playwright's focus emulation, so that hide() really hides it. */
  hideable?: boolean;
}

type PwBrowser = import('playwright-core').Browser;
type PwPage = import('playwright-core').Page;
type PwCdp = import('playwright-core').CDPSession;

export class BrowserDesktop {
  /** Desktop states and messages seen on the wire (CDP), in the same shape as the Node agent's events. */
  readonly events: AgentEvent[] = [];
  private readonly waiters = new Set<() => void>();
  readonly har = new HarRecorder();
  private paused = false;
  private cover: PwPage | undefined;
  /** The browser process when we started it ourselves (hideable). */
  private proc: { child: ChildProcess; userDataDir: string } | undefined;

  private constructor(
    private readonly browser: PwBrowser,
    readonly page: PwPage,
    private readonly cdp: PwCdp,
  ) {}

  static async launch(opts: BrowserDesktopOptions): Promise<BrowserDesktop> {
    let chromium: typeof import('playwright-core').chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch {
      throw new LifelineError('PLAYWRIGHT_MISSING', 'playwright-core is missing: run npm ci', 'missing-tool');
    }
    const executable = requireChromium();
    const args = [...CHROMIUM_FLAGS];
    if (opts.netlogFile) args.push(`--log-net-log=${opts.netlogFile}`, '--net-log-capture-mode=Everything');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    if (opts.keylogFile) env.SSLKEYLOGFILE = opts.keylogFile;
    let browser: PwBrowser;
    let page: PwPage;
    let proc: BrowserDesktop['proc'];
    if (opts.hideable) {
      const userDataDir = await mkdtemp(path.join(tmpdir(), 'lifeline-chromium-'));
      const child = spawn(executable, [...args, '--remote-debugging-port=0', `--user-data-dir=${userDataDir}`], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      proc = { child, userDataDir };
      try {
        const wsUrl = await devtoolsUrl(child, opts.loadTimeoutMs ?? 15_000);
        // noDefaults: no focus emulation on the default context, so the page can become hidden.
        browser = await chromium.connectOverCDP(wsUrl, { noDefaults: true, isLocal: true });
        const context = browser.contexts()[0];
        if (!context) throw new Error('chromium has no default browser context');
        page = context.pages()[0] ?? (await context.newPage());
      } catch (e) {
        child.kill('SIGKILL');
        await rm(userDataDir, { recursive: true, force: true });
        throw e;
      }
    } else {
      browser = await chromium.launch({ executablePath: executable, args, env, headless: true });
      page = await browser.newPage();
    }
    const cdp = await page.context().newCDPSession(page);
    const bd = new BrowserDesktop(browser, page, cdp);
    bd.proc = proc;
    try {
      await bd.wire(opts.log);
      await page.goto(opts.pageUrl, { timeout: opts.loadTimeoutMs ?? 15_000 });
    } catch (e) {
      // Nobody else holds the browser yet: a page that does not load must not leave it running.
      await bd.close().catch(() => {});
      throw e;
    }
    return bd;
  }

  private push(e: AgentEvent): void {
    this.events.push(e);
    for (const w of [...this.waiters]) w();
  }

  private async wire(log?: (line: string) => void): Promise<void> {
    const cdp = this.cdp;
    await cdp.send('Network.enable');
    this.page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log?.(`page ${m.type()}: ${m.text()}`);
    });
    // The HAR comes from the evidence readers' own recorder; the listeners below only drive the lab's state.
    this.har.listen(cdp as unknown as CdpSessionLike);
    cdp.on('Network.webSocketCreated', () => {
      this.push({ ev: 'state', state: 'connecting', t: Date.now() });
    });
    cdp.on('Network.webSocketFrameSent', (e) => {
      this.push({ ev: 'message', dir: 'sent', cls: classify(e.response.payloadData), t: Date.now() });
    });
    cdp.on('Network.webSocketFrameReceived', (e) => {
      const cls = classify(e.response.payloadData);
      // The desktop counts as connected once Notifs' Welcome arrives.
      if (cls === 'welcome') this.push({ ev: 'state', state: 'connected', t: Date.now() });
      this.push({ ev: 'message', dir: 'received', cls, t: Date.now() });
    });
    cdp.on('Network.webSocketClosed', () => {
      this.push({ ev: 'state', state: 'recovering', t: Date.now() });
    });
  }

  async waitForState(states: string[], ms: number, from = 0): Promise<void> {
    await this.waitFor(`browser state ${states.join('|')}`, ms, () =>
      this.events.slice(from).some((e) => e.ev === 'state' && states.includes(e.state)),
    );
  }

  async waitForMessages(n: number, ms: number, from = this.events.length): Promise<void> {
    await this.waitFor(
      `${n} messages`,
      ms,
      () => this.events.slice(from).filter((e) => e.ev === 'message' && e.dir === 'received').length >= n,
    );
  }

  private waitFor(what: string, ms: number, cond: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (cond()) {
          done();
          resolve();
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`browser: timed out after ${ms} ms waiting for ${what}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Stalls the page's JavaScript (timers, onmessage); frames queue and are delivered at resume. */
  async pauseJs(): Promise<void> {
    await this.cdp.send('Debugger.enable');
    await this.cdp.send('Debugger.pause');
    this.paused = true;
  }

  async resumeJs(): Promise<void> {
    if (!this.paused) return;
    this.paused = false;
    await this.cdp.send('Debugger.resume');
    await this.cdp.send('Debugger.disable');
  }

  async writeErrorReport(file: string): Promise<void> {
    if (this.paused) await this.resumeJs();
    const report = await this.page.evaluate(() => {
      const w = window as unknown as { lifeline?: { errorReport?: () => unknown } };
      return w.lifeline?.errorReport ? JSON.stringify(w.lifeline.errorReport()) : undefined;
    });
    if (!report) throw new Error('the page has no window.lifeline.errorReport()');
    await writeFile(file, report);
  }

  async writeHar(file: string): Promise<void> {
    await writeFile(file, JSON.stringify(this.har.toHar(), null, 1));
  }

  /**
   * Hides the page the way a user does: another tab comes to the front. Chrome then throttles the page's
   * main-thread timers (1 s alignment); dedicated-Worker timers are not throttled. Fails unless the page really
   * reports `document.visibilityState === 'hidden'`.
   */
  async hide(ms = 5000): Promise<void> {
    if (!this.proc) throw new Error('browser: hide() needs a desktop launched with hideable: true');
    this.cover ??= await this.page.context().newPage();
    await this.cover.bringToFront();
    // Polling, not requestAnimationFrame: a hidden page draws no frames.
    await this.page.waitForFunction(() => document.visibilityState === 'hidden', undefined, {
      polling: 100,
      timeout: ms,
    });
  }

  /** Brings the desktop's tab back to the front and waits until the page is visible again. */
  async show(ms = 5000): Promise<void> {
    await this.page.bringToFront();
    await this.page.waitForFunction(() => document.visibilityState === 'visible', undefined, {
      polling: 100,
      timeout: ms,
    });
    await this.cover?.close();
    this.cover = undefined;
  }

  /**
   * Turns the desktop's onmessage keepalive replies on or off, leaving its timer path alone. With replies off the
   * desktop is "timer only" (like Cisco's SDK), so whether it stays alive depends on its timer alone.
   */
  async setReplies(on: boolean): Promise<void> {
    const ok = await this.page.evaluate((replies) => {
      const w = window as unknown as {
        lifeline?: { client?: { pauseKeepalive(paused: boolean, alsoReplies: boolean): void } };
      };
      if (!w.lifeline?.client) return false;
      w.lifeline.client.pauseKeepalive(false, !replies);
      return true;
    }, on);
    if (!ok) throw new Error('the page has no window.lifeline.client');
  }

  /**
   * The user closes the desktop's tab: the page unloads (the browser sends the WebSocket close itself, 1001) while
   * the browser — and its recorders — keep running. Navigating away has the same effect on the page as closing it.
   */
  async closeTab(): Promise<void> {
    await this.page.goto('about:blank');
  }

  /**
   * Stops (SIGSTOP) or continues (SIGCONT) the whole browser — its own process and every descendant (renderers,
   * network service), found by PID in /proc — as when the browser hangs: the PC's kernel still ACKs what arrives.
   * Returns how many processes were signalled.
   */
  signalBrowser(signal: 'SIGSTOP' | 'SIGCONT'): number {
    const root = this.rootPid();
    if (root === undefined) throw new Error('browser: no process id to signal (launch it with hideable: true)');
    const pids = descendants(root);
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // exited meanwhile
      }
    }
    return pids.length;
  }

  /** Known when the lab started the browser itself (hideable); Playwright's launch does not expose it. */
  private rootPid(): number | undefined {
    return this.proc?.child.pid;
  }

  /** Closes the browser cleanly (the NetLog is only complete after a clean close). */
  async close(): Promise<void> {
    await this.resumeJs().catch(() => {});
    const proc = this.proc;
    if (!proc) {
      await this.browser.close();
      return;
    }
    // Attached over CDP: ask the browser itself to quit (a clean exit writes the NetLog's end), then wait for it.
    const exited = new Promise<void>((resolve) => {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) resolve();
      else proc.child.once('exit', () => resolve());
    });
    try {
      const session = await this.browser.newBrowserCDPSession();
      await session.send('Browser.close').catch(() => {});
    } catch {
      // already gone
    }
    const killer = setTimeout(() => proc.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    await this.browser.close().catch(() => {});
    await rm(proc.userDataDir, { recursive: true, force: true });
  }
}

/** A process and all its descendants (by /proc/<pid>/task/<tid>/children), parents first. */
function descendants(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  while (queue.length && out.length < 4096) {
    const pid = queue.shift()!;
    out.push(pid);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/))
          if (c) queue.push(Number(c));
      } catch {
        // the task ended
      }
    }
  }
  return out;
}

/** Reads Chromium's "DevTools listening on ws://…" line from its stderr (bounded). */
function devtoolsUrl(child: ChildProcess, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err?: Error, url?: string) => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining stderr so that Chromium never blocks on a full pipe.
      child.stderr?.resume();
      if (err) reject(err);
      else resolve(url ?? '');
    };
    const onData = (d: Buffer) => {
      buf = (buf + d.toString()).slice(-8192);
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(buf);
      if (m?.[1]) done(undefined, m[1]);
    };
    const onExit = (code: number | null) => done(new Error(`chromium exited (${code}) before DevTools was up: ${buf}`));
    const timer = setTimeout(() => done(new Error(`chromium: no DevTools endpoint after ${ms} ms: ${buf}`)), ms);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

function classify(text: string): string {
  if (text.includes('"keepalive"')) return 'keepalive';
  if (text.includes('"Welcome"')) return 'welcome';
  return 'other';
}

/**
 * Cuts a NetLog at `endWallMs`, as if chrome://net-export had been stopped then (the browser must be closed for
 * --log-net-log to finish the file, and closing it closes the page's sockets: that shutdown is not evidence).
 * Returns the number of events dropped.
 */
export async function truncateNetlog(file: string, endWallMs: number): Promise<number> {
  const log = JSON.parse(await readFile(file, 'utf8')) as {
    constants?: { timeTickOffset?: number | string };
    events?: { time?: string }[];
  };
  const offset = Number(log.constants?.timeTickOffset ?? 0);
  const events = log.events ?? [];
  const kept = events.filter((e) => offset + Number(e.time ?? 0) <= endWallMs);
  log.events = kept;
  await writeFile(file, JSON.stringify(log));
  return events.length - kept.length;
}
