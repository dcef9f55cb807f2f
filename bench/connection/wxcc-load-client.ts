// A minimal desktop speaking the WxCC notification protocol (Lifeline's wire format) for the load generator:
// POST /v1/notification/subscribe with a bearer token, connect to the returned webSocketUrl, wait for the Welcome,
// then send {"keepalive":"true"} on the caller's 4 s schedule. The round trip is measured with a WebSocket ping
// sent with each keepalive: the server's `ws` answers it from the server process's event loop, so the figure is
// the network plus the server's event-loop latency under the keepalive load (the WxCC protocol has no
// request/response keepalive to time).
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';
import { type BenchConn, onCloseSeen, type Recorder } from './recorder.ts';

const KEEPALIVE = JSON.stringify({ keepalive: 'true' });

export interface WxccConnectOptions {
  httpUrl: string;
  token: string;
  idx: number;
  rec: Recorder;
  silenceMs: number;
  localAddress?: string;
  timeoutMs: number;
  /** extra JSON fields for the subscribe body */
  subscribeBody?: Record<string, unknown>;
}

// Subscribe requests share a small pool of kept-alive HTTP connections (a fetch per desktop was the ramp's
// bottleneck, and a fresh TCP connection per subscribe would leave thousands of sockets in TIME_WAIT).
const agent = new Agent({ keepAlive: true, maxSockets: 32 });

class RetryLater extends Error {
  constructor(
    readonly afterMs: number,
    why = 'subscribe: HTTP 429',
  ) {
    super(why);
  }
}

/**
 * POST /v1/notification/subscribe; resolves to the webSocketUrl. A 429 is retried after its Retry-After (with
 * jitter, at most 30 times) like a real desktop backing off, and a reset of a reused kept-alive socket at once; each
 * retry is counted, not failed.
 */
async function subscribe(o: WxccConnectOptions): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await subscribeOnce(o);
    } catch (err) {
      if (!(err instanceof RetryLater) || attempt >= 30) throw err;
      o.rec.subscribeRetries++;
      await new Promise((r) => setTimeout(r, err.afterMs * (1 + Math.random())));
    }
  }
}

function subscribeOnce(o: WxccConnectOptions): Promise<string> {
  const payload = JSON.stringify({
    force: true,
    isKeepAliveEnabled: true,
    clientType: 'LifelineBench',
    allowMultiLogin: false,
    ...o.subscribeBody,
  });
  return new Promise((resolve, reject) => {
    const req = request(
      new URL('/v1/notification/subscribe', o.httpUrl),
      {
        method: 'POST',
        agent,
        timeout: o.timeoutMs,
        headers: {
          authorization: `Bearer ${o.token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode === 429) {
            const after = Number(res.headers['retry-after']);
            return reject(new RetryLater(Number.isFinite(after) && after > 0 ? Math.min(after, 10) * 1000 : 1000));
          }
          if (res.statusCode !== 200)
            return reject(new Error(`subscribe: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          try {
            const body = JSON.parse(text) as { webSocketUrl?: unknown };
            if (typeof body.webSocketUrl !== 'string') throw new Error('no webSocketUrl in the answer');
            resolve(body.webSocketUrl);
          } catch (err) {
            reject(new Error(`subscribe: ${err instanceof Error ? err.message : String(err)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('subscribe: timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The keep-alive race: the server closed an idle pooled socket just as this request reused it. Retry at once on
      // a fresh socket (Node's documented remedy); at worst an unused subscription is left to expire on the server.
      if (req.reusedSocket && err.code === 'ECONNRESET') reject(new RetryLater(0, 'subscribe: reused socket reset'));
      else reject(err);
    });
    req.end(payload);
  });
}

/** Closes the subscribe pool's idle connections (they would count as server connections). */
export function closeSubscribePool(): void {
  agent.destroy();
}

export class WxccConn implements BenchConn {
  open = false;
  silent = false;
  lastSentAt = 0;
  lastReceivedAt = 0;
  closedAt = 0;
  private pingSentAt = 0;
  private closing = false;
  private lost = false;
  private ws: WebSocket | undefined;

  constructor(
    readonly idx: number,
    private readonly rec: Recorder,
    private readonly silenceMs: number,
  ) {}

  async connect(o: WxccConnectOptions): Promise<void> {
    const body = await subscribe(o);
    const ws = new WebSocket(body, {
      localAddress: o.localAddress,
      handshakeTimeout: o.timeoutMs,
      headers: { authorization: `Bearer ${o.token}` },
    });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('no Welcome within the connect timeout'));
      }, o.timeoutMs);
      ws.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`closed before Welcome (code ${code})`));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const now = performance.now();
    this.open = true;
    this.lastReceivedAt = now;
    this.lastSentAt = now;
    ws.on('error', () => {});
    ws.on('message', () => {
      const t = performance.now();
      this.rec.addGap(t - this.lastReceivedAt);
      this.lastReceivedAt = t;
      this.lost = false;
    });
    ws.on('pong', () => {
      if (this.pingSentAt > 0) {
        this.rec.addRtt(performance.now() - this.pingSentAt);
        this.pingSentAt = 0;
      }
    });
    onCloseSeen(ws, (at) => {
      this.closedAt = at;
    });
    ws.on('close', (code) => {
      this.open = false;
      if (!this.closing && !this.silent) this.rec.unexpectedClose(`close ${code}`);
    });
  }

  beat(now: number): void {
    if (!this.open || this.silent || !this.ws) return;
    if (!this.lost && now - this.lastReceivedAt > this.silenceMs) {
      // A desktop would declare the connection lost and start recovery here.
      this.lost = true;
      this.rec.clientLosses++;
    }
    if (this.pingSentAt > 0) this.rec.rttLost++;
    this.ws.send(KEEPALIVE);
    this.pingSentAt = performance.now();
    this.ws.ping();
    this.lastSentAt = this.pingSentAt;
  }

  silence(): void {
    this.silent = true;
    // Stop answering the server's WebSocket pings too: a frozen desktop's socket still answers them in a browser,
    // but here "silent" must mean the server receives nothing at all. ws has no public switch after construction.
    if (this.ws) (this.ws as unknown as { _autoPong: boolean })._autoPong = false;
  }

  close(): void {
    this.closing = true;
    this.ws?.terminate();
  }
}
