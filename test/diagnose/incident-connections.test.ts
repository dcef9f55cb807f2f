import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnose } from '../../src/diagnose/diagnose.ts';
import { connectionsDuring, notifsConnections } from '../../src/diagnose/incident-connections.ts';
import { DEFAULT_OPTIONS } from '../../src/diagnose/model.ts';
import type { AlignedEvent, Timeline } from '../../src/diagnose/timeline.ts';
import { loadFixture } from './fixtures.ts';

const T = 1_795_600_000_000;
const conn = '10.1.1.5:51234-[2001:db8::10]:443';
const cap = (e: Partial<AlignedEvent> & { kind: AlignedEvent['kind'] }, ts: number, frame: number) =>
  ({ source: 'wire.pcap', sourceKind: 'capture', conn, ts, srcTs: ts, frame, ...e }) as AlignedEvent;

test('a capture connection: 5-tuple from the flow key, SNI, close frames by side with code, end, frame numbers', () => {
  const events: AlignedEvent[] = [
    cap({ kind: 'conn-open', layer: 'tcp', ip: '2001:db8::10', port: 443 }, T, 1),
    cap({ kind: 'conn-open', layer: 'tls', host: 'api.wxcc-us1.cisco.com', ip: '2001:db8::10', port: 443 }, T + 5, 4),
    cap({ kind: 'ws-control', dir: 's2c', op: 'close', code: 4001, reason: 'server restart' }, T + 60_000, 120),
    cap({ kind: 'ws-control', dir: 'c2s', op: 'close', code: 4001 }, T + 60_010, 121),
    cap({ kind: 'conn-close', how: 'fin', by: 'server' }, T + 60_020, 123),
    cap({ kind: 'conn-close', how: 'rst', by: 'desktop' }, T + 60_030, 125),
  ];
  const all = notifsConnections({ events } as Timeline);
  assert.equal(all.length, 1);
  const c = all[0];
  assert.deepEqual(
    [c.client, c.server, c.transport, c.sni],
    ['10.1.1.5:51234', '[2001:db8::10]:443', 'tcp', 'api.wxcc-us1.cisco.com'],
  );
  assert.deepEqual(c.opened, { ts: T, frame: 1, layer: 'tcp' });
  assert.deepEqual(c.closeFrames, [
    { ts: T + 60_000, frame: 120, by: 'server', code: 4001, reason: 'server restart' },
    { ts: T + 60_010, frame: 121, by: 'desktop', code: 4001 },
  ]);
  assert.deepEqual(c.ended, { ts: T + 60_020, frame: 123, how: 'fin', by: 'server' }, 'the first end counts');
  assert.deepEqual([c.first.frame, c.last.frame], [1, 125]);
  assert.equal(connectionsDuring(all, T + 200_000, T + 300_000).length, 0, 'too far from the incident');
  assert.equal(connectionsDuring(all, T + 80_000, T + 90_000).length, 1, 'within the margin');
});

test('every incident of a diagnosis lists its Notifs connections', () => {
  const { diagnosis } = diagnose({ results: loadFixture('closed-by-server.har'), options: DEFAULT_OPTIONS });
  const inc = diagnosis.incidents[0];
  assert.deepEqual(
    inc.connections.map((c) => [c.conn, c.closeFrames.map((f) => `${f.by} ${f.code}`)]),
    [
      ['har-1', ['server 4001']],
      ['har-2', []],
    ],
  );
});
