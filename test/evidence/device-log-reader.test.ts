import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DeviceLogEvent } from '../../src/events/types.ts';
import { DeviceLogMapper, readDeviceLog } from '../../src/evidence/device-log-reader.ts';
import { findTime } from '../../src/evidence/device-time.ts';

const fx = (name: string) => new URL(`../fixtures/evidence/${name}`, import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'lifeline-dev-'));
const dev = (evs: unknown[]) => evs as DeviceLogEvent[];
const byLine = (evs: DeviceLogEvent[], line: number) => evs.find((e) => e.line === line)!;

test('Cisco ASA/FTD: built/teardown/deny with reasons, sides, bytes, duration; unknown lines reported', async () => {
  const r = await readDeviceLog(fx('asa.log'), { year: 2026 });
  assert.equal(r.format, 'cisco-asa');
  const e = dev(r.events);
  assert.equal(e.length, 9);
  const built = byLine(e, 1);
  assert.equal(built.action, 'built');
  assert.deepEqual([built.srcIp, built.srcPort, built.dstIp, built.dstPort], ['10.1.1.5', 51234, '203.0.113.10', 443]);
  assert.equal(built.clockUncertain, true);
  assert.equal(built.ts, Date.UTC(2026, 10, 25, 9, 0, 1));
  const td = byLine(e, 2);
  assert.equal(td.action, 'teardown');
  assert.equal(td.reason, 'TCP Reset-O from outside');
  assert.equal(td.cause, 'reset-server', 'Reset-O on an outbound connection comes from the server side');
  assert.equal(td.bytes, 123456);
  assert.equal(td.durationMs, 30 * 60 * 1000);
  assert.deepEqual([td.srcIp, td.dstIp], ['10.1.1.5', '203.0.113.10']);
  const idle = byLine(e, 3);
  assert.equal(idle.cause, 'idle-timeout');
  assert.equal(idle.ts, Date.UTC(2026, 10, 25, 9, 31, 0), 'year taken from the option');
  assert.equal(idle.srcIp, '10.1.1.6', 'without a Built line the ephemeral port side is the client');
  const deny = byLine(e, 5);
  assert.equal(deny.action, 'deny');
  assert.match(deny.reason ?? '', /flags RST ACK/);
  assert.equal(deny.clockUncertain, undefined, 'the line said UTC');
  const ftd = byLine(e, 6);
  assert.equal(ftd.cause, 'reset-device');
  assert.equal(ftd.ts, Date.UTC(2026, 10, 25, 0, 33, 0), '+09:00 applied');
  assert.equal(byLine(e, 7).cause, 'syn-timeout');
  assert.equal(byLine(e, 8).cause, 'fin');
  assert.equal(byLine(e, 9).cause, 'reset-client', 'Reset-I with the client inside');
  const acl = byLine(e, 11);
  assert.deepEqual([acl.action, acl.cause, acl.reason], ['deny', 'deny', 'Deny tcp by access-group "outside_in"']);
  assert.deepEqual([acl.srcIp, acl.srcPort, acl.dstIp, acl.dstPort], ['203.0.113.50', 4444, '10.1.1.5', 443]);
  const unknown = r.problems.filter((p) => p.code === 'DEVICE_UNKNOWN_LINE');
  assert.deepEqual(
    unknown.map((p) => p.line),
    [4],
  );
  assert.equal((r.meta.lines as { ignored: number }).ignored, 1, 'other ASA ids are counted, not mapped');
});

test('Palo Alto: syslog CSV by position and web-UI export by header', async () => {
  const a = await readDeviceLog(fx('panos-syslog.log'), { year: 2026 });
  const e = dev(a.events);
  assert.deepEqual(
    e.map((x) => [x.action, x.reason, x.cause]),
    [
      ['teardown', 'aged-out', 'idle-timeout'],
      ['teardown', 'tcp-rst-from-server', 'reset-server'],
      ['deny', 'deny (deny)', 'deny'],
    ],
  );
  assert.equal(e[0].durationMs, 60000);
  assert.equal(e[0].bytes, 7312);
  assert.equal(e[0].ts, Date.UTC(2026, 10, 25, 8, 59, 58), 'generated time, not receive time');
  assert.deepEqual([e[0].srcIp, e[0].srcPort, e[0].dstIp, e[0].dstPort], ['10.1.1.5', 51234, '203.0.113.10', 443]);
  const b = await readDeviceLog(fx('panos-export.csv'));
  const f = dev(b.events);
  assert.deepEqual(
    f.map((x) => x.cause),
    ['reset-client', 'fin'],
  );
  assert.equal(f[1].srcPort, 51241);
  assert.deepEqual(b.problems, []);
});

test('FortiGate: actions, eventtime as exact time, tz recorded only when stated', async () => {
  const r = await readDeviceLog(fx('fortigate.log'));
  const e = dev(r.events);
  const rst = e.find((x) => x.reason === 'server-rst')!;
  assert.equal(rst.cause, 'reset-server');
  assert.equal(rst.ts, 1795597205123.4568);
  assert.equal(rst.clockUncertain, undefined);
  assert.equal(rst.bytes, 1234 + 5678);
  assert.equal(rst.durationMs, 62000);
  const to = e.find((x) => x.reason === 'timeout')!;
  assert.equal(to.cause, 'idle-timeout');
  assert.equal(to.ts, Date.UTC(2026, 10, 25, 0, 1, 5), 'date/time with tz +0900');
  const crst = e.find((x) => x.reason === 'client-rst')!;
  assert.equal(crst.cause, 'reset-client');
  assert.equal(crst.clockUncertain, true, 'no tz, no eventtime');
  assert.equal(e.find((x) => x.reason === 'close')?.cause, 'fin');
  assert.equal(r.meta.utcOffsetMin, 540);
  assert.equal((r.meta.lines as { ignored: number }).ignored, 1, 'the event-type line is not a flow');
  // Line 1: 09:00:05 at tz +0900 is 00:00:05 UTC, but its eventtime says 09:00:05 UTC.
  const skew = r.problems.filter((p) => p.code === 'DEVICE_TIME_DISAGREE');
  assert.deepEqual(
    skew.map((p) => [p.line, p.message]),
    [
      [
        1,
        "line 1: date=/time= with tz= disagree with eventtime by 9 h (behind): the device's time settings contradict each other; eventtime is used",
      ],
    ],
  );
});

test('FortiGate: accept on a non-TCP session is its end; date=/time= against eventtime said once per file', async () => {
  const r = await readDeviceLog(fx('fortigate-end.log'));
  const e = dev(r.events);
  assert.deepEqual(
    e.map((x) => [x.line, x.action, x.cause, x.reason]),
    [
      [1, 'teardown', 'other', 'accept (end of a non-TCP session)'],
      [2, 'teardown', 'other', 'accept (end of a non-TCP session)'],
      [3, 'built', undefined, 'start'],
      [4, 'teardown', 'other', 'accept (end of a non-TCP session)'],
      [5, 'teardown', 'other', 'accept (end of a non-TCP session)'],
      [6, 'teardown', 'fin', 'close'],
    ],
  );
  assert.equal(e[0].durationMs, 180_000, 'a session end carries its duration');
  assert.equal(e[3].ts, Date.UTC(2026, 10, 25, 10, 0, 3), 'eventtime wins');
  assert.deepEqual(
    r.problems.map((p) => [p.code, p.line, p.message]),
    [
      [
        'DEVICE_TIME_ZONE_IMPLIED',
        4,
        "line 4 and 1 more line: date=/time= are 1 h ahead of eventtime and no tz= is given: the device's clock is local time at UTC+1:00; eventtime (UTC) is used",
      ],
      [
        'DEVICE_TIME_DISAGREE',
        6,
        "line 6: date=/time= disagree with eventtime by 37 s (ahead): the device's time settings contradict each other; eventtime is used",
      ],
    ],
  );
});

test('conntrack -E: NEW/UPDATE/DESTROY, cause from the last state, untimed lines counted not placed', async () => {
  const r = await readDeviceLog(fx('conntrack-ts.log'));
  const e = dev(r.events);
  assert.equal(e.length, 7);
  assert.equal(e[0].action, 'built');
  assert.equal(e[0].ts, 1795597200100);
  const d1 = e[4];
  assert.equal(d1.action, 'teardown');
  assert.equal(d1.reason, 'DESTROY tcp after CLOSE');
  assert.equal(d1.bytes, 10000);
  assert.equal(d1.durationMs, 110000);
  assert.equal(e[6].cause, 'syn-timeout');
  const p = await readDeviceLog(fx('conntrack-plain.log'));
  assert.equal(p.events.length, 0);
  assert.ok(p.problems.some((x) => x.code === 'DEVICE_NO_TIME' && /2 lines/.test(x.message)));
});

test('syslog year: a line month after the file month belongs to the previous year', () => {
  const t = findTime('Dec 31 23:59:59 fw: x', { year: 2027, refMonth: 0 });
  assert.equal(t?.ts, Date.UTC(2026, 11, 31, 23, 59, 59));
  assert.equal(t?.uncertain, true);
  const z = findTime('2026-11-25T09:00:00.250-05:30 host', { year: 2000 });
  assert.equal(z?.ts, Date.UTC(2026, 10, 25, 14, 30, 0, 250));
  assert.equal(z?.utcOffsetMin, -330);
});

test('hostile lines: huge, control characters, script tags: cut, counted, never thrown', async () => {
  const f = join(tmp, 'hostile.log');
  const lines = [
    `Nov 25 2026 09:00:01: %ASA-6-302014: Teardown TCP connection 1 for outside:1.2.3.4/443 to inside:10.0.0.1/5555 duration 0:00:01 bytes 1 <script>alert(1)</script>\u0007\u001b[31m`,
    'x'.repeat(1024 * 1024),
    '\u0000\u0001\u0002',
    '%ASA-6-302014: Teardown TCP connection',
  ];
  writeFileSync(f, lines.join('\r\n'));
  const r = await readDeviceLog(f, { year: 2026 });
  const e = dev(r.events);
  assert.equal(e.length, 1);
  assert.ok(e[0].raw.length <= 1024);
  assert.ok(r.problems.some((p) => p.code === 'DEVICE_LINE_TOO_LONG' && p.line === 2));
  assert.ok(r.problems.some((p) => p.code === 'DEVICE_UNKNOWN_LINE' && p.line === 3));
  assert.ok(
    r.problems.some((p) => p.code === 'DEVICE_BAD_LINE' && p.line === 4),
    'an ASA line without its fields',
  );
});

test('the mapper never throws on arbitrary text', () => {
  const m = new DeviceLogMapper('fuzz', { year: 2026 });
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pieces = [
    '%ASA-6-302014:',
    ' Teardown TCP connection ',
    'for ',
    'outside:',
    '1.2.3.4/',
    '443',
    ' to ',
    'duration ',
    '1:2:3',
    'bytes ',
    '[DESTROY]',
    ' src=',
    'logid=1234567',
    ' type=traffic',
    ' action=',
    ',TRAFFIC,end,',
    'Nov 25 ',
    '09:00:00',
    '"',
    '\\',
    ',',
  ];
  for (let i = 0; i < 3000; i++) {
    let s = '';
    const n = Math.floor(rnd() * 12);
    for (let k = 0; k < n; k++) s += pieces[Math.floor(rnd() * pieces.length)];
    m.line(s, i + 1, false);
  }
  const r = m.finish([]);
  assert.ok(r.events.every((e) => Number.isFinite(e.ts)));
  assert.equal(r.problems.filter((p) => p.code === 'DEVICE_PARSER_BUG').length, 0);
});

test('ASA/FTD with a message class tag and a Teardown without a Built line', () => {
  const m = new DeviceLogMapper('ftd.log', { year: 2026 });
  m.line(
    '2026-11-25T09:00:00Z fw : %FTD-session-6-302014: Teardown TCP connection 5 for outside:203.0.113.10/443 to inside:10.1.1.5/50123 duration 0:01:00 bytes 10 TCP Reset-O from outside',
    1,
    false,
  );
  const r = m.finish([]);
  const e = dev(r.events)[0];
  assert.equal(e.cause, 'reset-server');
  assert.deepEqual([e.srcIp, e.srcPort], ['10.1.1.5', 50123]);
  assert.equal(e.reason, 'TCP Reset-O from outside');
  assert.equal(r.meta.utcOffsetMin, 0);
});

test('PAN-OS log types other than TRAFFIC are recognised and ignored, not unknown', () => {
  const m = new DeviceLogMapper('pan.log', { year: 2026 });
  m.line(
    'Nov 25 09:00:00 pa-fw01 1,2026/11/25 09:00:00,012501002341,THREAT,url,2561,2026/11/25 08:59:58,10.1.1.5,203.0.113.10',
    1,
    false,
  );
  m.line(
    'Nov 25 09:00:01 pa-fw01 1,2026/11/25 09:00:01,012501002341,SYSTEM,general,0,2026/11/25 09:00:01,,general,,0,0,general,informational,"User admin logged in"',
    2,
    false,
  );
  const r = m.finish([]);
  assert.equal(r.problems.length, 0);
  assert.equal((r.meta.lines as { ignored: number }).ignored, 2);
});

test("Cisco ASA/FTD: every documented form of 302013-302016, 106001, 106015, 106023 (Cisco's syslog guide)", async () => {
  const r = await readDeviceLog(fx('asa-forms.log'), { year: 2026 });
  const e = dev(r.events);
  const tuple = (x: DeviceLogEvent) => [x.action, x.srcIp, x.srcPort, x.dstIp, x.dstPort];
  // Identity-firewall user after the mapped address, and a user at the end of the line.
  assert.deepEqual(tuple(byLine(e, 1)), ['built', '198.51.100.7', 53725, '10.1.1.5', 443]);
  // User plus security group on both sides, outbound: the initiator is the "to" side.
  assert.deepEqual(tuple(byLine(e, 2)), ['built', '10.1.1.6', 51635, '203.0.113.10', 443]);
  const rst = byLine(e, 3);
  assert.deepEqual(tuple(rst), ['teardown', '198.51.100.7', 53725, '10.1.1.5', 443]);
  assert.deepEqual(
    [rst.reason, rst.cause, rst.bytes, rst.durationMs],
    ['TCP Reset-O from outside', 'reset-client', 4242, 300_000],
  );
  assert.deepEqual(tuple(byLine(e, 4)), ['built', '10.1.1.6', 60001, '203.0.113.53', 53]);
  const udp = byLine(e, 5);
  assert.deepEqual(
    [...tuple(udp), udp.bytes, udp.reason],
    ['teardown', '10.1.1.6', 60001, '203.0.113.53', 53, 148, undefined],
  );
  // `NP Identity Ifc` (traffic to the box itself) has spaces; Reset-O from the outside client.
  const np = byLine(e, 6);
  assert.deepEqual([...tuple(np), np.cause], ['teardown', '198.51.100.9', 28218, '203.0.113.1', 22, 'reset-client']);
  // A context prefix makes the interface `v1:outside`: the address is what parses as an IP.
  const ctx = byLine(e, 7);
  assert.deepEqual([...tuple(ctx), ctx.cause], ['teardown', '10.1.1.7', 50007, '203.0.113.10', 443, 'fin']);
  assert.deepEqual(tuple(byLine(e, 8)), ['built', 'fd00::5', 50008, '2001:db8::10', 443]);
  assert.deepEqual(tuple(byLine(e, 9)), ['deny', '10.1.1.5', 51234, '203.0.113.10', 443]);
  assert.match(byLine(e, 9).reason ?? '', /flags FIN ACK on interface inside/);
  assert.deepEqual(tuple(byLine(e, 10)), ['deny', '198.51.100.7', 4444, '10.1.1.5', 443]);
  // 106023 with an FQDN annotation, ICMP without ports, `type 3, code 0,` and `protocol 47`.
  assert.deepEqual(tuple(byLine(e, 11)), ['deny', '10.1.1.6', 51636, '203.0.113.10', 443]);
  assert.deepEqual(tuple(byLine(e, 12)), ['deny', '198.51.100.7', undefined, '10.1.1.5', undefined]);
  assert.equal(byLine(e, 12).reason, 'Deny icmp by access-group "outside_in"');
  assert.deepEqual(tuple(byLine(e, 13)), ['deny', '10.2.2.2', 6316, '203.0.113.53', 53]);
  assert.equal(byLine(e, 14).reason, 'Deny protocol 47 by access-group "outside_in"');
  assert.deepEqual(tuple(byLine(e, 17)), ['teardown', '10.1.1.6', 60002, '203.0.113.53', 53]);
  // Impossible addresses and ports are refused with the line named, and the rest still read.
  const bad = r.problems.filter((p) => p.code === 'DEVICE_BAD_LINE');
  assert.deepEqual(
    bad.map((p) => [p.line, p.message]),
    [
      [15, 'line 15: %ASA-302013: impossible address "1192.0.2.10"'],
      [16, 'line 16: %ASA-302014: impossible port 123123 for 203.0.113.10'],
      [
        18,
        'line 18: %ASA-106023: impossible address "webserver" (a name from the ASA\'s `names` table? log with `no names`)',
      ],
    ],
  );
  assert.equal(e.length, 15);
  assert.deepEqual((r.meta.lines as { mapped: number; bad: number }).bad, 3);
});

test('ASA teardown: the "from" interface decides who reset, before the Reset-I/O heuristic', () => {
  const m = new DeviceLogMapper('asa.log', { year: 2026 });
  const line = (n: number, s: string) =>
    m.line(`Nov 25 2026 10:00:0${n}: %ASA-6-302014: Teardown TCP connection ${n} ${s}`, n, false);
  line(1, 'for dmz:203.0.113.10/443 to lan:10.1.1.5/50001 duration 0:00:01 bytes 1 TCP Reset-I from dmz');
  line(2, 'for dmz:203.0.113.10/443 to lan:10.1.1.5/50002 duration 0:00:01 bytes 1 TCP Reset-I from lan');
  line(3, 'for dmz:203.0.113.10/443 to lan:10.1.1.5/50003 duration 0:00:01 bytes 1 TCP Reset');
  const e = dev(m.finish([]).events);
  assert.deepEqual(
    e.map((x) => x.cause),
    ['reset-server', 'reset-client', 'other'],
  );
});
