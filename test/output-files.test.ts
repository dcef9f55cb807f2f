import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { LifelineError } from '../src/errors.ts';
import { guardOutput, tempBeside } from '../src/output-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-outputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const code = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    assert.ok(e instanceof LifelineError && e.kind === 'usage');
    return e.code;
  }
};

test('guardOutput: the input under any name is refused even with force; an existing file needs force', () => {
  const input = join(dir, 'in.pcap');
  writeFileSync(input, 'evidence');
  const sym = join(dir, 'sym.pcap');
  symlinkSync(input, sym);
  const hard = join(dir, 'hard.pcap');
  linkSync(input, hard);
  for (const out of [input, sym, hard, join(dir, '.', 'in.pcap')])
    assert.equal(
      code(() => guardOutput('-o', out, [input], true)),
      'USAGE_OUTPUT_IS_INPUT',
      out,
    );
  const other = join(dir, 'other.pcapng');
  writeFileSync(other, 'x');
  assert.equal(
    code(() => guardOutput('-o', other, [input], false)),
    'USAGE_OUTPUT_EXISTS',
  );
  assert.equal(
    code(() => guardOutput('-o', other, [input, undefined, '-'], true)),
    undefined,
  );
  assert.equal(
    code(() => guardOutput('-o', join(dir, 'new.pcapng'), [input], false)),
    undefined,
  );
  assert.equal(
    code(() => guardOutput('-o', '-', [input], false)),
    undefined,
  );
});

test('tempBeside: same directory, hidden, unique', () => {
  const a = tempBeside(join(dir, 'out.pcapng'));
  assert.equal(dirname(a), dir);
  assert.match(basename(a), /^\.out\.pcapng\.\d+-[0-9a-f]{8}\.part$/);
  assert.notEqual(a, tempBeside(join(dir, 'out.pcapng')));
});
