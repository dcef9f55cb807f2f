import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandCalls, opsRate, parseInfo } from '../../bench/redis-storm/redis-process.ts';
import { StreamTracker, tokenBucketFloorMs } from '../../bench/redis-storm/stream-tracker.ts';

const welcome = (seq: number, resume?: unknown) => ({ agentId: 'a', position: { epoch: 'E', seq }, resume });

test('a fresh connect takes the Welcome position and counts live notifications', () => {
  const t = new StreamTracker();
  t.onWelcome(welcome(0));
  assert.equal(t.state(), 'waiting-welcome'); // no resume asked: never 'done'
  t.onNotification('E', 1);
  t.onNotification('E', 1);
  assert.deepEqual([t.seq, t.received, t.duplicates, t.gaps], [1, 2, 1, 0]);
  assert.equal(t.failure, undefined);
});

test('a resume is done once every expected replay arrived in order', () => {
  const t = new StreamTracker();
  t.onWelcome(welcome(0));
  t.onNotification('E', 1);
  const from = t.beginResume(3);
  assert.deepEqual(from, { epoch: 'E', seq: 1 });
  assert.equal(t.state(), 'waiting-welcome');
  t.onWelcome(welcome(1, { requested: from, recovered: true, replayed: 3 }));
  assert.equal(t.state(), 'replaying');
  t.onNotification('E', 2);
  t.onNotification('E', 3);
  assert.equal(t.state(), 'replaying');
  t.onNotification('E', 4);
  assert.equal(t.state(), 'done');
});

test('a resume fails on recovered:false, a wrong replay count, a missing resume, a gap or another epoch', () => {
  const cases: [string, (t: StreamTracker, from: { epoch: string; seq: number }) => void][] = [
    ['not-recovered', (t, from) => t.onWelcome(welcome(1, { requested: from, recovered: false, replayed: 0 }))],
    [
      'replayed-count-mismatch',
      (t, from) => t.onWelcome(welcome(1, { requested: from, recovered: true, replayed: 2 })),
    ],
    ['no-resume-in-welcome', (t) => t.onWelcome(welcome(1))],
    [
      'gap',
      (t, from) => {
        t.onWelcome(welcome(1, { requested: from, recovered: true, replayed: 3 }));
        t.onNotification('E', 3);
      },
    ],
    [
      'epoch-changed',
      (t, from) => {
        t.onWelcome(welcome(1, { requested: from, recovered: true, replayed: 3 }));
        t.onNotification('F', 2);
      },
    ],
  ];
  for (const [why, drive] of cases) {
    const t = new StreamTracker();
    t.onWelcome(welcome(0));
    t.onNotification('E', 1);
    drive(t, t.beginResume(3));
    assert.equal(t.state(), 'failed', why);
    assert.equal(t.failure, why);
  }
});

test('token-bucket floor: the burst passes at once, the rest at the rate', () => {
  assert.equal(tokenBucketFloorMs(1500, 1000, 2000), 0);
  assert.equal(tokenBucketFloorMs(3334, 1000, 2000), 1334);
  assert.equal(tokenBucketFloorMs(10, 0, 2000), Number.POSITIVE_INFINITY);
});

test('INFO parsing: stats counters and commandstats calls', () => {
  const stats = parseInfo('# Stats\r\ntotal_connections_received:7\r\ntotal_commands_processed:1234\r\n');
  assert.equal(stats.get('total_commands_processed'), '1234');
  const calls = commandCalls(
    '# Commandstats\r\ncmdstat_get:calls=40,usec=80,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n' +
      'cmdstat_evalsha:calls=5,usec=50,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n',
  );
  assert.deepEqual(
    [...calls],
    [
      ['get', 40],
      ['evalsha', 5],
    ],
  );
});

test('ops rate: mean over the window and the peak interval', () => {
  const samples = [
    { at: 0, totalCommands: 0 },
    { at: 250, totalCommands: 250 },
    { at: 500, totalCommands: 1000 },
    { at: 1000, totalCommands: 1000 },
    { at: 2000, totalCommands: 9999 },
  ];
  const r = opsRate(samples, 0, 1000);
  assert.equal(r.total, 1000);
  assert.equal(r.mean, 1000);
  assert.equal(r.peak, 3000);
  assert.ok(Number.isNaN(opsRate(samples, 1500, 1600).mean));
});
