import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SendOutput } from '../../src/protocol/notifs-machine.ts';
import { type Sender, StallSwitch } from '../../src/server/stall.ts';

const frame = (cls: SendOutput['cls']): SendOutput => ({ type: 'send', text: cls, cls });

test('the stall switch holds Welcome, keepalive and notification frames of a stalled agent; acks still flow', () => {
  const sw = new StallSwitch();
  const sent: string[] = [];
  const inner: Sender = (o) => {
    sent.push(o.text);
    return true;
  };
  const a = sw.wrap('a', inner);
  const b = sw.wrap('b', inner);
  sw.set('a', true);
  assert.equal(sw.has('a'), true);
  for (const cls of ['welcome', 'keepalive', 'notification'] as const) assert.equal(a(frame(cls)), false, cls);
  assert.equal(a(frame('resume')), true, 'acks are not held');
  assert.equal(b(frame('notification')), true, 'other agents are not stalled');
  sw.set('a', false);
  assert.equal(a(frame('notification')), true);
  assert.deepEqual(sent, ['resume', 'notification', 'notification']);
});
