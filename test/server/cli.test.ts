// `lifeline serve` auth flags: which combinations choose which mode, and the usage errors (exit 2) for the rest.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LifelineError } from '../../src/cli/exit-codes.ts';
import { type AuthOpts, authFrom } from '../../src/server/cli.ts';

const JWT = { host: '127.0.0.1', issuer: 'https://idp/', audience: 'notifs' };

async function usage(o: AuthOpts, code: string, msg: RegExp) {
  await assert.rejects(authFrom(o), (e: unknown) => {
    assert.ok(e instanceof LifelineError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.kind, 'usage');
    assert.match(e.message, msg);
    return true;
  });
}

test('jwt mode: --jwks-url with --issuer and --audience; defaults sub and 30 s', async () => {
  const cfg = await authFrom({ ...JWT, jwksUrl: 'https://idp.example/jwks.json' });
  assert.deepEqual(cfg, {
    mode: 'jwt',
    jwks: { url: 'https://idp.example/jwks.json' },
    issuer: 'https://idp/',
    audience: 'notifs',
    agentClaim: 'sub',
    clockSkewSec: 30,
  });
  const c2 = await authFrom({ ...JWT, jwksUrl: 'http://127.0.0.1:9/k', agentClaim: 'agent_id', clockSkew: '2m' });
  assert.equal(c2.mode === 'jwt' && c2.agentClaim, 'agent_id');
  assert.equal(c2.mode === 'jwt' && c2.clockSkewSec, 120);
  const c3 = await authFrom({ ...JWT, host: '0.0.0.0', jwksUrl: 'https://idp/k', clockSkew: '0' });
  assert.equal(c3.mode === 'jwt' && c3.clockSkewSec, 0, 'jwt is allowed off loopback, skew 0 allowed');
});

test('jwt mode: bad combinations are usage errors with a clear message', async () => {
  await usage({ host: '127.0.0.1', jwksUrl: 'https://idp/k' }, 'jwt-incomplete', /needs --issuer and --audience/);
  await usage({ ...JWT, audience: undefined, jwksUrl: 'https://idp/k' }, 'jwt-incomplete', /needs --audience/);
  await usage({ ...JWT, jwksUrl: 'https://idp/k', jwksFile: 'x.json' }, 'auth-conflict', /--jwks-url, --jwks-file/);
  await usage({ ...JWT, jwksUrl: 'https://idp/k', secret: 'long-enough' }, 'auth-conflict', /choose one of/);
  await usage({ ...JWT, jwksUrl: 'https://idp/k', dev: true }, 'auth-conflict', /choose one of/);
  await usage({ ...JWT, jwksUrl: 'http://idp.example/k' }, 'bad-jwks-url', /https/);
  await usage({ ...JWT, jwksUrl: 'not a url' }, 'bad-jwks-url', /not a URL/);
  await usage({ ...JWT, jwksUrl: 'https://idp/k', clockSkew: '10 minutes' }, 'bad-clock-skew', /0 to 5m/);
  await usage({ ...JWT, jwksUrl: 'https://idp/k', clockSkew: '6m' }, 'bad-clock-skew', /0 to 5m/);
  await usage({ ...JWT, jwksUrl: 'https://idp/k', agentClaim: 'a b' }, 'bad-agent-claim', /without spaces/);
  await usage({ host: '127.0.0.1', issuer: 'https://idp/' }, 'jwt-option-alone', /--issuer only apply with/);
  await usage({ host: '127.0.0.1', secret: 'long-enough', agentClaim: 'x' }, 'jwt-option-alone', /--agent-claim/);
  await usage({ host: '0.0.0.0' }, 'auth-required', /--jwks-url/);
});

test('jwt mode: --jwks-file is read, must be a public JWKS (exit 3 otherwise)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-jwks-'));
  const write = (name: string, body: string) => {
    writeFileSync(join(dir, name), body);
    return join(dir, name);
  };
  const pub = { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k' };
  const cfg = await authFrom({ ...JWT, jwksFile: write('ok.json', JSON.stringify({ keys: [pub] })) });
  assert.deepEqual(cfg.mode === 'jwt' && cfg.jwks, { keys: { keys: [pub] } });
  const input = async (file: string, msg: RegExp) =>
    assert.rejects(authFrom({ ...JWT, jwksFile: file }), (e: unknown) => {
      assert.ok(e instanceof LifelineError);
      assert.equal(e.kind, 'input');
      assert.match(e.message, msg);
      return true;
    });
  await input(join(dir, 'missing.json'), /cannot read .*missing\.json/);
  await input(write('bad.json', '{nope'), /bad\.json is not JSON/);
  await input(write('empty.json', '{"keys":[]}'), /must be a JWKS/);
  await input(write('oct.json', '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}'), /public keys only/);
  await input(write('priv.json', JSON.stringify({ keys: [{ ...pub, d: 'x' }] })), /public keys only/);
});
