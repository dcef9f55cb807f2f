// jwt auth against real sockets: a JWKS served over HTTP on 127.0.0.1 with keys made by jose, a real Notifs server,
// tokens built and signed here. Every refusal is checked by its logged reason, so a 401 for the wrong cause fails.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { WebSocket } from 'ws';
import { type LogRecord, type NotifsServer, startNotifsServer } from '../../src/server/notifs-server.ts';
import { until } from './helpers.ts';

const ISS = 'https://idp.test/';
const AUD = 'lifeline-notifs';
const ADMIN = 'admin-secret-token';

type Pair = Awaited<ReturnType<typeof generateKeyPair>>;
interface Key {
  kid: string;
  alg: string;
  pair: Pair;
  jwk: JWK;
}

async function makeKey(kid: string, alg = 'RS256'): Promise<Key> {
  const pair = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, pair, jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
}

/** The IdP's JWKS endpoint: serves whatever `keys` holds now, counts fetches. */
function jwksServer() {
  const state = { keys: [] as JWK[], hits: 0 };
  const http: Server = createServer((_req, res) => {
    state.hits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: state.keys }));
  });
  const ready = new Promise<string>((resolve) =>
    http.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(http.address() as AddressInfo).port}/jwks`)),
  );
  return { state, http, ready };
}

const now = () => Math.floor(Date.now() / 1000);

function token(key: Key, claims: JWTPayload = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'agent-1', iss: ISS, aud: AUD, iat: now(), exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.pair.privateKey);
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const payload = (claims: JWTPayload = {}) => ({ sub: 'agent-1', iss: ISS, aud: AUD, exp: now() + 300, ...claims });

async function subscribe(s: { url: string }, tok: string | undefined) {
  const res = await fetch(`${s.url}/v1/notification/subscribe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(tok ? { authorization: `Bearer ${tok}` } : {}) },
    body: JSON.stringify({ force: true, isKeepAliveEnabled: true, clientType: 'jwt-test', allowMultiLogin: false }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

type Msg = { type?: string; data?: Record<string, unknown> };

/** Open the socket; `welcome` resolves with the Welcome, `next(type)` with the first message of that type. */
function openSocket(url: string) {
  const ws = new WebSocket(url);
  const seen: Msg[] = [];
  const waiters: { type: string; resolve: (m: Msg) => void }[] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    seen.push(m);
    for (const w of waiters.filter((x) => x.type === m.type)) w.resolve(m);
  });
  const next = (type: string) =>
    new Promise<Msg>((resolve, reject) => {
      const hit = seen.find((m) => m.type === type);
      if (hit) return resolve(hit);
      const t = setTimeout(() => reject(new Error(`socket: no ${type} within 5 s`)), 5000);
      waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(t);
          resolve(m);
        },
      });
    });
  ws.on('error', () => {}); // a failure shows as a missing message
  return { welcome: next('Welcome'), next, close: () => ws.close() };
}

async function welcomeOf(url: string) {
  const sock = openSocket(url);
  try {
    return await sock.welcome;
  } finally {
    sock.close();
  }
}

const idp = jwksServer();
const logs: LogRecord[] = [];
let s: NotifsServer;
let keyA: Key;
let keyB: Key;

before(async () => {
  const url = await idp.ready;
  keyA = await makeKey('key-a');
  keyB = await makeKey('key-b', 'ES256');
  idp.state.keys = [keyA.jwk];
  s = await startNotifsServer({
    auth: { mode: 'jwt', jwks: { url }, issuer: ISS, audience: AUD, clockSkewSec: 30, jwksCooldownMs: 0 },
    adminToken: ADMIN,
    log: (r) => logs.push(r),
  });
});
after(async () => {
  await s.close();
  await new Promise((r) => idp.http.close(r));
});

/** Subscribe must be refused with 401, and the server must say it was for `why` (jose code or message part). */
async function refused(tok: string, why: RegExp, what: string) {
  const before = logs.length;
  const r = await subscribe(s, tok);
  assert.equal(r.status, 401, `${what}: expected 401`);
  const rej = logs.slice(before).filter((l) => l.event === 'auth-rejected');
  assert.equal(rej.length, 1, `${what}: one auth-rejected log`);
  assert.match(`${rej[0].code} ${rej[0].message}`, why, `${what}: refused for the right reason`);
}

describe('jwt auth (JWKS over HTTP)', () => {
  test('a valid token subscribes as its sub, opens the socket and receives what the admin publishes', async () => {
    const r = await subscribe(s, await token(keyA));
    assert.equal(r.status, 200);
    const sock = openSocket(String(r.body.webSocketUrl));
    try {
      assert.equal((await sock.welcome).data?.agentId, 'agent-1');
      const pub = await fetch(`${s.url}/v1/notification/publish`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ agentId: 'agent-1', type: 'JwtHello', data: { n: 1 } }),
      });
      assert.equal(pub.status, 200);
      assert.deepEqual((await sock.next('JwtHello')).data, { n: 1 });
    } finally {
      sock.close();
    }
  });

  test('an IdP token never publishes; only --admin-token does', async () => {
    const pub = await fetch(`${s.url}/v1/notification/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(keyA, { sub: '@admin' })}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agentId: 'agent-1', type: 'X', data: {} }),
    });
    assert.equal(pub.status, 401);
    assert.equal((await subscribe(s, ADMIN)).status, 401, 'the admin token is not an agent');
    assert.equal((await subscribe(s, undefined)).status, 401);
  });

  test('exp and nbf are checked with the clock skew', async () => {
    assert.equal((await subscribe(s, await token(keyA, { exp: now() - 10 }))).status, 200, 'expired within skew');
    await refused(await token(keyA, { exp: now() - 60 }), /ERR_JWT_EXPIRED/, 'expired beyond skew');
    await refused(await token(keyA, { nbf: now() + 120 }), /nbf/, 'not yet valid');
    const { exp: _, ...noExp } = payload();
    const unsignedExp = await new SignJWT(noExp)
      .setProtectedHeader({ alg: 'RS256', kid: 'key-a' })
      .sign(keyA.pair.privateKey);
    await refused(unsignedExp, /exp/, 'no exp at all');
  });

  test('wrong audience, wrong issuer, bad agent claim', async () => {
    await refused(await token(keyA, { aud: 'some-other-api' }), /aud/, 'wrong audience');
    await refused(await token(keyA, { iss: 'https://evil.test/' }), /iss/, 'wrong issuer');
    await refused(await token(keyA, { sub: 'has space' }), /bad-agent-claim/, 'sub not an agent id');
    await refused(await token(keyA, { sub: '@admin' }), /bad-agent-claim/, 'sub @admin');
  });

  test('alg:none, HS256 keyed with the public key, and keys not in the JWKS are refused', async () => {
    const body = b64(payload());
    await refused(`${b64({ alg: 'none', typ: 'JWT' })}.${body}.`, /ALG_NOT_ALLOWED|alg/i, 'alg none');
    await refused(`${b64({ alg: 'none', kid: 'key-a' })}.${body}.`, /ALG_NOT_ALLOWED|alg/i, 'alg none with kid');
    for (const [name, secret] of [
      ['PEM', await exportSPKI(keyA.pair.publicKey)],
      ['JWK', JSON.stringify(keyA.jwk)],
    ] as const) {
      const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'key-a' })}.${body}`;
      const forged = `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
      await refused(forged, /ALG_NOT_ALLOWED/, `HS256 with the public key as ${name}`);
    }
    const stranger = await makeKey('key-a'); // same kid, a key the IdP never published
    await refused(await token(stranger), /SIGNATURE_VERIFICATION_FAILED/, 'same kid, other key');
    const unknown = await makeKey('key-zzz');
    await refused(await token(unknown), /NO_MATCHING_KEY/, 'unknown kid');
  });

  test('key rotation: new kid refetches the JWKS; the removed key is refused afterwards', async () => {
    assert.equal((await subscribe(s, await token(keyA))).status, 200, 'old key before rotation');
    const oldToken = await token(keyA);
    idp.state.keys = [keyB.jwk]; // the IdP rotates: B published, A withdrawn
    const hits = idp.state.hits;
    const r = await subscribe(s, await token(keyB, { sub: 'agent-2' }));
    assert.equal(r.status, 200, 'token signed with the new key');
    assert.ok(idp.state.hits > hits, 'the unknown kid made the server refetch the JWKS');
    assert.equal((await welcomeOf(String(r.body.webSocketUrl))).data?.agentId, 'agent-2');
    await refused(oldToken, /NO_MATCHING_KEY/, 'old removed key after rotation');
  });
});

describe('jwt auth: JWKS refetch is rate-limited, local key set, --agent-claim', () => {
  test('within the cooldown, unknown kids do not reach the IdP', async () => {
    const other = jwksServer();
    const url = await other.ready;
    const k = await makeKey('k1', 'ES256');
    other.state.keys = [k.jwk];
    const srv = await startNotifsServer({
      auth: { mode: 'jwt', jwks: { url }, issuer: ISS, audience: AUD, jwksCooldownMs: 60_000 },
    });
    try {
      assert.equal((await subscribe(srv, await token(k))).status, 200);
      assert.equal(other.state.hits, 1);
      for (let i = 0; i < 5; i++) {
        assert.equal((await subscribe(srv, await token(await makeKey(`forged-${i}`, 'ES256')))).status, 401);
      }
      assert.equal(other.state.hits, 1, 'five unknown kids within the cooldown: no refetch');
      assert.equal((await subscribe(srv, await token(k))).status, 200, 'the cached key still works');
    } finally {
      await srv.close();
      await new Promise((r) => other.http.close(r));
    }
  });

  test('a fixed JWKS (no fetch) and the agent taken from another claim', async () => {
    const k = await makeKey('ed', 'EdDSA');
    const srv = await startNotifsServer({
      auth: { mode: 'jwt', jwks: { keys: { keys: [k.jwk] } }, issuer: ISS, audience: AUD, agentClaim: 'agent_id' },
    });
    try {
      const r = await subscribe(srv, await token(k, { sub: 'user-uuid-123', agent_id: 'agent-9' }));
      assert.equal(r.status, 200);
      assert.equal((await welcomeOf(String(r.body.webSocketUrl))).data?.agentId, 'agent-9');
      assert.equal((await subscribe(srv, await token(k))).status, 401, 'no agent_id claim');
    } finally {
      await srv.close();
    }
  });
});

test('`lifeline serve --jwks-url … --issuer … --audience …` as a process: subscribes with an IdP token, logs refusals', async () => {
  const idp2 = jwksServer();
  const url = await idp2.ready;
  const k = await makeKey('proc', 'ES256');
  idp2.state.keys = [k.jwk];
  const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;
  const args = ['serve', '--port', '0', '--jwks-url', url, '--issuer', ISS, '--audience', AUD, '--clock-skew', '5s'];
  const serve = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  serve.stderr.on('data', (d) => {
    stderr += d;
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ready line in 20 s; stderr: ${stderr}`)), 20000);
      createInterface({ input: serve.stdout }).once('line', (l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
    const srv = { url: JSON.parse(line).url as string };
    assert.match(stderr, /"event":"no-admin-token"/, 'warned that nobody can publish');
    assert.equal((await subscribe(srv, await token(k))).status, 200);
    assert.equal((await subscribe(srv, await token(k, { exp: now() - 10 }))).status, 401, '10 s late > 5 s skew');
    await until(() => /"event":"auth-rejected"/.test(stderr), 5000, 'the auth-rejected log line');
    assert.match(stderr, /"event":"auth-rejected","mode":"jwt","code":"ERR_JWT_EXPIRED"/);
  } finally {
    serve.kill('SIGTERM');
    await new Promise((r) => (serve.exitCode !== null ? r(null) : serve.once('exit', r)));
    await new Promise((r) => idp2.http.close(r));
  }
});
