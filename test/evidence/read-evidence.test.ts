import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { LifelineError } from '../../src/cli/exit-codes.ts';
import { detectBytes, detectFormat } from '../../src/evidence/detect-format.ts';
import { readEvidence } from '../../src/evidence/read-evidence.ts';

const fx = (name: string) => new URL(`../fixtures/evidence/${name}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lifeline-detect-'));
const b = (...x: number[]) => Uint8Array.from(x);

test('capture magic numbers in both byte orders, µs and ns, and pcapng', () => {
  assert.deepEqual(detectBytes(b(0xa1, 0xb2, 0xc3, 0xd4, 0)), { kind: 'capture', detail: 'pcap' });
  assert.deepEqual(detectBytes(b(0xd4, 0xc3, 0xb2, 0xa1, 0)), { kind: 'capture', detail: 'pcap' });
  assert.deepEqual(detectBytes(b(0xa1, 0xb2, 0x3c, 0x4d)), { kind: 'capture', detail: 'pcap-ns' });
  assert.deepEqual(detectBytes(b(0x4d, 0x3c, 0xb2, 0xa1)), { kind: 'capture', detail: 'pcap-ns' });
  assert.deepEqual(detectBytes(b(0x0a, 0x0d, 0x0d, 0x0a, 0x1c)), { kind: 'capture', detail: 'pcapng' });
});

test('JSON kinds by their top-level keys, whatever the file is called', async () => {
  const cases: [string, string][] = [
    ['chrome-wxcc.har', 'har'],
    ['firefox.har', 'har'],
    ['netlog-ws.json', 'netlog'],
    ['report-v1.json', 'report'],
    ['asa.log', 'device-log'],
    ['panos-syslog.log', 'device-log'],
    ['panos-export.csv', 'device-log'],
    ['fortigate.log', 'device-log'],
    ['conntrack-ts.log', 'device-log'],
  ];
  for (const [name, kind] of cases) {
    // Misleading names: the content decides.
    const f = join(tmp, `${name}.txt`);
    copyFileSync(fx(name), f);
    const d = await detectFormat(f);
    assert.equal(d.kind, kind, name);
    assert.equal(d.gzip, false);
  }
});

test('gzip: looks inside', async () => {
  const f = join(tmp, 'netlog.bin');
  writeFileSync(f, gzipSync(readFileSync(fx('netlog-ws.json'))));
  const d = await detectFormat(f);
  assert.deepEqual(d, { kind: 'netlog', detail: 'json', gzip: true });
  const r = await readEvidence(f);
  assert.equal(r.kind, 'netlog');
  assert.equal(r.meta.gzip, true);
  assert.ok(r.events.length > 50);
});

test('readEvidence dispatches to each reader', async () => {
  for (const [name, kind] of [
    ['chrome-wxcc.har', 'har'],
    ['netlog-wss.json', 'netlog'],
    ['report-v1.json', 'report'],
    ['fortigate.log', 'device-log'],
  ] as const) {
    const r = await readEvidence(fx(name));
    assert.equal(r.kind, kind);
    assert.equal(r.file, fx(name));
    assert.ok(r.events.length > 0, name);
    assert.ok(r.events.every((e) => e.source === fx(name) && e.sourceKind === kind));
  }
});

test('unknown formats and missing files are clear INPUT errors naming the file', async () => {
  const f = join(tmp, 'notes.txt');
  writeFileSync(f, 'hello\nthis is not evidence\n');
  await assert.rejects(readEvidence(f), (e: unknown) => {
    assert.ok(e instanceof LifelineError);
    assert.equal(e.code, 'EVIDENCE_UNKNOWN_FORMAT');
    assert.equal(e.kind, 'input');
    assert.ok(e.message.includes(f));
    return true;
  });
  const j = join(tmp, 'other.json');
  writeFileSync(j, '{"hello":"world"}');
  await assert.rejects(readEvidence(j), /EVIDENCE_UNKNOWN_FORMAT|top-level keys: hello/);
  const empty = join(tmp, 'empty');
  writeFileSync(empty, '');
  await assert.rejects(readEvidence(empty), (e: unknown) => e instanceof LifelineError && /empty file/.test(e.message));
  await assert.rejects(
    readEvidence(join(tmp, 'nope')),
    (e: unknown) => e instanceof LifelineError && e.code === 'EVIDENCE_UNREADABLE' && e.kind === 'input',
  );
});

test('a cut-off gzip file: what decompressed is read, the broken stream is a problem', async () => {
  const gz = gzipSync(readFileSync(fx('netlog-ws.json')));
  const f = join(tmp, 'cut.json.gz');
  writeFileSync(f, gz.subarray(0, Math.floor(gz.length * 0.95)));
  const r = await readEvidence(f);
  assert.equal(r.kind, 'netlog');
  assert.ok(r.problems.some((p) => p.code === 'GZIP_BROKEN' && p.severity === 'error'));
  assert.ok(r.problems.some((p) => p.code === 'NETLOG_TRUNCATED'));
  assert.ok(r.events.some((e) => e.kind === 'conn-open'));
});

test('a gzip stream that does not decompress is an unknown format that says so', async () => {
  const f = join(tmp, 'bad.gz');
  writeFileSync(f, Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x03, 0x01, 0x02, 0x03));
  await assert.rejects(
    readEvidence(f),
    (e: unknown) => e instanceof LifelineError && /gzip stream that does not decompress/.test(e.message),
  );
});
