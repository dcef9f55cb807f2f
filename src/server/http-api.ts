// The Notifs HTTP API: subscribe (auth, rate limit, multi-login check, the subscription record), publish (admin;
// append to the agent's stream, then hand it to this node's sockets), /metrics, /healthz, /readyz, the browser
// desktop page, and the request limits (body size, 413/503 mapping). No socket handling here.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NotificationEnvelope } from '../protocol/messages.ts';
import { isPosition, type StreamPosition } from '../protocol/stream-position.ts';
import { type Auth, bearer, isValidAgentId } from './auth.ts';
import { CorsPolicy } from './cors.ts';
import { handleDesktopPage } from './desktop-page.ts';
import type { Hub } from './hub.ts';
import { type MetricsSnapshot, type newCounters, toPrometheus } from './metrics.ts';
import type { LogRecord } from './notifs-server.ts';
import type { SessionRegistry, SubscriptionRecord } from './session-registry.ts';
import type { NotifStore } from './store.ts';

export const SUB_PATH = '/v1/notification/subscription/';
const API_ROUTES = new Set(['/v1/notification/subscribe', '/v1/notification/publish']);
const RESERVED = new Set(['Welcome', 'Ack', 'AgentMultiLoginCloseSession', 'AGENT_MULTI_LOGIN']);

export interface HttpApiDeps {
  auth: Auth;
  store: NotifStore;
  sessions: SessionRegistry;
  hub: Hub;
  counters: ReturnType<typeof newCounters>;
  metrics: () => MetricsSnapshot;
  log: (rec: LogRecord) => void;
  now: () => number;
  maxBodyBytes: number;
  subscriptionTtlMs: number;
  subscribeRate: { perSecond: number; burst: number };
  /** Base URL put in webSocketUrl; otherwise from the Host header, falling back to `fallbackHost`. */
  publicUrl?: string;
  fallbackHost: () => string;
  /** Track delivered positions of clients that give no clientId (0 = off). */
  deliveredWindowMs: number;
  /** Exact origins allowed to call the API from a browser page (CORS); empty = no CORS headers at all. */
  corsOrigins?: readonly string[];
  /** Timers handed to the browser desktop page; undefined = no /desktop/. */
  desktopPage?: { keepaliveMs: number; silenceMs: number; recoveryMs: number };
}

type HttpError = Error & { status?: number };
const httpError = (status: number, message: string): HttpError => Object.assign(new Error(message), { status });

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

const problem = (res: ServerResponse, status: number, code: string, message: string, headers = {}) =>
  json(res, status, { code, message }, headers);

/** A JSON body of at most `max` bytes ({} when empty); 413 / 400 errors otherwise. */
function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (d: Buffer) => {
      if (tooBig) return; // discard the rest; the socket is closed once the 413 is written
      size += d.length;
      if (size > max) {
        tooBig = true;
        chunks.length = 0;
        reject(httpError(413, `body larger than ${max} bytes`));
        return;
      }
      chunks.push(d);
    });
    req.on('end', () => {
      if (tooBig) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(httpError(400, 'body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** A token bucket over the whole server: thundering herds get 429 + Retry-After. */
class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly rate: { perSecond: number; burst: number },
    private readonly now: () => number,
  ) {
    this.tokens = rate.burst;
    this.at = now();
  }
  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((t - this.at) / 1000) * this.rate.perSecond);
    this.at = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** A store or session-registry call made for an HTTP request: failing means "try again soon" (503), not a bug. */
const guard = <T>(p: Promise<T>): Promise<T> =>
  p.catch((err: Error) => {
    throw httpError(503, `store unavailable: ${err.message}`.slice(0, 300));
  });

export class HttpApi {
  private readonly bucket: TokenBucket;
  private readonly cors: CorsPolicy;

  constructor(private readonly d: HttpApiDeps) {
    this.bucket = new TokenBucket(d.subscribeRate, d.now);
    this.cors = new CorsPolicy(d.corsOrigins);
  }

  /** The request handler for node:http. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = `${req.method} ${url.pathname}`;
    const done = (p: Promise<unknown>) => p.catch((err: HttpError) => this.failed(req, res, route, err));
    this.cors.apply(req, res);
    if (req.method === 'OPTIONS' && this.cors.enabled && API_ROUTES.has(url.pathname)) {
      return void this.cors.preflight(req, res);
    }
    if (route === 'POST /v1/notification/subscribe') return void done(this.subscribe(req, res));
    if (route === 'POST /v1/notification/publish') return void done(this.publishHttp(req, res));
    if (route === 'GET /metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return void res.end(toPrometheus(this.d.metrics()));
    }
    if (route === 'GET /healthz') return void json(res, 200, { ok: true });
    if (route === 'GET /readyz') return void this.ready(res);
    if (this.d.desktopPage && url.pathname.startsWith('/desktop')) {
      return void done(Promise.resolve(handleDesktopPage(req, res, url, this.d.desktopPage)));
    }
    problem(res, 404, 'not-found', `no route ${route.slice(0, 200)}`);
  };

  /**
   * Append a notification to the agent's stream and push it to this node's sockets of that agent. `payload`
   * {type, data, trackingId?, orgId?, eventTime?} or any JSON (then type "Notification" with it as data).
   */
  async publish(agentId: string, payload: unknown): Promise<StreamPosition> {
    if (!isValidAgentId(agentId)) throw new Error(`invalid agent id: ${JSON.stringify(agentId).slice(0, 80)}`);
    let type = 'Notification';
    let data: unknown = payload;
    let meta: NotificationEnvelope | undefined;
    const p = payload as Record<string, unknown> | null;
    if (p && typeof p === 'object' && !Array.isArray(p) && typeof p.type === 'string' && p.type.length > 0) {
      type = p.type;
      data = p.data;
      const env = envelopeFrom(p);
      if (typeof env === 'string') throw new Error(env);
      meta = env;
    }
    if (RESERVED.has(type)) throw new Error(`notification type "${type}" is reserved by the protocol`);
    const pos = await this.d.store.append(agentId, type, data, Date.now(), meta);
    this.d.counters.published++;
    this.d.hub.appended(agentId, pos.epoch, { seq: pos.seq, type, data, ...(meta ? { meta } : {}) });
    return pos;
  }

  private failed(req: IncomingMessage, res: ServerResponse, route: string, err: HttpError): void {
    if (!res.headersSent) {
      const code =
        err.status === 413
          ? 'too-large'
          : err.status === 503
            ? 'store-unavailable'
            : err.status
              ? 'bad-request'
              : 'internal';
      if (err.status === 413) {
        res.setHeader('connection', 'close');
        res.on('finish', () => req.destroy());
      }
      problem(res, err.status ?? 500, code, err.message, err.status === 503 ? { 'retry-after': '1' } : {});
    }
    if (err.status === 503) this.d.log({ level: 'warn', event: 'store-error', route, message: err.message });
    else if (!err.status) this.d.log({ level: 'error', event: 'http-error', route, message: err.message });
  }

  private ready(res: ServerResponse): void {
    // For a load balancer: this node can take desktops only while its store answers.
    const nodeId = this.d.sessions.nodeId;
    if (this.d.store.available?.() !== false) return void json(res, 200, { ready: true, nodeId });
    json(res, 503, { ready: false, nodeId, code: 'store-unavailable' });
  }

  private baseUrl(req: IncomingMessage): string {
    if (this.d.publicUrl) return this.d.publicUrl.replace(/\/$/, '');
    const h =
      typeof req.headers.host === 'string' && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host)
        ? req.headers.host
        : this.d.fallbackHost();
    return `http://${h}`;
  }

  private async subscribe(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { counters, sessions } = this.d;
    const agentId = await this.d.auth.agentOf(bearer(req.headers.authorization));
    if (!agentId) {
      counters.subscribeRejected++;
      return problem(res, 401, 'unauthorized', 'missing or invalid bearer token');
    }
    if (!this.bucket.take()) {
      counters.subscribeRejected++;
      return problem(res, 429, 'rate-limited', 'too many subscribes; retry after the backoff', { 'retry-after': '1' });
    }
    const body = (await readBody(req, this.d.maxBodyBytes)) as Record<string, unknown>;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return problem(res, 400, 'bad-request', 'body must be a JSON object');
    }
    const sub = subscriptionFrom(agentId, body, this.d.deliveredWindowMs > 0);
    if (typeof sub === 'string') return problem(res, 400, 'bad-request', sub);
    if (body.force === false && !sub.allowMultiLogin) {
      const live = await guard(sessions.liveClients(agentId));
      if (live.some((other) => other !== sub.clientId)) {
        counters.subscribeRejected++;
        const msg = 'another desktop is connected as this agent; use force to take over';
        return problem(res, 409, 'already-connected', msg);
      }
    }
    await guard(sessions.putSubscription(sub, this.d.subscriptionTtlMs));
    counters.subscribeOk++;
    const wsBase = this.baseUrl(req).replace(/^http/, 'ws');
    json(res, 200, { webSocketUrl: `${wsBase}${SUB_PATH}${sub.id}`, subscriptionId: sub.id });
  }

  private async publishHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.d.auth.isAdmin(bearer(req.headers.authorization)))
      return problem(res, 401, 'unauthorized', 'admin token required');
    const body = (await readBody(req, this.d.maxBodyBytes)) as Record<string, unknown>;
    if (!body || typeof body !== 'object' || typeof body.agentId !== 'string' || !isValidAgentId(body.agentId)) {
      return problem(res, 400, 'bad-request', 'body must be {agentId, type, data}');
    }
    if (typeof body.type !== 'string' || body.type.length === 0 || body.type.length > 128) {
      return problem(res, 400, 'bad-request', 'type must be a non-empty string (≤ 128 chars)');
    }
    if (RESERVED.has(body.type))
      return problem(res, 400, 'bad-request', `type "${body.type}" is reserved by the protocol`);
    // Cisco's SDK reads data.type without a guard: over HTTP, data must be an object.
    if (!body.data || typeof body.data !== 'object' || Array.isArray(body.data)) {
      return problem(res, 400, 'bad-request', 'data must be a JSON object');
    }
    const env = envelopeFrom(body);
    if (typeof env === 'string') return problem(res, 400, 'bad-request', env);
    const pos = await guard(this.publish(body.agentId, { type: body.type, data: body.data, ...env }));
    json(res, 200, { agentId: body.agentId, ...pos });
  }
}

/** trackingId / orgId / eventTime from a publish body (undefined when none), or what is wrong with them. */
function envelopeFrom(body: Record<string, unknown>): NotificationEnvelope | undefined | string {
  const env: NotificationEnvelope = {};
  const { trackingId, orgId, eventTime } = body;
  if (trackingId !== undefined) {
    if (typeof trackingId !== 'string' || trackingId.length > 256) return 'trackingId must be a string (≤ 256 chars)';
    env.trackingId = trackingId;
  }
  if (orgId !== undefined) {
    if (typeof orgId !== 'string' || orgId.length > 128) return 'orgId must be a string (≤ 128 chars)';
    env.orgId = orgId;
  }
  if (eventTime !== undefined) {
    if (!Number.isSafeInteger(eventTime) || (eventTime as number) < 0) return 'eventTime must be epoch milliseconds';
    env.eventTime = eventTime as number;
  }
  return Object.keys(env).length ? env : undefined;
}

/** The subscription a subscribe body asks for, or what is wrong with it. */
function subscriptionFrom(agentId: string, body: Record<string, unknown>, track: boolean): SubscriptionRecord | string {
  const named = typeof body.clientId === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(body.clientId);
  const clientId = named ? (body.clientId as string) : `anon-${randomBytes(6).toString('hex')}`;
  const sub: SubscriptionRecord = {
    id: randomBytes(16).toString('hex'),
    agentId,
    clientId,
    clientType: typeof body.clientType === 'string' ? body.clientType.slice(0, 64) : 'unknown',
    allowMultiLogin: body.allowMultiLogin === true,
  };
  if (track && !named) sub.trackDelivered = true;
  if (body.resumeFrom !== undefined) {
    if (!isPosition(body.resumeFrom)) return 'resumeFrom must be {epoch, seq}';
    sub.resumeFrom = { epoch: body.resumeFrom.epoch, seq: body.resumeFrom.seq };
  }
  return sub;
}
