// HTTP calls of the benchmark's desktops and publisher to one Notifs node: subscribe (optionally with resumeFrom)
// and publish. Each node gets its own small pool of kept-alive connections: the pool is the load generator's
// stand-in for thousands of browsers' own connections (a fresh TCP connection per call would leave tens of
// thousands of sockets in TIME_WAIT), so its size bounds how many calls are in flight per node and per process.
import { Agent, request } from 'node:http';
import type { Position } from './stream-tracker.ts';

export type SubscribeAnswer =
  | { ok: true; webSocketUrl: string }
  | { ok: false; status: number; retryAfterMs?: number; message: string };

export class NodeClient {
  private readonly agent: Agent;

  constructor(
    readonly url: string,
    maxSockets: number,
    private readonly timeoutMs = 20_000,
  ) {
    // 0: no bound, one connection per concurrent call (every desktop's own connection, as browsers would have).
    this.agent = new Agent({ keepAlive: true, maxSockets: maxSockets > 0 ? maxSockets : Number.POSITIVE_INFINITY });
  }

  async subscribe(token: string, clientId: string, resumeFrom?: Position): Promise<SubscribeAnswer> {
    const body = {
      force: true,
      isKeepAliveEnabled: true,
      clientType: 'LifelineRedisStorm',
      allowMultiLogin: false,
      clientId,
      ...(resumeFrom ? { resumeFrom } : {}),
    };
    const r = await this.post('/v1/notification/subscribe', `Bearer ${token}`, body);
    if (r.status === 200) {
      try {
        const j = JSON.parse(r.text) as { webSocketUrl?: unknown };
        if (typeof j.webSocketUrl === 'string') return { ok: true, webSocketUrl: j.webSocketUrl };
      } catch {
        // fall through
      }
      return { ok: false, status: 200, message: `no webSocketUrl in ${r.text.slice(0, 100)}` };
    }
    const after = Number(r.retryAfter);
    return {
      ok: false,
      status: r.status,
      ...(Number.isFinite(after) && after > 0 ? { retryAfterMs: after * 1000 } : {}),
      message: `subscribe: HTTP ${r.status} ${r.text.slice(0, 120)}`,
    };
  }

  /** POST /v1/notification/publish → the notification's position. Throws on anything but 200. */
  async publish(agentId: string, type: string, data: unknown): Promise<Position> {
    const r = await this.post('/v1/notification/publish', 'Bearer admin', { agentId, type, data });
    if (r.status !== 200) throw new Error(`publish: HTTP ${r.status} ${r.text.slice(0, 120)}`);
    const j = JSON.parse(r.text) as Position;
    return { epoch: j.epoch, seq: j.seq };
  }

  close(): void {
    this.agent.destroy();
  }

  private post(
    path: string,
    authorization: string,
    body: unknown,
  ): Promise<{ status: number; text: string; retryAfter?: string }> {
    const payload = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const attempt = (retryOnReset: boolean) => {
        const req = request(
          new URL(path, this.url),
          {
            method: 'POST',
            agent: this.agent,
            timeout: this.timeoutMs,
            headers: {
              authorization,
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(payload),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const ra = res.headers['retry-after'];
              resolve({
                status: res.statusCode ?? 0,
                text: Buffer.concat(chunks).toString('utf8'),
                ...(typeof ra === 'string' ? { retryAfter: ra } : {}),
              });
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${path}: timeout`)));
        req.on('error', (err: NodeJS.ErrnoException) => {
          // Keep-alive race: the server closed an idle pooled socket as this request reused it. Retry once on a
          // fresh socket (Node's documented remedy); not counted as a server refusal.
          if (retryOnReset && req.reusedSocket && err.code === 'ECONNRESET') attempt(false);
          else reject(err);
        });
        req.end(payload);
      };
      attempt(true);
    });
  }
}
