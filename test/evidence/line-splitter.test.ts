import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter } from '../../src/evidence/line-splitter.ts';

const enc = (s: string) => new TextEncoder().encode(s);

test('lines, CRLF, a last line without newline, UTF-8 split across chunks, offsets', () => {
  const text = 'a\r\nbé☃\n\nlast';
  const bytes = enc(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const s = new LineSplitter();
    const lines = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut)), ...s.end()];
    assert.deepEqual(
      lines.map((l) => [l.text, l.line, l.offset, l.cut]),
      [
        ['a', 1, 0, false],
        ['bé☃', 2, 3, false],
        ['', 3, 10, false],
        ['last', 4, 11, false],
      ],
      `cut ${cut}`,
    );
  }
});

test('a line over the cap is cut and flagged; the next line is intact', () => {
  const s = new LineSplitter(10);
  const lines = [...s.push(enc('0123456789ABCDEF')), ...s.push(enc('GHI\nok\n')), ...s.end()];
  assert.deepEqual(
    lines.map((l) => [l.text, l.cut]),
    [
      ['0123456789', true],
      ['ok', false],
    ],
  );
});
