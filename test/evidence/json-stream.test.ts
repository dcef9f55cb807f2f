import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonStreamParser, parseJsonBytes } from '../../src/evidence/json-stream.ts';

const enc = (s: string) => new TextEncoder().encode(s);

test('parses scalars, nesting, escapes and surrogate pairs like JSON.parse', () => {
  const samples = [
    '{"a":1,"b":[true,false,null],"c":{"d":"x\\"y\\\\z\\/\\b\\f\\n\\r\\t"},"e":-1.5e3,"f":0}',
    '[1,2,[3,[4,[5]]],"\\u00e9\\ud83d\\ude00",""]',
    '"just a string"',
    '  42  ',
    '{"ünï":"кириллица 日本語"}',
    '[]',
    '{}',
  ];
  for (const s of samples) {
    const r = parseJsonBytes(enc(s));
    assert.equal(r.complete, true, s);
    assert.deepEqual(r.root, JSON.parse(s), s);
    assert.equal(r.all.filter((e) => e.type === 'error').length, 0, s);
  }
});

test('the same result whatever the chunking (every split point, and byte-by-byte)', () => {
  const s = '{"log":{"entries":[{"x":"h\\u00e9llo ☃"},{"y":[1,2.5,-3]},{"z":{"w":null}}],"tail":true}}';
  const bytes = enc(s);
  const emit = (p: readonly (string | number)[]) => p.length === 3 && p[0] === 'log' && p[1] === 'entries';
  const whole = parseJsonBytes(bytes, { emit });
  for (let cut = 0; cut <= bytes.length; cut++) {
    const p = new JsonStreamParser({ emit });
    const evs = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
    const end = p.end();
    assert.deepEqual(
      evs.map((e) => (e.type === 'value' ? e.value : e)),
      whole.all.filter((e) => e.type === 'value').map((e) => (e.type === 'value' ? e.value : e)),
    );
    assert.deepEqual(end.root, whole.root);
  }
  const p = new JsonStreamParser({ emit });
  const vals: unknown[] = [];
  for (const b of bytes) for (const e of p.push(Uint8Array.of(b))) if (e.type === 'value') vals.push(e.value);
  assert.equal(vals.length, 3);
  assert.deepEqual(vals[0], { x: 'héllo ☃' });
});

test('emitted values are left out of the root and carry their byte offsets', () => {
  const s = '{"log":{"creator":{"name":"WebInspector"},"entries":[{"a":1}, {"b":2}]}}';
  const r = parseJsonBytes(enc(s), { emit: (p) => p.length === 3 && p[1] === 'entries' });
  const vals = r.all.filter((e) => e.type === 'value');
  assert.equal(vals.length, 2);
  assert.deepEqual(r.root, { log: { creator: { name: 'WebInspector' }, entries: [] } });
  const v0 = vals[0];
  assert.ok(v0.type === 'value');
  assert.equal(s.slice(v0.offset, v0.end), '{"a":1}');
  assert.deepEqual(v0.path, ['log', 'entries', 0]);
  const v1 = vals[1];
  assert.ok(v1.type === 'value');
  assert.deepEqual(v1.path, ['log', 'entries', 1]);
  assert.equal(s.slice(v1.offset, v1.end), '{"b":2}');
});

test('syntax errors report the byte offset and stop; earlier values survive', () => {
  const s = '{"events":[{"a":1},{"b":2},{"c":x}]}';
  const r = parseJsonBytes(enc(s), { emit: (p) => p.length === 2 && p[0] === 'events' });
  const vals = r.all.filter((e) => e.type === 'value');
  assert.equal(vals.length, 2);
  const err = r.all.find((e) => e.type === 'error');
  assert.ok(err && err.type === 'error');
  assert.equal(err.code, 'JSON_BAD_TOKEN');
  assert.equal(err.offset, s.indexOf('x'));
  assert.equal(r.complete, false);
});

test('a cut-off input reports JSON_TRUNCATED and returns the partial root', () => {
  const s = '{"constants":{"k":1},"events":[{"a":1},{"b":2},{"c":';
  const r = parseJsonBytes(enc(s), { emit: (p) => p.length === 2 && p[0] === 'events' });
  assert.equal(r.truncated, true);
  assert.equal(r.all.filter((e) => e.type === 'value').length, 2);
  const err = r.all.find((e) => e.type === 'error');
  assert.ok(err && err.type === 'error' && err.code === 'JSON_TRUNCATED');
  assert.equal(err.offset, s.length);
  assert.deepEqual(r.root, { constants: { k: 1 }, events: [] });
});

test('limits: depth, long strings are cut with a warning, trailing data, empty input', () => {
  const deep = '['.repeat(600) + ']'.repeat(600);
  const d = parseJsonBytes(enc(deep), { maxDepth: 100 });
  assert.ok(d.all.some((e) => e.type === 'error' && e.code === 'JSON_TOO_DEEP' && e.offset === 100));

  const long = parseJsonBytes(enc(`{"s":"${'x'.repeat(5000)}"}`), { maxStringBytes: 100 });
  assert.equal((long.root as { s: string }).s.length, 100);
  assert.ok(long.all.some((e) => e.type === 'warning' && e.code === 'JSON_STRING_CUT'));

  const trailing = parseJsonBytes(enc('{"a":1} {"b":2}'));
  assert.ok(trailing.all.some((e) => e.type === 'error' && e.code === 'JSON_TRAILING_DATA' && e.offset === 8));

  const empty = parseJsonBytes(enc('   '));
  assert.ok(empty.all.some((e) => e.type === 'error' && e.code === 'JSON_EMPTY'));
});

test('strict JSON: trailing commas, bare control bytes, bad escapes and bad numbers are errors', () => {
  for (const s of ['[1,]', '{"a":1,}', '"a\u0001b"', '"\\x"', '[01]', '[1.]', '[-]', '[tru]', '{"a" 1}', '{1:2}']) {
    const r = parseJsonBytes(enc(s));
    assert.equal(r.complete, false, s);
    assert.ok(
      r.all.some((e) => e.type === 'error'),
      s,
    );
  }
});

test('a hostile __proto__ key does not change the prototype; a BOM is skipped', () => {
  const r = parseJsonBytes(enc('\ufeff{"__proto__":{"polluted":true},"a":1}'));
  const root = r.root as Record<string, unknown>;
  assert.equal(r.complete, true);
  assert.equal(Object.getPrototypeOf(root), Object.prototype);
  assert.equal((root as { polluted?: boolean }).polluted, undefined);
  assert.deepEqual(Object.keys(root), ['__proto__', 'a']);
});

test('every proper prefix of a valid document is reported as truncated, never as a syntax error', () => {
  const doc = enc(
    '{"events":[{"t":"12","p":{"final":true,"masked":false,"n":-1.5e3,"x":null}},{"s":"a\\"b\\u00e9"}],"k":[]}',
  );
  assert.equal(parseJsonBytes(doc).complete, true);
  for (let cut = 1; cut < doc.length; cut++) {
    const r = parseJsonBytes(doc.subarray(0, cut), { emit: (p) => p.length === 2 && p[0] === 'events' });
    const errs = r.all.filter((e) => e.type === 'error');
    assert.equal(errs.length, 1, `cut ${cut}`);
    assert.ok(errs[0].type === 'error' && errs[0].code === 'JSON_TRUNCATED', `cut ${cut}: ${JSON.stringify(errs[0])}`);
    assert.equal(errs[0].offset, cut);
  }
});
