// `lifeline serve` and `lifeline desktop` as processes: the ready line, JSON logs, state lines, the report file.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { assertValidReport } from '../desktop/report-schema.ts';
import { until } from './helpers.ts';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;
const procs: ChildProcess[] = [];
after(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
});

function firstLine(p: ChildProcess, timeoutMs = 20000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no stdout line in time')), timeoutMs);
    createInterface({ input: p.stdout! }).once('line', (l) => {
      clearTimeout(t);
      resolve(l);
    });
  });
}

function exited(p: ChildProcess, timeoutMs = 20000): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (p.exitCode !== null) return resolve(p.exitCode);
    const t = setTimeout(() => reject(new Error('process did not exit in time')), timeoutMs);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

test('serve --port 0 prints the listening line; desktop connects, prints states, writes a report', async () => {
  const serve = spawn(
    process.execPath,
    [bin, 'serve', '--port', '0', '--keepalive-ms', '200', '--silence-ms', '1000'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  procs.push(serve);
  let stderr = '';
  serve.stderr!.on('data', (d) => {
    stderr += d;
  });
  const ready = JSON.parse(await firstLine(serve));
  assert.equal(ready.event, 'listening');
  assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(Object.keys(ready), ['event', 'url', 'nodeId']);
  assert.match(ready.nodeId, /^n-[0-9a-f]{8}$/, 'a random node id when --node-id is not given');

  const dir = mkdtempSync(join(tmpdir(), 'lifeline-cli-'));
  const report = join(dir, 'report.json');
  const desk = spawn(
    process.execPath,
    [
      bin,
      'desktop',
      '--server',
      ready.url,
      '--agent',
      'cli-1',
      '--token',
      'agent:cli-1',
      '--json',
      '--keepalive',
      '200',
      '--silence',
      '1000',
      '--duration',
      '1.5',
      '--report',
      report,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  procs.push(desk);
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: desk.stdout! }).on('line', (l) => lines.push(JSON.parse(l)));
  assert.equal(await exited(desk), 0);
  const states = lines.filter((l) => l.event === 'state').map((l) => l.to);
  assert.deepEqual(states, ['connecting', 'connected', 'closed']);
  const r = JSON.parse(readFileSync(report, 'utf8'));
  assertValidReport(r);
  assert.equal(r.agentId, 'cli-1');
  assert.ok(r.totals.keepalivesSent > 0);

  serve.kill('SIGTERM');
  assert.equal(await exited(serve), 0);
  const logs = stderr
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(logs.some((l) => l.event === 'connect' && l.agentId === 'cli-1'));
  assert.ok(logs.every((l) => typeof l.ts === 'string' && typeof l.level === 'string'));
});

test('--tokens FILE binds tokens to agents; an unreadable file exits 3', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-tok-'));
  const file = join(dir, 'tokens.json');
  writeFileSync(file, JSON.stringify({ 'tok-alice': 'alice', 'tok-admin': '@admin' }));
  const serve = spawn(process.execPath, [bin, 'serve', '--port', '0', '--tokens', file], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  procs.push(serve);
  const { url } = JSON.parse(await firstLine(serve));
  const sub = (t: string) =>
    fetch(`${url}/v1/notification/subscribe`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t}` },
      body: '{}',
    });
  assert.equal((await sub('tok-alice')).status, 200);
  assert.equal((await sub('agent:alice')).status, 401);
  assert.equal((await sub('tok-admin')).status, 401, 'the admin token is not an agent token');
  const pub = await fetch(`${url}/v1/notification/publish`, {
    method: 'POST',
    headers: { authorization: 'Bearer tok-admin' },
    body: JSON.stringify({ agentId: 'alice', type: 'T', data: { n: 1 } }),
  });
  assert.equal(pub.status, 200);
  serve.kill('SIGTERM');
  await exited(serve);
  const r = spawnSync(process.execPath, [bin, 'serve', '--tokens', join(dir, 'missing.json')], { encoding: 'utf8' });
  assert.equal(r.status, 3);
  assert.match(r.stderr, /tokens-unreadable/);
});

test('usage errors exit 2; a token can be printed for secret auth', () => {
  let r = spawnSync(process.execPath, [bin, 'serve', '--host', '0.0.0.0', '--port', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /auth-required/);
  r = spawnSync(process.execPath, [bin, 'serve', '--secret', 'abcdefgh', '--print-token', 'agent-9'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}\n$/);
  r = spawnSync(process.execPath, [bin, 'serve', '--jwks-url', 'https://idp.example/jwks', '--port', '0'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2, 'jwt auth without --issuer/--audience');
  assert.match(r.stderr, /jwt-incomplete.*needs --issuer and --audience/);
  r = spawnSync(process.execPath, [bin, 'desktop', '--server', 'x', '--agent', 'a', '--token', 't'], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 2);
  r = spawnSync(process.execPath, [bin, 'desktop', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Examples:/);
});

test('serve --cors-origin answers the preflight; --keepalive-ms ≥ 8000 warns; --cors-origin "*" exits 2', async () => {
  const serve = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--port',
      '0',
      '--keepalive-ms',
      '8000',
      '--silence-ms',
      '30000',
      '--cors-origin',
      'http://app.test:3000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  procs.push(serve);
  let stderr = '';
  serve.stderr!.on('data', (d) => {
    stderr += d;
  });
  const { url } = JSON.parse(await firstLine(serve));
  const r = await fetch(`${url}/v1/notification/subscribe`, {
    method: 'OPTIONS',
    headers: { origin: 'http://app.test:3000', 'access-control-request-method': 'POST' },
  });
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('access-control-allow-origin'), 'http://app.test:3000');
  await until(() => /"event":"listening"/.test(stderr), 5000, 'the start-up logs');
  const warn = stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((l) => l.event === 'keepalive-too-slow');
  assert.equal(warn?.level, 'warn');
  assert.match(warn.message, /8000 ms of silence/);
  serve.kill('SIGTERM');
  await exited(serve);
  const bad = spawnSync(process.execPath, [bin, 'serve', '--port', '0', '--cors-origin', '*'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /exact origins/);
});

test('serve at the default 4 s keepalive does not warn', async () => {
  const serve = spawn(process.execPath, [bin, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(serve);
  let stderr = '';
  serve.stderr!.on('data', (d) => {
    stderr += d;
  });
  const ended = new Promise((resolve) => serve.stderr!.once('end', resolve));
  await firstLine(serve);
  serve.kill('SIGTERM');
  await exited(serve);
  await ended;
  assert.match(stderr, /"event":"listening"/, 'the logs were read');
  assert.doesNotMatch(stderr, /keepalive-too-slow/);
});
