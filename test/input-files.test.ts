import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LifelineError } from '../src/errors.ts';
import { assertSideInput, unreadableMessage, whyUnreadable } from '../src/input-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'lifeline-inputs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('whyUnreadable: a file is fine, stdin is fine; missing, directory and no permission are named', async () => {
  const f = join(dir, 'ok.txt');
  writeFileSync(f, 'x');
  assert.equal(await whyUnreadable(f), undefined);
  assert.equal(await whyUnreadable('-'), undefined);
  assert.deepEqual(await whyUnreadable(join(dir, 'nope')), {
    file: join(dir, 'nope'),
    code: 'INPUT_MISSING',
    message: 'no such file',
  });
  assert.equal((await whyUnreadable(join(f, 'below')))?.code, 'INPUT_MISSING', 'a file used as a directory');
  const d = await whyUnreadable(`${dir}/`);
  assert.equal(d?.code, 'INPUT_IS_DIRECTORY');
  assert.equal(d?.message, `is a directory, not a file (give the files in it, e.g. ${dir}/*)`);
  if (process.getuid?.() !== 0) {
    const locked = join(dir, 'locked.txt');
    writeFileSync(locked, 'x');
    chmodSync(locked, 0o000);
    assert.equal((await whyUnreadable(locked))?.code, 'INPUT_UNREADABLE');
  }
});

test('assertSideInput blames the flag; unreadableMessage lists each file and the way out', async () => {
  await assert.rejects(
    assertSideInput('--keylog', 'KEYLOG_OPEN_FAILED', dir),
    (e: unknown) => e instanceof LifelineError && e.code === 'KEYLOG_OPEN_FAILED' && e.kind === 'input',
  );
  await assertSideInput('--keylog', 'KEYLOG_OPEN_FAILED', undefined);
  const m = unreadableMessage([{ file: 'a.har', code: 'INPUT_MISSING', message: 'no such file' }], 3);
  assert.equal(
    m,
    '1 of 3 file(s) cannot be read:\n  a.har: INPUT_MISSING: no such file\n' +
      'Fix the path(s), or give --allow-missing to go on with the files that can be read.',
  );
});
