// A real browser desktop for the lab: Debian's Chromium (playwright-core, never a downloaded browser) on the
// /desktop/ page that Notifs serves. It records what a support engineer would get from that PC: a HAR with the
// WebSocket messages (built here from CDP Network.webSocket* events, like DevTools' own export), a NetLog
// (--log-net-log, complete once the browser closes cleanly), the TLS key log (SSLKEYLOGFILE) and the page's error
// report (window.lifeline.errorReport()). Browser-side fault: Debugger.pause/resume (a frozen page: the brief's
// lab notes say Page.setWebLifecycleState 'frozen' does not stop timers in headless Chromium). Hiding the page
// does not work headless (another tab in front, or a minimized window, still leaves it 'visible' with 250 ms
// timers on time — tried here), so hidden-tab throttling is not reproduced; see docs/lab.md.
import { readFile, writeFile } from 'node:fs/promises';
import type { AgentEvent } from './agent-protocol.ts';
import { HarBuilder } from './har-builder.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserDesktopOptions {
  pageUrl: string;
  netlogFile?: string;
  keylogFile?: string;
  log?: (line: string) => void;
  /** Bounded wait for the page to load (ms). */
  loadTimeoutMs?: number;
}

type PwBrowser = import('playwright-core').Browser;
type PwPage = import('playwright-core').Page;
type PwCdp = import('playwright-core').CDPSession;

export class BrowserDesktop {
  /** Desktop states and messages seen on the wire (CDP), in the same shape as the Node agent's events. */
  readonly events: AgentEvent[] = [];
  private readonly waiters = new Set<() => void>();
  readonly har = new HarBuilder();
  private paused = false;

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
      throw new Error('playwright-core is missing: run npm ci');
    }
    const args = [...CHROMIUM_ARGS];
    if (opts.netlogFile) args.push(`--log-net-log=${opts.netlogFile}`, '--net-log-capture-mode=Everything');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
    if (opts.keylogFile) env.SSLKEYLOGFILE = opts.keylogFile;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args, env, headless: true });
    const page = await browser.newPage();
    const cdp = await page.context().newCDPSession(page);
    const bd = new BrowserDesktop(browser, page, cdp);
    await bd.wire(opts.log);
    await page.goto(opts.pageUrl, { timeout: opts.loadTimeoutMs ?? 15_000 });
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
    cdp.on('Network.webSocketCreated', (e) => {
      this.har.created(e.requestId, e.url);
      this.push({ ev: 'state', state: 'connecting', t: Date.now() });
    });
    cdp.on('Network.webSocketWillSendHandshakeRequest', (e) => this.har.handshakeRequest(e));
    cdp.on('Network.webSocketHandshakeResponseReceived', (e) => this.har.handshakeResponse(e));
    cdp.on('Network.webSocketFrameSent', (e) => {
      this.har.frame(e.requestId, 'send', e.timestamp, e.response.opcode, e.response.payloadData);
      this.push({ ev: 'message', dir: 'sent', cls: classify(e.response.payloadData), t: Date.now() });
    });
    cdp.on('Network.webSocketFrameReceived', (e) => {
      this.har.frame(e.requestId, 'receive', e.timestamp, e.response.opcode, e.response.payloadData);
      const cls = classify(e.response.payloadData);
      // The desktop counts as connected once Notifs' Welcome arrives.
      if (cls === 'welcome') this.push({ ev: 'state', state: 'connected', t: Date.now() });
      this.push({ ev: 'message', dir: 'received', cls, t: Date.now() });
    });
    cdp.on('Network.webSocketFrameError', (e) => {
      this.har.frame(e.requestId, 'error', e.timestamp, 1, e.errorMessage);
    });
    cdp.on('Network.webSocketClosed', (e) => {
      this.har.closed(e.requestId, e.timestamp);
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

  /** Closes the browser cleanly (the NetLog is only complete after a clean close). */
  async close(): Promise<void> {
    await this.resumeJs().catch(() => {});
    await this.browser.close();
  }
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
