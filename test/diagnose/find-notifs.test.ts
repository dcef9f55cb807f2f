import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identifyNotifs, parseConnKey } from '../../src/diagnose/find-notifs.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import type { EvidenceResult, TimelineEvent } from '../../src/events/types.ts';

const cap = (events: TimelineEvent[]): EvidenceResult => ({
  file: 'c.pcap',
  kind: 'capture',
  format: 'pcap',
  events,
  problems: [],
  meta: {},
});
const base = { source: 'c.pcap', sourceKind: 'capture' as const };

test('parseConnKey reads IPv4 and bracketed IPv6 keys', () => {
  assert.deepEqual(parseConnKey('10.0.0.5:5000-52.1.2.3:443'), {
    clientIp: '10.0.0.5',
    clientPort: 5000,
    serverIp: '52.1.2.3',
    serverPort: 443,
  });
  assert.deepEqual(parseConnKey('[fe80::1]:5000-[2001:db8::2]:443'), {
    clientIp: 'fe80::1',
    clientPort: 5000,
    serverIp: '2001:db8::2',
    serverPort: 443,
  });
  assert.equal(parseConnKey('har-1'), undefined);
});

test('encrypted: the keepalive rhythm (small records both ways every ~4 s) finds Notifs among other connections', () => {
  const ev: TimelineEvent[] = [];
  for (let i = 0; i < 10; i++) {
    ev.push({
      ...base,
      kind: 'tls-record',
      conn: '10.0.0.5:1-1.1.1.1:443',
      ts: i * 4000,
      dir: 'c2s',
      contentType: 23,
      length: 55,
    });
    ev.push({
      ...base,
      kind: 'tls-record',
      conn: '10.0.0.5:1-1.1.1.1:443',
      ts: i * 4000 + 100,
      dir: 's2c',
      contentType: 23,
      length: 51,
    });
    ev.push({
      ...base,
      kind: 'tls-record',
      conn: '10.0.0.5:2-9.9.9.9:443',
      ts: i * 300,
      dir: 's2c',
      contentType: 23,
      length: 1400,
    });
  }
  const n = identifyNotifs([cap(ev)], DEFAULT_OPTIONS);
  assert.deepEqual([...n.perSource.get('c.pcap')!.entries()], [['10.0.0.5:1-1.1.1.1:443', 'rhythm']]);
  assert.deepEqual(n.ips, ['1.1.1.1']);
});

test('--dc names the host; DNS answers for it give the addresses', () => {
  const ev: TimelineEvent[] = [
    { ...base, kind: 'dns-answer', ts: 0, name: 'api.wxcc-eu1.cisco.com', addresses: ['3.3.3.3'] },
    { ...base, kind: 'conn-open', conn: '10.0.0.5:7-3.3.3.3:443', ts: 1, layer: 'tcp', ip: '3.3.3.3', port: 443 },
    { ...base, kind: 'conn-open', conn: '10.0.0.5:8-4.4.4.4:443', ts: 1, layer: 'tcp', ip: '4.4.4.4', port: 443 },
  ];
  const n = identifyNotifs([cap(ev)], { ...DEFAULT_OPTIONS, dc: 'eu1' });
  assert.deepEqual(n.hosts, ['api.wxcc-eu1.cisco.com']);
  assert.deepEqual([...n.perSource.get('c.pcap')!.keys()], ['10.0.0.5:7-3.3.3.3:443']);
});

test('nothing identifiable: every connection is analysed and a note says so', () => {
  const ev: TimelineEvent[] = [{ ...base, kind: 'conn-open', conn: '10.0.0.5:7-3.3.3.3:443', ts: 1, layer: 'tcp' }];
  const n = identifyNotifs([cap(ev)], DEFAULT_OPTIONS);
  assert.equal(n.perSource.get('c.pcap')!.get('10.0.0.5:7-3.3.3.3:443'), 'fallback');
  assert.match(n.notes[0], /no connection could be identified/);
});
