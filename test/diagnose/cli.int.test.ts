// `lifeline diagnose` as a user runs it: real evidence files in, reports and exit codes out.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/lifeline.js', import.meta.url));
const files = fileURLToPath(new URL('../fixtures/diagnose/files/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'lifeline-diagnose-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'diagnose', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('an error report of a throttled tab: desktop-throttled, as JSON with the versioned schema', () => {
  const r = run(join(files, 'throttled.report.json'), '--json');
  assert.equal(r.status, 0, r.stderr);
  const d = JSON.parse(r.stdout);
  assert.equal(d.schema, 'lifeline.diagnosis');
  assert.equal(d.version, 1);
  assert.equal(d.incidents.length, 1);
  assert.equal(d.incidents[0].cause, 'desktop-throttled');
  assert.equal(d.incidents[0].domain, 'desktop');
  assert.equal(d.incidents[0].outcome.status, 'recovered');
  assert.ok(d.incidents[0].nextSteps.some((s: string) => s.includes('IntensiveWakeUpThrottlingEnabled')));
  assert.ok(d.incidents[0].missing.some((m: { step: number }) => m.step === 6));
  assert.ok(!r.stdout.includes('SECRET-IN-URL'));
});

test('a HAR of inbound loss: text report with the summary first; secrets never printed', () => {
  const r = run(join(files, 'inbound-loss.har'));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], '1 incident: 1 inbound-loss (network)');
  assert.match(r.stdout, /would settle it:\n\s+- step 1/);
  assert.ok(!r.stdout.includes('SECRET-HEADER'));
});

test('an unreadable, missing or directory file exits 3 naming each; --allow-missing analyses the rest', () => {
  const har = join(files, 'inbound-loss.har');
  const missing = join(tmp, 'typo.har');
  const strict = run(join(files, 'garbage.bin'), har, missing, tmp, '--json');
  assert.equal(strict.status, 3);
  assert.equal(strict.stdout, '', 'no diagnosis of partial evidence without --allow-missing');
  // Missing paths are found before any file is read (a typo costs no wait on a big capture).
  assert.match(strict.stderr, /DIAGNOSE_UNREADABLE: 2 of 4 file\(s\) cannot be read/);
  assert.match(strict.stderr, /typo\.har: INPUT_MISSING: no such file/);
  assert.match(strict.stderr, /INPUT_IS_DIRECTORY: is a directory, not a file/);
  assert.match(strict.stderr, /--allow-missing/);
  assert.doesNotMatch(strict.stderr, /EISDIR/);
  const unknown = run(join(files, 'garbage.bin'), har);
  assert.equal(unknown.status, 3, 'a file of no known format among readable ones is not silently dropped either');
  assert.match(unknown.stderr, /1 of 2 file\(s\) cannot be read:\n {2}.*garbage\.bin: EVIDENCE_UNKNOWN_FORMAT/);
  const mixed = run(join(files, 'garbage.bin'), har, missing, '--json', '--allow-missing');
  assert.equal(mixed.status, 0, mixed.stderr);
  assert.match(mixed.stderr, /warning: .*garbage\.bin/);
  assert.match(mixed.stderr, /warning: .*typo\.har: INPUT_MISSING/);
  const d = JSON.parse(mixed.stdout);
  assert.deepEqual(d.unreadable.map((u: { code: string }) => u.code).sort(), [
    'EVIDENCE_UNKNOWN_FORMAT',
    'INPUT_MISSING',
  ]);
  assert.equal(d.incidents[0].cause, 'inbound-loss');
  // A bad --keylog is blamed on --keylog, not on the capture it was meant for.
  const keys = run(har, '--keylog', tmp);
  assert.equal(keys.status, 3);
  assert.match(keys.stderr, /KEYLOG_OPEN_FAILED: --keylog .*: is a directory, not a file/);
  const none = run(join(files, 'garbage.bin'), join(tmp, 'missing.pcap'), '--allow-missing');
  assert.equal(none.status, 3);
  assert.match(none.stderr, /DIAGNOSE_NOTHING_READABLE/);
});

test('usage errors exit 2 with the reason; --dc lists the data centres, --ip takes addresses, --host names', () => {
  const har = join(files, 'inbound-loss.har');
  assert.equal(run(har, '--silence', '16q').status, 2);
  for (const bad of ['us1;rm', 'xx9', 'us']) {
    const dc = run(har, '--dc', bad);
    assert.equal(dc.status, 2, bad);
    assert.match(
      dc.stderr,
      /USAGE_BAD_DC: .*known: us1, eu1, eu2, anz1, ca1, jp1, sg1, in1 \(any other Notifs host: --host NAME\)/,
    );
  }
  assert.equal(run(har, '--dc', 'EU2').status, 0, 'case does not matter');
  for (const bad of ['1192.168.2.2', '10.0.0', 'api.wxcc-us1.cisco.com', ':::']) {
    const ip = run(har, '--ip', bad);
    assert.equal(ip.status, 2, bad);
    assert.match(ip.stderr, /USAGE_BAD_IP: .*not an IPv4 or IPv6 address/);
  }
  assert.equal(run(har, '--ip', '2001:db8::10').status, 0);
  const host = run(har, '--host', '203.0.113.10');
  assert.equal(host.status, 2);
  assert.match(host.stderr, /USAGE_BAD_HOST: .*an address goes to --ip/);
  assert.equal(run(har, '--host', 'bad..name').status, 2);
  assert.equal(run(har, '--host', 'notifs.example.com').status, 0);
  assert.equal(run().status, 2);
});

test('--fail-on-incident exits 4 when incidents are found; --html and --md write their reports', () => {
  const html = join(tmp, 'r.html');
  const md = join(tmp, 'r.md');
  const r = run(join(files, 'inbound-loss.har'), '--fail-on-incident', '--html', html, '--md', md);
  assert.equal(r.status, 4, r.stderr);
  const h = readFileSync(html, 'utf8');
  assert.match(h, /data-incidents="1"/);
  assert.match(h, /Content-Security-Policy/);
  assert.match(readFileSync(md, 'utf8'), /## Incident 1: inbound-loss/);
});

test('--help teaches: examples and exit codes', () => {
  const r = spawnSync(process.execPath, [bin, 'diagnose', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /--fail-on-incident/);
  assert.match(r.stdout, /Exit codes/);
});

test('an output path that is an evidence file is refused (evidence is never overwritten); - means stdout', () => {
  const har = join(files, 'inbound-loss.har');
  const before = readFileSync(har, 'utf8');
  const r = run('--html', har, join(files, 'throttled.report.json'));
  assert.equal(r.status, 2);
  assert.match(r.stderr, /USAGE_OUTPUT_NOT_A_REPORT/);
  assert.equal(readFileSync(har, 'utf8'), before);
  const same = run(har, '--md', har);
  assert.equal(same.status, 2);
  assert.match(same.stderr, /USAGE_OUTPUT_IS_INPUT/);
  assert.equal(readFileSync(har, 'utf8'), before);
  const link = join(tmp, 'link.har');
  symlinkSync(har, link);
  const viaLink = run(link, '--md', har);
  assert.equal(viaLink.status, 2);
  assert.match(viaLink.stderr, /USAGE_OUTPUT_IS_INPUT/, 'the same file under another name');
  assert.equal(readFileSync(har, 'utf8'), before);
  const out = run(har, '--html', '-');
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /^<!doctype html>/);
  assert.match(out.stdout, /data-incidents="1"/);
});

test('a HAR that never recorded the socket is "nothing to judge" (exit 6), even with --fail-on-incident', () => {
  for (const extra of [[], ['--fail-on-incident']]) {
    const r = run(join(files, 'no-socket.har'), ...extra);
    assert.equal(r.status, 6, r.stderr);
    assert.match(r.stdout.split('\n')[0], /^Nothing to judge/);
  }
  const j = JSON.parse(run(join(files, 'no-socket.har'), '--json').stdout);
  assert.equal(j.summary.nothingToJudge, true);
});
