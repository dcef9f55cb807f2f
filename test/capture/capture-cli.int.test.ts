// `lifeline capture inspect` / `extract` as a user runs them (the real CLI in a child process).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { captureToEvents } from '../../src/capture/capture-events.ts';
import { scenarios } from './analysis/scenarios.ts';
import { dnsResponse, frameOf, TcpScript, udpFrame, writePcap, writePcapFrames } from './analysis/synth.ts';
import { requireTool, tsharkCount } from './analysis/tshark.ts';

const bin = new URL('../../bin/lifeline.js', import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-capture-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('inspect: text summary names the flow state, the RST sender and its TTL against the usual one', () => {
  const f = join(dir, 'rst.pcap');
  writePcap(f, scenarios.middleboxReset().packets);
  const r = run('capture', 'inspect', f);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /packets {3}24 /);
  assert.match(r.stdout, /10\.0\.0\.1:50000-10\.0\.0\.2:443 {2}RSTR ShADdar/);
  assert.match(r.stdout, /rst by middlebox \(ttl 250, usual 57\)/);
  const j = run('capture', 'inspect', f, '--json');
  assert.equal(j.status, 0);
  const report = JSON.parse(j.stdout);
  assert.equal(report.packets, 24);
  assert.deepEqual(report.flows.byState, { RSTR: 1 });
  assert.equal(report.flows.list[0].close.by, 'middlebox');
});

test('inspect: anomalies are counted; a missing file and a non-capture exit 3; --help teaches', () => {
  const f = join(dir, 'dup.pcap');
  writePcap(f, scenarios.dupAcksFastRetransmission().packets);
  const r = run('capture', 'inspect', f, '--json');
  assert.deepEqual(JSON.parse(r.stdout).anomalies, { 'dup-ack': 3, 'fast-retransmission': 1, 'lost-segment': 1 });
  const missing = run('capture', 'inspect', join(dir, 'nope.pcap'));
  assert.equal(missing.status, 3);
  assert.match(missing.stderr, /CAPTURE_OPEN_FAILED/);
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'hello, this is not a capture');
  const j = run('capture', 'inspect', junk);
  assert.equal(j.status, 3);
  assert.match(j.stdout, /CAPTURE_UNKNOWN_FORMAT at byte 0/);
  const h = run('capture', 'inspect', '--help');
  assert.equal(h.status, 0);
  assert.match(h.stdout, /Examples:/);
  assert.equal(run('capture', 'inspect', f, '--max-flows', 'x').status, 2);
});

test('inspect reads gzip files and stdin ("-") the same way', () => {
  const f = join(dir, 'ka.pcap');
  writePcap(f, scenarios.keepAlive().packets);
  const gz = join(dir, 'ka.pcap.gz');
  writeFileSync(gz, gzipSync(readFileSync(f)));
  const plain = JSON.parse(run('capture', 'inspect', f, '--json').stdout);
  const zipped = JSON.parse(run('capture', 'inspect', gz, '--json').stdout);
  const piped = spawnSync(process.execPath, [bin, 'capture', 'inspect', '-', '--json'], {
    input: readFileSync(gz),
    encoding: 'utf8',
  });
  assert.equal(piped.status, 0, piped.stderr);
  const stdin = JSON.parse(piped.stdout);
  assert.equal(zipped.gzip, true);
  assert.equal(stdin.gzip, true);
  assert.deepEqual(zipped.anomalies, { 'keep-alive': 2, 'keep-alive-ack': 2 });
  for (const r of [zipped, stdin]) {
    assert.equal(r.packets, plain.packets);
    assert.deepEqual(r.anomalies, plain.anomalies);
    assert.deepEqual(r.flows.byState, plain.flows.byState);
  }
});

function notifsCapture(file: string): void {
  const frames: { ts: number; data: Uint8Array }[] = [];
  const t0 = 1_700_000_000_000;
  frames.push({
    ts: t0,
    data: udpFrame(
      '10.0.0.53',
      '10.0.0.1',
      53,
      40000,
      dnsResponse('api.wxcc-us1.cisco.com', ['203.0.113.10'], 'edge.example.net'),
    ),
  });
  const notifs = new TcpScript({ t0: t0 + 5, server: '203.0.113.10' }).handshake();
  notifs.send('c', 'x');
  const other = new TcpScript({ t0: t0 + 6, server: '198.51.100.7', cport: 50001 }).handshake();
  for (const p of [...notifs.packets, ...other.packets].sort((a, b) => a.ts - b.ts))
    frames.push({ ts: p.ts, data: frameOf(p) });
  writePcapFrames(file, frames);
}

test('extract --host: addresses from the DNS answer inside the capture; output opens in tshark', () => {
  requireTool('tshark', 'tshark');
  const f = join(dir, 'pc.pcap');
  notifsCapture(f);
  const out = join(dir, 'notifs.pcapng');
  const r = run('capture', 'extract', f, '--host', 'api.wxcc-us1.cisco.com', '-o', out, '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.addresses, { '203.0.113.10': ['api.wxcc-us1.cisco.com'] });
  assert.equal(j.packetsRead, 8);
  assert.equal(j.packetsWritten, 5); // the DNS answer + 3-way handshake + 1 data segment
  assert.equal(tsharkCount(out), 5);
  assert.equal(tsharkCount(out, 'ip.addr==198.51.100.7'), 0);
  assert.equal(tsharkCount(out, 'dns'), 1);
  assert.equal(run('capture', 'extract', f, '-o', join(dir, 'x.pcapng')).status, 2);
});

test('extract: "0 of N packets matched" exits 4 and leaves no file; the input and an existing file are never written over', () => {
  const f = join(dir, 'pc-guard.pcap');
  notifsCapture(f);
  const before = readFileSync(f);
  const none = join(dir, 'none.pcapng');
  const r = run('capture', 'extract', f, '--host', 'api.wxcc-eu1.cisco.com', '-o', none);
  assert.equal(r.status, 4, r.stderr);
  assert.match(r.stderr, /EXTRACT_NOTHING_MATCHED: 0 of 8 packets matched; no output written/);
  assert.match(r.stdout, /EXTRACT_HOST_UNRESOLVED/);
  assert.equal(existsSync(none), false);
  // A filter matching nothing, written over its own input: refused before anything is written.
  const self = run('capture', 'extract', f, '--ip', '192.0.2.99', '-o', f);
  assert.equal(self.status, 2);
  assert.match(self.stderr, /USAGE_OUTPUT_IS_INPUT/);
  // Even with --force, and through a symlink or a hard link (same inode).
  const sym = join(dir, 'sym.pcap');
  symlinkSync(f, sym);
  const hard = join(dir, 'hard.pcap');
  linkSync(f, hard);
  for (const out of [sym, hard]) {
    const x = run('capture', 'extract', f, '--ip', '203.0.113.10', '-o', out, '--force');
    assert.equal(x.status, 2, out);
    assert.match(x.stderr, /USAGE_OUTPUT_IS_INPUT/);
  }
  assert.deepEqual(readFileSync(f), before, 'the input is untouched');
  // The --keylog file is an input too.
  const keys = join(dir, 'keys.log');
  writeFileSync(keys, '# no keys\n');
  const k = run('capture', 'extract', f, '--ip', '203.0.113.10', '--keylog', keys, '-o', keys, '--force');
  assert.equal(k.status, 2);
  assert.equal(readFileSync(keys, 'utf8'), '# no keys\n');
  // An existing output: refused without --force (untouched), replaced with it.
  const out = join(dir, 'exists.pcapng');
  writeFileSync(out, 'precious');
  const refused = run('capture', 'extract', f, '--ip', '203.0.113.10', '-o', out);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /USAGE_OUTPUT_EXISTS: -o .*exists\.pcapng already exists.*--force/);
  assert.equal(readFileSync(out, 'utf8'), 'precious');
  const replaced = run('capture', 'extract', f, '--ip', '203.0.113.10', '-o', out, '--force', '--json');
  assert.equal(replaced.status, 0, replaced.stderr);
  assert.equal(JSON.parse(replaced.stdout).packetsWritten, 4);
  assert.deepEqual([...readFileSync(out).subarray(0, 4)], [0x0a, 0x0d, 0x0d, 0x0a], 'now a pcapng');
  // With --force and nothing matched, the existing file stays as it was.
  writeFileSync(out, 'precious');
  assert.equal(run('capture', 'extract', f, '--ip', '192.0.2.99', '-o', out, '--force').status, 4);
  assert.equal(readFileSync(out, 'utf8'), 'precious');
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.part')),
    [],
    'no temporary file left behind',
  );
});

test('extract: --ip takes only addresses, --host only names; a directory is named as such, not EISDIR', () => {
  const f = join(dir, 'pc-args.pcap');
  notifsCapture(f);
  const o = join(dir, 'args.pcapng');
  for (const [flag, value, code] of [
    ['--ip', 'api.wxcc-us1.cisco.com', 'USAGE_BAD_IP'],
    ['--ip', '1192.168.2.2', 'USAGE_BAD_IP'],
    ['--host', '203.0.113.10', 'USAGE_BAD_HOST'],
    ['--host', 'bad host;rm', 'USAGE_BAD_HOST'],
  ]) {
    const r = run('capture', 'extract', f, flag, value, '-o', o);
    assert.equal(r.status, 2, `${flag} ${value}`);
    assert.match(r.stderr, new RegExp(code));
  }
  assert.equal(run('capture', 'extract', f, '--ip', '2001:db8::10', '-o', o).status, 4, 'a valid IPv6 is accepted');
  const d = run('capture', 'inspect', dir);
  assert.equal(d.status, 3);
  assert.match(d.stderr, /CAPTURE_OPEN_FAILED: cannot open .*: is a directory, not a file/);
  assert.doesNotMatch(d.stderr, /EISDIR/);
  for (const cmd of [
    ['inspect', f],
    ['extract', f, '--ip', '203.0.113.10', '-o', o],
  ]) {
    const k = run('capture', ...cmd, '--keylog', dir);
    assert.equal(k.status, 3, cmd[0]);
    assert.match(k.stderr, /KEYLOG_OPEN_FAILED: --keylog .*: is a directory, not a file/);
  }
  const nowhere = join(dir, 'no-such-dir', 'x.pcapng');
  const w = run('capture', 'extract', f, '--ip', '203.0.113.10', '-o', nowhere);
  assert.equal(w.status, 3);
  assert.ok(w.stderr.includes(`CAPTURE_WRITE_FAILED: cannot write ${nowhere}: ENOENT`), w.stderr);
  const x = run('capture', 'extract', dir, '--ip', '203.0.113.10', '-o', o);
  assert.equal(x.status, 3);
  assert.match(x.stderr, /is a directory, not a file/);
});

test('inspect: the time span is a human duration', () => {
  const f = join(dir, 'span.pcap');
  notifsCapture(f);
  const r = run('capture', 'inspect', f);
  assert.equal(r.status, 0, r.stderr);
  // 1700000000.000 → 1700000000.006 plus the scripted steps: was "(0.007 s)"
  assert.match(r.stdout, /\(\d+(\.\d)? ms\)\n/);
});

test('captureToEvents: DNS answers become dns-answer events and meta.dnsNames', async () => {
  const f = join(dir, 'pc2.pcap');
  notifsCapture(f);
  const r = await captureToEvents(f);
  const dns = r.events.find((e) => e.kind === 'dns-answer');
  assert.deepEqual(dns?.kind === 'dns-answer' && [dns.name, dns.addresses, dns.cnames], [
    'api.wxcc-us1.cisco.com',
    ['203.0.113.10'],
    ['edge.example.net'],
  ]);
  const names = r.meta.dnsNames as { name: string }[];
  assert.equal(names[0].name, 'api.wxcc-us1.cisco.com');
  // Both flows are on port 443: each has a tcp conn-open event.
  assert.equal(r.events.filter((e) => e.kind === 'conn-open').length, 2);
});
