import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DirectionPipe, type PipeItem, parseToxicSpec, ToxicError } from '../../src/lab/toxics.ts';

const b = (s: string) => Buffer.from(s);
const text = (items: PipeItem[]) =>
  items.map((i) => (i.kind === 'data' ? Buffer.from(i.data).toString() : `<${i.kind}>`)).join('|');

function pipe(stream: 'upstream' | 'downstream' = 'downstream', rng = () => 0.5) {
  return new DirectionPipe(stream, 0, rng);
}

test('no toxics: data passes at once, in order', () => {
  const p = pipe();
  p.push(b('a'), 10);
  p.push(b('b'), 10);
  assert.equal(text(p.poll(10)), 'a|b');
  assert.equal(p.nextAt(), undefined);
});

test('latency delays each chunk and keeps order with jitter', () => {
  let r = 0;
  const seq = [1, 0]; // +jitter, then -jitter
  const p = pipe('downstream', () => seq[r++ % 2]);
  p.add(parseToxicSpec({ type: 'latency', attributes: { latencyMs: 100, jitterMs: 50 } }), 0);
  p.push(b('a'), 0); // due 150
  p.push(b('b'), 10); // would be 60, kept after 150
  assert.equal(p.poll(149).length, 0);
  assert.equal(p.nextAt(), 150);
  assert.equal(text(p.poll(150)), 'a|b');
});

test('a toxic on the other stream does not apply', () => {
  const p = pipe('upstream');
  p.add(parseToxicSpec({ type: 'blackhole', stream: 'downstream' }), 0);
  p.push(b('x'), 1);
  assert.equal(text(p.poll(1)), 'x');
});

test('blackhole drops data, FIN and RST silently; removal lets new data through', () => {
  const p = pipe();
  p.add(parseToxicSpec({ name: 'bh', type: 'blackhole' }), 0);
  p.push(b('lost'), 1);
  p.end(2);
  p.rst(3);
  assert.deepEqual(p.poll(1000), []);
  assert.equal(p.remove('bh', 1000), true);
  p.push(b('new'), 1001);
  assert.equal(text(p.poll(1001)), 'new');
});

test('stall holds bytes and releases them all, in order, when removed (delayed)', () => {
  const p = pipe();
  p.add(parseToxicSpec({ name: 's', type: 'stall' }), 0);
  p.push(b('k1'), 100);
  p.push(b('k2'), 200);
  assert.equal(p.poll(5000).length, 0);
  assert.equal(p.queuedBytes, 4);
  p.remove('s', 5000);
  p.push(b('k3'), 5000);
  assert.equal(text(p.poll(5000)), 'k1|k2|k3');
  assert.equal(p.queuedBytes, 0);
});

test('a stall before a latency toxic: released bytes still get the latency', () => {
  const p = pipe();
  p.add(parseToxicSpec({ name: 's', type: 'stall' }), 0);
  p.add(parseToxicSpec({ name: 'l', type: 'latency', attributes: { latencyMs: 10 } }), 0);
  p.push(b('a'), 1);
  p.remove('s', 100);
  assert.equal(p.poll(109).length, 0);
  assert.equal(text(p.poll(110)), 'a');
});

test('reset fires afterMs after it is added, to the chosen side; removing it first cancels it', () => {
  const p = pipe();
  p.add(parseToxicSpec({ name: 'r', type: 'reset', attributes: { afterMs: 300, side: 'desktop' } }), 100);
  assert.equal(p.nextAt(), 400);
  const out = p.poll(400);
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], { kind: 'reset', at: 400, side: 'desktop' });
  const q = pipe();
  q.add(parseToxicSpec({ name: 'r', type: 'reset', attributes: { afterMs: 300 } }), 0);
  q.remove('r', 100);
  assert.equal(q.nextAt(), undefined);
});

test('reset on a connection opened after the toxic counts from the open', () => {
  const p = new DirectionPipe('downstream', 1000);
  p.add(parseToxicSpec({ type: 'reset', attributes: { afterMs: 50 } }), 0);
  assert.equal(p.nextAt(), 1050);
});

test('limit passes exactly N bytes, then closes and drops the rest', () => {
  const p = pipe();
  p.add(parseToxicSpec({ type: 'limit', attributes: { bytes: 5 } }), 0);
  p.push(b('abc'), 1);
  p.push(b('defg'), 2);
  p.push(b('hij'), 3);
  assert.equal(text(p.poll(3)), 'abc|de|<close>');
});

test('timeout closes gracefully afterMs', () => {
  const p = pipe();
  p.add(parseToxicSpec({ type: 'timeout', attributes: { afterMs: 2000 } }), 500);
  p.push(b('x'), 600);
  assert.equal(text(p.poll(2499)), 'x');
  assert.equal(text(p.poll(2500)), '<close>');
});

test('slicer splits into pieces delayMs apart', () => {
  const p = pipe();
  p.add(parseToxicSpec({ type: 'slicer', attributes: { sizeBytes: 2, delayMs: 10 } }), 0);
  p.push(b('abcde'), 0);
  assert.equal(text(p.poll(0)), 'ab');
  assert.equal(text(p.poll(10)), 'cd');
  assert.equal(text(p.poll(20)), 'e');
});

test('bandwidth spaces bytes by rate', () => {
  const p = pipe();
  p.add(parseToxicSpec({ type: 'bandwidth', attributes: { rateKBps: 1 } }), 0);
  p.push(Buffer.alloc(1024), 0); // 1 KB at 1 KB/s → due at 1000 ms
  assert.equal(p.poll(999).length, 0);
  assert.equal(p.poll(1000).length, 1);
});

test('parseToxicSpec rejects bad input with stable codes', () => {
  const cases: [unknown, string][] = [
    [null, 'TOXIC_NOT_OBJECT'],
    [[], 'TOXIC_NOT_OBJECT'],
    [{ type: 'nope' }, 'TOXIC_BAD_TYPE'],
    [{ type: 'latency', stream: 'sideways' }, 'TOXIC_BAD_STREAM'],
    [{ type: 'latency', name: 'a b' }, 'TOXIC_BAD_NAME'],
    [{ type: 'latency', attributes: { latencyMs: -1 } }, 'TOXIC_BAD_ATTRIBUTE'],
    [{ type: 'latency', attributes: { latencyMs: 'x' } }, 'TOXIC_BAD_ATTRIBUTE'],
    [{ type: 'reset', attributes: { side: 'left' } }, 'TOXIC_BAD_ATTRIBUTE'],
    [{ type: 'bandwidth' }, 'TOXIC_BAD_ATTRIBUTE'],
    [{ type: 'limit' }, 'TOXIC_BAD_ATTRIBUTE'],
    [{ type: 'latency', attributes: 3 }, 'TOXIC_BAD_ATTRIBUTE'.replace('ATTRIBUTE', 'ATTRIBUTES')],
  ];
  for (const [input, code] of cases) {
    assert.throws(
      () => parseToxicSpec(input),
      (e: unknown) => e instanceof ToxicError && e.code === code,
      JSON.stringify(input),
    );
  }
  assert.deepEqual(parseToxicSpec({ type: 'stall' }), {
    name: 'stall_downstream',
    type: 'stall',
    stream: 'downstream',
    attributes: {},
  });
});

test('random toxic sequences never reorder or duplicate bytes (bounded fuzz)', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 200; round++) {
    const p = new DirectionPipe('downstream', 0, rnd);
    const types = ['latency', 'slicer', 'stall', 'bandwidth'] as const;
    const names: string[] = [];
    let sent = '';
    let got = '';
    let now = 0;
    for (let step = 0; step < 30; step++) {
      now += Math.floor(rnd() * 50);
      const r = rnd();
      if (r < 0.15) {
        const type = types[Math.floor(rnd() * types.length)];
        const name = `t${step}`;
        names.push(name);
        p.add(
          parseToxicSpec({
            name,
            type,
            attributes: { latencyMs: 20, jitterMs: 15, sizeBytes: 2, delayMs: 3, rateKBps: 5 },
          }),
          now,
        );
      } else if (r < 0.25 && names.length > 0) {
        p.remove(names.splice(Math.floor(rnd() * names.length), 1)[0], now);
      } else {
        const s = String(step).padStart(3, '0');
        sent += s;
        p.push(b(s), now);
      }
      for (const i of p.poll(now)) if (i.kind === 'data') got += Buffer.from(i.data).toString();
    }
    for (const n of names) p.remove(n, now);
    for (const i of p.poll(now + 1e7)) if (i.kind === 'data') got += Buffer.from(i.data).toString();
    assert.equal(got, sent, `round ${round}`);
  }
});
