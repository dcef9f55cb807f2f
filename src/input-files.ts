// Every command that reads files asks here first whether a path can be read, so a typo, a directory or a missing
// permission gets one clear message (never a bare EISDIR) and the same exit code everywhere (3).
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { LifelineError } from './errors.ts';

export interface UnreadableInput {
  file: string;
  code: 'INPUT_MISSING' | 'INPUT_IS_DIRECTORY' | 'INPUT_NOT_A_FILE' | 'INPUT_UNREADABLE';
  message: string;
}

/** Why `file` cannot be read (the message does not repeat the path), or undefined when it can (`-`, standard input, always can). */
export async function whyUnreadable(file: string): Promise<UnreadableInput | undefined> {
  if (file === '-') return undefined;
  try {
    const st = await stat(file);
    if (st.isDirectory())
      return {
        file,
        code: 'INPUT_IS_DIRECTORY',
        message: `is a directory, not a file (give the files in it, e.g. ${file.replace(/\/$/, '')}/*)`,
      };
    if (!st.isFile() && !st.isFIFO() && !st.isCharacterDevice())
      return { file, code: 'INPUT_NOT_A_FILE', message: 'is not a regular file' };
    await access(file, constants.R_OK);
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return { file, code: 'INPUT_MISSING', message: 'no such file' };
    return { file, code: 'INPUT_UNREADABLE', message: `cannot read (${e.code ?? e.message})` };
  }
}

/** One line per unreadable file and the way out, for the exit-3 message of multi-file commands. */
export function unreadableMessage(list: { file: string; code: string; message: string }[], total: number): string {
  const lines = list.map((u) => `  ${u.file}: ${u.code}: ${u.message}`);
  return (
    `${list.length} of ${total} file(s) cannot be read:\n${lines.join('\n')}\n` +
    'Fix the path(s), or give --allow-missing to go on with the files that can be read.'
  );
}

/** A single side input (the `--keylog` file): checked before any evidence is read, blamed on its own flag. */
export async function assertSideInput(flag: string, code: string, file: string | undefined): Promise<void> {
  if (file === undefined) return;
  const why = await whyUnreadable(file);
  if (why) throw new LifelineError(code, `${flag} ${file}: ${why.message}`, 'input');
}
