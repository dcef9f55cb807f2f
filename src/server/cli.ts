// `lifeline serve`: the Notifs server. One JSON line on stdout when ready, structured JSON logs on stderr.

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { JSONWebKeySet } from 'jose';
import { LifelineError } from '../cli/exit-codes.ts';
import { parseDuration } from '../duration.ts';
import { WXCC_TIMERS } from '../protocol/wxcc.ts';
import { ADMIN_AGENT, type AuthConfig, createAuth, isValidAgentId } from './auth.ts';
import { parseOrigin } from './cors.ts';
import type { LogRecord, NotifsServer } from './notifs-server.ts';
import type { RedisSessions } from './redis-sessions.ts';
import type { RedisStore } from './redis-store.ts';

/** A Redis URL for messages: the password removed. */
function redactRedis(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//REDACTED@');
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

export function intArg(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`);
    return n;
  };
}

interface ServeOpts {
  port: number;
  host: string;
  keepaliveMs: number;
  silenceMs: number;
  recoveryMs: number;
  sweepMs: number;
  tokens?: string;
  secret?: string;
  dev?: boolean;
  jwksUrl?: string;
  jwksFile?: string;
  issuer?: string;
  audience?: string;
  agentClaim?: string;
  clockSkew?: string;
  adminToken?: string;
  backlog: number;
  store: string;
  redis?: string;
  nodeId?: string;
  witnessFile?: string;
  maxMessage: number;
  publicUrl?: string;
  printToken?: string;
  logLevel: keyof typeof LEVELS;
  desktopPage: boolean;
  corsOrigin: string[];
  deliveredWindowMs: number;
}

/** --cors-origin, repeatable: each an exact origin (never `*`). */
function corsOriginArg(v: string, prev: string[]): string[] {
  const r = parseOrigin(v);
  if ('error' in r) throw new InvalidArgumentError(r.error);
  return [...prev, r.origin];
}

/** Cisco's SDK declares the connection lost after this long without a message from Notifs (and then flaps). */
export const SDK_SILENCE_MS = 8000;

function warnTimers(keepaliveMs: number, log: (r: LogRecord) => void): void {
  if (keepaliveMs < SDK_SILENCE_MS) return;
  log({
    level: 'warn',
    event: 'keepalive-too-slow',
    keepaliveMs,
    message: `--keepalive-ms ${keepaliveMs} ≥ ${SDK_SILENCE_MS}: Cisco's SDK declares the connection lost after ${SDK_SILENCE_MS} ms of silence and reconnects over and over`,
  });
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run Notifs: the notification service desktops keep a WebSocket to (WxCC-compatible, with resume).')
    .option('--port <n>', 'TCP port (0 = any free port)', intArg('--port', 0, 65535), 8080)
    .option('--host <addr>', 'address to bind', '127.0.0.1')
    .option('--keepalive-ms <ms>', 'server keepalive period', intArg('--keepalive-ms', 10), WXCC_TIMERS.keepaliveMs)
    .option(
      '--silence-ms <ms>',
      'drop a desktop silent for this long',
      intArg('--silence-ms', 20),
      WXCC_TIMERS.silenceMs,
    )
    .option(
      '--recovery-ms <ms>',
      'recovery timeout handed to the browser desktop page',
      intArg('--recovery-ms', 0),
      WXCC_TIMERS.recoveryMs,
    )
    .option('--sweep-ms <ms>', 'deadline sweep period (timer precision)', intArg('--sweep-ms', 1, 10000), 250)
    .option('--tokens <file>', 'JSON file {"<token>": "<agentId>"}; "@admin" as a value makes a publish token')
    .addOption(new Option('--secret <s>', 'accept HMAC-signed tokens (see --print-token)').env('LIFELINE_SECRET'))
    .option('--dev', 'dev auth: the token names the agent ("agent:<id>" or "<id>"), "admin" publishes; loopback only')
    .option('--jwks-url <url>', 'jwt auth: verify IdP access tokens against this JWKS (https, or http on loopback)')
    .option('--jwks-file <path>', 'jwt auth with a fixed JWKS from a file instead of --jwks-url')
    .option('--issuer <iss>', 'jwt auth: the exact "iss" tokens must carry')
    .option('--audience <aud>', 'jwt auth: the "aud" tokens must carry (this service)')
    .option('--agent-claim <name>', 'jwt auth: the claim holding the agent id (default sub)')
    .option('--clock-skew <duration>', 'jwt auth: tolerance for exp/nbf, e.g. 30s (default), 0, 2m')
    .addOption(new Option('--admin-token <t>', 'token for POST /v1/notification/publish').env('LIFELINE_ADMIN_TOKEN'))
    .option(
      '--backlog <n>',
      'notifications kept per agent for replay (Redis: at least this many, trimmed with MAXLEN ~)',
      intArg('--backlog', 1),
      10000,
    )
    .addOption(
      new Option(
        '--store <memory|redis://host:port>',
        'where backlogs, subscriptions and sessions live: this process, or Redis shared by every Notifs node',
      )
        .env('LIFELINE_STORE')
        .default('memory'),
    )
    .addOption(new Option('--redis <url>', 'same as --store <url> (older spelling)').env('LIFELINE_REDIS_URL'))
    .option('--node-id <id>', 'name of this node in logs and in Redis session records (default: random)')
    .option(
      '--witness-file <path>',
      'with Redis: keep the highest write count this node saw here, so a Redis that lost acknowledged writes is still caught after every node restarted (docs/server.md)',
    )
    .option('--max-message <bytes>', 'largest desktop message', intArg('--max-message', 64), 64 * 1024)
    .option('--public-url <url>', 'base URL put in webSocketUrl (behind a proxy)')
    .option('--print-token <agentId>', 'print a token for this agent (with --secret, or "@admin") and exit')
    .addOption(new Option('--log-level <level>', 'stderr log level').choices(Object.keys(LEVELS)).default('info'))
    .option('--no-desktop-page', 'do not serve the browser desktop at /desktop/')
    .option(
      '--delivered-window-ms <ms>',
      'clients without clientId/resumeFrom (Cisco SDK): remember what was delivered this long and replay the rest on their next subscribe (0 = off)',
      intArg('--delivered-window-ms', 0),
      120000,
    )
    .option(
      '--cors-origin <origin>',
      'allow browser pages of this exact origin (scheme://host[:port]) to subscribe/publish; repeatable',
      corsOriginArg,
      [],
    )
    .addHelpText(
      'after',
      `
Auth (how a bearer token maps to an agent; a subscription is bound to that agent):
  --tokens FILE   a JSON map {token: agentId}; "@admin" as the agent marks a publish token
  --secret S      tokens are v1.<base64url(agentId)>.<HMAC-SHA256>; mint them with --print-token
  --dev           the token names the agent (loopback only); the default when none is given on loopback
  --jwks-url URL --issuer ISS --audience AUD [--agent-claim sub] [--clock-skew 30s]
                  OAuth/OIDC access tokens (JWT) from an identity provider, verified offline against its JWKS
                  (asymmetric algorithms only; keys cached, refetched on an unknown kid). Publish with --admin-token.

When ready it prints one line on stdout: {"event":"listening","url":"http://127.0.0.1:<port>","nodeId":"<id>"}

Examples:
  lifeline serve --port 0 --dev
  LIFELINE_SECRET=s3cret lifeline serve --print-token agent-7
  LIFELINE_SECRET=s3cret LIFELINE_ADMIN_TOKEN=adm lifeline serve --port 8080
  lifeline serve --dev --store redis://127.0.0.1:6379   # backlogs survive a restart
  LIFELINE_ADMIN_TOKEN=adm lifeline serve --host 0.0.0.0 \\
       --jwks-url https://idp.example/.well-known/jwks.json --issuer https://idp.example/ --audience lifeline
  curl -H 'authorization: Bearer admin' -d '{"agentId":"agent-7","type":"AgentStateChange","data":{}}' \\
       http://127.0.0.1:8080/v1/notification/publish
  open http://127.0.0.1:8080/desktop/?agentId=agent-7&token=agent:agent-7

Several nodes (behind any TCP/HTTP load balancer; no sticky sessions needed): run each with the same --store
and its own --node-id. Backlogs, subscriptions and multi-login are shared through Redis, and a desktop resumes
on whichever node its reconnect lands:
  lifeline serve --secret S --store redis://10.0.0.5:6379 --node-id n1 --host 10.0.0.11 --port 8080 --public-url http://notifs.example
  lifeline serve --secret S --store redis://10.0.0.5:6379 --node-id n2 --host 10.0.0.12 --port 8080 --public-url http://notifs.example`,
    )
    .action(async (o: ServeOpts) => {
      const auth = await authFrom(o);
      if (o.printToken !== undefined) {
        if (o.printToken !== ADMIN_AGENT && !isValidAgentId(o.printToken)) {
          throw new LifelineError('bad-agent', `invalid agent id ${JSON.stringify(o.printToken)}`, 'usage');
        }
        const t = createAuth(auth, o.adminToken).tokenFor(o.printToken);
        if (!t) throw new LifelineError('no-token', `no token for ${o.printToken} in this auth mode`, 'usage');
        process.stdout.write(`${t}\n`);
        return;
      }
      if (o.silenceMs <= o.keepaliveMs) {
        throw new LifelineError('bad-timers', '--silence-ms must be larger than --keepalive-ms', 'usage');
      }
      const min = LEVELS[o.logLevel];
      const log = (r: LogRecord) => {
        if (LEVELS[r.level] >= min) process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), ...r })}\n`);
      };
      warnTimers(o.keepaliveMs, log);
      const redisUrl = o.store !== 'memory' ? o.store : o.redis;
      const nodeId = o.nodeId ?? `n-${randomBytes(4).toString('hex')}`;
      if (!/^[A-Za-z0-9._:-]{1,64}$/.test(nodeId))
        throw new LifelineError('bad-node-id', '--node-id must be 1–64 of A-Z a-z 0-9 . _ : -', 'usage');
      const { store, sessions } = redisUrl ? await redisParts(redisUrl, o, nodeId, log) : {};
      // Loaded here, not at the top: `ws` would otherwise be paid for by every lifeline command at start-up.
      const { startNotifsServer } = await import('./notifs-server.ts');
      let server: NotifsServer;
      try {
        server = await startNotifsServer({
          port: o.port,
          host: o.host,
          keepaliveMs: o.keepaliveMs,
          silenceMs: o.silenceMs,
          recoveryMs: o.recoveryMs,
          sweepMs: o.sweepMs,
          auth,
          ...(o.adminToken ? { adminToken: o.adminToken } : {}),
          backlogPerAgent: o.backlog,
          ...(store ? { store } : {}),
          ...(sessions ? { sessions } : {}),
          maxMessageBytes: o.maxMessage,
          ...(o.publicUrl ? { publicUrl: o.publicUrl } : {}),
          desktopPage: o.desktopPage,
          ...(o.corsOrigin.length ? { corsOrigins: o.corsOrigin } : {}),
          deliveredWindowMs: o.deliveredWindowMs,
          log,
        });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EADDRINUSE' || e.code === 'EACCES' || e.code === 'EADDRNOTAVAIL') {
          throw new LifelineError('listen-failed', `cannot listen on ${o.host}:${o.port}: ${e.code}`, 'usage');
        }
        throw err;
      }
      if (auth.mode === 'jwt' && !o.adminToken) {
        const message = 'jwt auth without --admin-token: nobody can publish over HTTP';
        log({ level: 'warn', event: 'no-admin-token', message });
      }
      if (auth.mode === 'dev') {
        log({ level: 'warn', event: 'dev-auth', message: 'dev auth: any token names its agent; for local use only' });
      }
      process.stdout.write(`${JSON.stringify({ event: 'listening', url: server.url, nodeId })}\n`);
      await new Promise<void>((resolve) => {
        const stop = (sig: string) => {
          log({ level: 'info', event: 'shutdown', signal: sig });
          server
            .close()
            .then(() => sessions?.close())
            .then(() => store?.close())
            .then(resolve, resolve);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}

/** --store redis://…: the store and the session registry on it; fails fast (exit 3) when Redis does not answer. */
async function redisParts(
  redisUrl: string,
  o: ServeOpts,
  nodeId: string,
  log: (r: LogRecord) => void,
): Promise<{ store: RedisStore; sessions: RedisSessions }> {
  if (!/^rediss?:\/\//.test(redisUrl))
    throw new LifelineError(
      'bad-store',
      `--store must be "memory" or redis://host:port, not ${JSON.stringify(redactRedis(redisUrl))}`,
      'usage',
    );
  // Fail fast at startup rather than on the first subscribe.
  const { RedisStore } = await import('./redis-store.ts'); // only load ioredis when asked for
  const store = new RedisStore({
    url: redisUrl,
    maxPerAgent: o.backlog,
    ...(o.witnessFile ? { witnessFile: o.witnessFile } : {}),
    redis: { maxRetriesPerRequest: 2, lazyConnect: false },
    onError: (err) => log({ level: 'warn', event: 'redis-error', message: err.message }),
  });
  try {
    await store.info('@startup-check');
  } catch (err) {
    await store.close();
    throw new LifelineError(
      'redis-unavailable',
      `cannot use Redis at ${redactRedis(redisUrl)}: ${(err as Error).message}`,
      'input',
    );
  }
  const { RedisSessions } = await import('./redis-sessions.ts');
  const sessions = new RedisSessions({
    client: store.client,
    nodeId,
    onError: (err) => log({ level: 'warn', event: 'redis-error', message: err.message }),
  });
  return { store, sessions };
}

/** The flags that choose and configure auth. */
export type AuthOpts = Pick<
  ServeOpts,
  'host' | 'tokens' | 'secret' | 'dev' | 'jwksUrl' | 'jwksFile' | 'issuer' | 'audience' | 'agentClaim' | 'clockSkew'
>;

export async function authFrom(o: AuthOpts): Promise<AuthConfig> {
  const jwt = o.jwksUrl !== undefined || o.jwksFile !== undefined;
  const chosen = [o.tokens !== undefined, o.secret !== undefined, o.dev === true, jwt].filter(Boolean).length;
  if (chosen > 1)
    throw new LifelineError(
      'auth-conflict',
      'choose one of --tokens, --secret, --dev, --jwks-url/--jwks-file',
      'usage',
    );
  if (jwt) return jwtFrom(o);
  const stray = JWT_ONLY.filter(([k]) => o[k] !== undefined).map(([, flag]) => flag);
  if (stray.length)
    throw new LifelineError(
      'jwt-option-alone',
      `${stray.join(', ')} only apply with --jwks-url or --jwks-file`,
      'usage',
    );
  if (o.tokens !== undefined) {
    let raw: string;
    try {
      raw = await readFile(o.tokens, 'utf8');
    } catch (err) {
      throw new LifelineError('tokens-unreadable', `cannot read ${o.tokens}: ${(err as Error).message}`, 'input');
    }
    let map: unknown;
    try {
      map = JSON.parse(raw);
    } catch {
      throw new LifelineError('tokens-invalid', `${o.tokens} is not JSON`, 'input');
    }
    if (
      !map ||
      typeof map !== 'object' ||
      Array.isArray(map) ||
      Object.values(map).some((v) => typeof v !== 'string')
    ) {
      throw new LifelineError('tokens-invalid', `${o.tokens} must be a JSON object {token: agentId}`, 'input');
    }
    return { mode: 'tokens', tokens: map as Record<string, string> };
  }
  if (o.secret !== undefined) {
    if (o.secret.length < 8) throw new LifelineError('weak-secret', '--secret must be at least 8 characters', 'usage');
    return { mode: 'secret', secret: o.secret };
  }
  if (!/^(127\.|::1$|localhost$)/.test(o.host)) {
    throw new LifelineError(
      'auth-required',
      `binding ${o.host} needs --tokens, --secret or --jwks-url (dev auth is loopback only)`,
      'usage',
    );
  }
  return { mode: 'dev' };
}

const JWT_ONLY = [
  ['issuer', '--issuer'],
  ['audience', '--audience'],
  ['agentClaim', '--agent-claim'],
  ['clockSkew', '--clock-skew'],
] as const;

const MAX_SKEW_MS = 300_000;

/** --jwks-url/--jwks-file with --issuer and --audience (both required: a token for another service must not pass). */
async function jwtFrom(o: AuthOpts): Promise<AuthConfig> {
  const usage = (code: string, msg: string) => new LifelineError(code, msg, 'usage');
  if (o.jwksUrl !== undefined && o.jwksFile !== undefined)
    throw usage('auth-conflict', 'choose one of --jwks-url, --jwks-file');
  const missing = [o.issuer ? '' : '--issuer', o.audience ? '' : '--audience'].filter(Boolean);
  if (missing.length)
    throw usage(
      'jwt-incomplete',
      `jwt auth needs ${missing.join(' and ')} (tokens must name this issuer and audience)`,
    );
  const skewMs = o.clockSkew === undefined ? 30_000 : parseDuration(o.clockSkew);
  if (skewMs === undefined || skewMs > MAX_SKEW_MS)
    throw usage(
      'bad-clock-skew',
      `--clock-skew must be a duration from 0 to 5m (e.g. 30s), not ${JSON.stringify(o.clockSkew)}`,
    );
  const agentClaim = o.agentClaim ?? 'sub';
  if (!/^\S{1,256}$/.test(agentClaim))
    throw usage('bad-agent-claim', '--agent-claim must be a claim name without spaces');
  const jwks = o.jwksUrl !== undefined ? { url: jwksUrlFrom(o.jwksUrl) } : { keys: await jwksFileFrom(o.jwksFile!) };
  return {
    mode: 'jwt',
    jwks,
    issuer: o.issuer!,
    audience: o.audience!,
    agentClaim,
    clockSkewSec: skewMs / 1000,
  };
}

/** https, or plain http only to this machine (a JWKS fetched in clear from elsewhere could be swapped). */
function jwksUrlFrom(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new LifelineError('bad-jwks-url', `--jwks-url is not a URL: ${JSON.stringify(raw)}`, 'usage');
  }
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    throw new LifelineError('bad-jwks-url', '--jwks-url must be https:// (http:// only on a loopback host)', 'usage');
  return u.href;
}

async function jwksFileFrom(path: string): Promise<JSONWebKeySet> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    throw new LifelineError('jwks-unreadable', `cannot read ${path}: ${(err as Error).message}`, 'input');
  }
  let set: unknown;
  try {
    set = JSON.parse(raw);
  } catch {
    throw new LifelineError('jwks-invalid', `${path} is not JSON`, 'input');
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => !k || typeof k !== 'object' || Array.isArray(k)))
    throw new LifelineError('jwks-invalid', `${path} must be a JWKS: {"keys": [<JWK>, …]}`, 'input');
  if (keys.some((k) => (k as { kty?: unknown }).kty === 'oct' || 'd' in k))
    throw new LifelineError('jwks-invalid', `${path} must hold public keys only (no "oct", no private "d")`, 'input');
  return set as JSONWebKeySet;
}
