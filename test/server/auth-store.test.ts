import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAuth } from '../../src/server/auth.ts';
import { MemoryStore } from '../../src/server/memory-store.ts';

test('secret tokens: round trip, tamper-proof, admin separate', () => {
  const a = createAuth({ mode: 'secret', secret: 's3cret' });
  const t = a.tokenFor('agent-1')!;
  assert.equal(a.agentFor(t), 'agent-1');
  const flipped = t.slice(0, -3) + (t.at(-3) === 'A' ? 'B' : 'A') + t.slice(-2);
  assert.equal(a.agentFor(flipped), undefined, 'tampered signature');
  const [v, , sig] = t.split('.');
  assert.equal(a.agentFor(`${v}.${Buffer.from('agent-2').toString('base64url')}.${sig}`), undefined, 'swapped agent');
  assert.equal(a.agentFor(createAuth({ mode: 'secret', secret: 'other' }).tokenFor('agent-1')), undefined);
  assert.equal(a.isAdmin(t), false);
  assert.equal(a.isAdmin(a.adminToken), true);
  assert.equal(a.agentFor(a.adminToken), undefined, 'the admin token is not an agent');
  for (const junk of ['', 'v1', 'v1..', 'v1.x.y.z', '💥', 'Bearer x']) assert.equal(a.agentFor(junk), undefined);
});

test('tokens file and dev mode', () => {
  const a = createAuth({ mode: 'tokens', tokens: { tok1: 'agent-1', adm: '@admin', bad: 'no spaces' } });
  assert.equal(a.agentFor('tok1'), 'agent-1');
  assert.equal(a.agentFor('bad'), undefined);
  assert.equal(a.agentFor('toString'), undefined, 'no prototype keys');
  assert.equal(a.isAdmin('adm'), true);
  const d = createAuth({ mode: 'dev' });
  assert.equal(d.agentFor('agent:x1'), 'x1');
  assert.equal(d.agentFor('bench-agent-7'), 'bench-agent-7');
  assert.equal(d.agentFor('has space'), undefined);
  assert.equal(d.isAdmin('admin'), true);
  const o = createAuth({ mode: 'dev' }, 'override');
  assert.equal(o.isAdmin('admin'), false);
  assert.equal(o.isAdmin('override'), true);
});

test('memory store: bounded ring per agent, ordered reads, head/oldest', async () => {
  const s = new MemoryStore({ maxPerAgent: 3, epoch: 'E' });
  assert.deepEqual(await s.info('a'), { epoch: 'E', headSeq: 0, oldestSeq: 1 });
  for (let i = 1; i <= 5; i++) assert.deepEqual(await s.append('a', 'T', i, 0), { epoch: 'E', seq: i });
  assert.deepEqual(await s.info('a'), { epoch: 'E', headSeq: 5, oldestSeq: 3 });
  assert.deepEqual(
    (await s.read('a', 1, 10)).entries.map((e) => e.data),
    [3, 4, 5],
  );
  assert.deepEqual(
    (await s.read('a', 4, 1)).entries.map((e) => e.seq),
    [4],
  );
  assert.deepEqual((await s.read('a', 6, 10)).entries, []);
  assert.equal(s.backlogSize(), 3);
  await s.append('b', 'T', 1, 0);
  assert.equal(s.backlogSize(), 4);
  await s.setCseq('a', 'c1', 9);
  assert.equal(await s.getCseq('a', 'c1'), 9);
  assert.equal(await s.getCseq('a', 'c2'), 0);
});

test('jwt mode: agentOf verifies, agentFor refuses to answer synchronously, only --admin-token is admin', async () => {
  const { SignJWT, exportJWK, generateKeyPair } = await import('jose');
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const rejects: string[] = [];
  const cfg = { mode: 'jwt' as const, jwks: { keys: { keys: [jwk] } }, issuer: 'https://i/', audience: 'a' };
  const a = createAuth(cfg, 'adm', (r) => rejects.push(r.code));
  const sign = (sub: string, exp = '5m') =>
    new SignJWT({ sub })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://i/')
      .setAudience('a')
      .setExpirationTime(exp)
      .sign(privateKey);
  assert.equal(await a.agentOf(await sign('agent-1')), 'agent-1');
  assert.equal(await a.agentOf(await sign('agent-1', '-5m')), undefined);
  assert.deepEqual(rejects, ['ERR_JWT_EXPIRED']);
  assert.equal(await a.agentOf('adm'), undefined);
  assert.equal(await a.agentOf('not.a.jwt'), undefined);
  assert.throws(() => a.agentFor('x'), /use agentOf/);
  assert.equal(a.isAdmin('adm'), true);
  assert.equal(a.isAdmin(await sign('@admin')), false);
  assert.equal(a.tokenFor('agent-1'), undefined, 'nothing is minted in jwt mode');
  assert.equal(createAuth(cfg).isAdmin('adm'), false, 'no --admin-token: nobody publishes');
  const s = createAuth({ mode: 'secret', secret: 's3cret' });
  assert.equal(await s.agentOf(s.tokenFor('agent-1')), 'agent-1', 'agentOf answers in the synchronous modes too');
});
