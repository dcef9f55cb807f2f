// One lightweight protocol-level desktop of the storm benchmark: subscribe (with resumeFrom when reconnecting),
// open the WebSocket, read the Welcome and every notification's position, send a keepalive when the load
// generator's phase wheel says so. Backs off on 429 like the Lifeline desktop (src/protocol/backoff.ts: full jitter,
// window 1 s doubling to 5 s) or, with policy 'retry-after', waits Retry-After × (1 + random) like
// bench/connection/wxcc-load-client.ts.
import { WebSocket } from 'ws';
import { backoffDelay } from '../../src/protocol/backoff.ts';
import type { NodeClient } from './node-client.ts';
import { StreamTracker } from './stream-tracker.ts';

const KEEPALIVE = JSON.stringify({ keepalive: 'true' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type BackoffPolicy = 'desktop' | 'retry-after';

export interface ConnectOptions {
  node: NodeClient;
  resume: boolean;
  /** notifications the resume must replay */
  expectReplay: number;
  policy: BackoffPolicy;
  /** give up after this long (subscribe retries included) */
  deadlineMs: number;
  /** called for each notification whose data carries {t}: the sender's performance.now() */
  onLatency?: (ms: number) => void;
  /** called once the resume is complete (all replays received) or failed */
  onSettled?: (d: StormDesktop) => void;
}

export class StormDesktop {
  readonly tracker = new StreamTracker();
  open = false;
  /** per connect attempt, performance.now(): 0 until reached */
  startedAt = 0;
  subscribedAt = 0;
  welcomeAt = 0;
  settledAt = 0;
  /** 429 answers in this connect, and the time spent waiting before retrying them */
  refusals = 0;
  backoffMs = 0;
  error: string | undefined;
  private ws: WebSocket | undefined;
  private opts: ConnectOptions | undefined;

  constructor(
    readonly idx: number,
    readonly agentId: string,
  ) {}

  get token(): string {
    return `agent:${this.agentId}`;
  }

  /** Resolves once the Welcome arrived (replays may still follow); rejects when the attempt is given up. */
  async connect(o: ConnectOptions): Promise<void> {
    this.opts = o;
    this.startedAt = performance.now();
    this.subscribedAt = this.welcomeAt = this.settledAt = 0;
    this.refusals = 0;
    this.backoffMs = 0;
    this.error = undefined;
    const resumeFrom = o.resume ? this.tracker.beginResume(o.expectReplay) : undefined;
    const until = this.startedAt + o.deadlineMs;
    let webSocketUrl: string | undefined;
    for (let attempt = 1; attempt <= 100 && !webSocketUrl; attempt++) {
      const a = await o.node.subscribe(this.token, `d${this.idx}`, resumeFrom);
      if (a.ok) {
        webSocketUrl = a.webSocketUrl;
        break;
      }
      if (a.status !== 429) throw new Error(a.message);
      this.refusals++;
      const wait =
        o.policy === 'retry-after'
          ? (a.retryAfterMs ?? 1000) * (1 + Math.random())
          : backoffDelay(attempt, Math.random);
      if (performance.now() + wait > until) throw new Error('subscribe: still rate limited at the deadline');
      this.backoffMs += wait;
      await sleep(wait);
    }
    if (!webSocketUrl) throw new Error('subscribe: gave up after 100 attempts');
    this.subscribedAt = performance.now();
    const ws = new WebSocket(webSocketUrl, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          ws.terminate();
          reject(new Error('no Welcome before the deadline'));
        },
        Math.max(1000, until - performance.now()),
      );
      ws.on('message', (raw: Buffer) => {
        if (this.ws !== ws) return; // a dropped socket's late data
        if (this.welcomeAt === 0) {
          clearTimeout(timer);
          this.onFirst(raw, resolve, reject);
        } else this.onMessage(raw);
      });
      ws.once('close', (code) => {
        if (this.ws !== ws) return; // dropped on purpose
        this.open = false;
        if (this.welcomeAt === 0) {
          clearTimeout(timer);
          reject(new Error(`closed before Welcome (code ${code})`));
        } else if (this.settledAt === 0 && this.opts?.resume) {
          this.tracker.failure ??= `closed-during-replay-${code}`;
          this.settle();
        }
      });
    });
  }

  private onFirst(raw: Buffer, resolve: () => void, reject: (e: Error) => void): void {
    let msg: { type?: unknown; data?: unknown };
    try {
      msg = JSON.parse(raw.toString('utf8')) as typeof msg;
    } catch {
      reject(new Error('first message is not JSON'));
      return;
    }
    if (msg.type !== 'Welcome') {
      reject(new Error(`first message is not a Welcome: ${String(msg.type)}`));
      return;
    }
    this.welcomeAt = performance.now();
    this.open = true;
    this.tracker.onWelcome(msg.data);
    resolve();
    this.checkSettled();
  }

  private onMessage(raw: Buffer): void {
    // Keepalives are most of the traffic: recognise them without parsing.
    if (raw.length < 40 && raw.includes('"keepalive"')) return;
    let msg: { type?: unknown; data?: { t?: unknown }; epoch?: unknown; seq?: unknown };
    try {
      msg = JSON.parse(raw.toString('utf8')) as typeof msg;
    } catch {
      this.tracker.failure ??= 'bad-json';
      return;
    }
    if (msg.seq === undefined) return; // Ack, multi-login…: not part of the stream
    const t = msg.data?.t;
    if (typeof t === 'number' && this.opts?.onLatency) this.opts.onLatency(performance.now() - t);
    this.tracker.onNotification(msg.epoch, msg.seq);
    this.checkSettled();
  }

  private checkSettled(): void {
    if (this.settledAt !== 0 || !this.opts?.resume) return;
    const s = this.tracker.state();
    if (s === 'done' || s === 'failed') this.settle();
  }

  private settle(): void {
    if (this.settledAt !== 0) return;
    this.settledAt = performance.now();
    this.tracker.endResume();
    this.opts?.onSettled?.(this);
  }

  /** Marks a connect that threw as settled (failed) so the storm's count is complete. */
  fail(message: string): void {
    this.error = message;
    this.tracker.failure ??= 'connect-failed';
    this.settle();
  }

  beat(): void {
    if (this.open && this.ws) this.ws.send(KEEPALIVE);
  }

  /** The outage: the socket vanishes without a close handshake. */
  drop(): void {
    this.open = false;
    this.ws?.terminate();
    this.ws = undefined;
  }
}
