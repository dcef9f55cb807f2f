// Evidence is never destroyed: an output file is never one of the inputs (same inode, whatever the path says:
// symlinks, hard links, ./x vs x), an existing file is replaced only with --force, and the output appears only
// once it is complete (written beside it under a temporary name, then renamed).
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LifelineError } from './errors.ts';

function identity(path: string): { dev: number; ino: number } | undefined {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** True when both paths name the same existing file (same device and inode). */
export function sameFile(a: string, b: string): boolean {
  const x = identity(a);
  const y = identity(b);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

/**
 * Throws a usage error (exit 2) when `output` is one of `inputs`, or exists and `force` is not set.
 * `-` (stdout / stdin) is never a file here.
 */
export function guardOutput(flag: string, output: string, inputs: (string | undefined)[], force: boolean): void {
  if (output === '-') return;
  const out = identity(output);
  if (!out) return;
  for (const input of inputs) {
    if (input === undefined || input === '-') continue;
    if (sameFile(input, output))
      throw new LifelineError(
        'USAGE_OUTPUT_IS_INPUT',
        `${flag} ${output} is the input ${input}; refusing to write over evidence (give ${flag} a new file name)`,
        'usage',
      );
  }
  if (!force)
    throw new LifelineError(
      'USAGE_OUTPUT_EXISTS',
      `${flag} ${output} already exists; refusing to replace it (give a new file name, or --force to replace it)`,
      'usage',
    );
}

/** A temporary name beside `output` (same directory, so the final rename cannot cross file systems). */
export function tempBeside(output: string): string {
  return join(dirname(output), `.${basename(output)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);
}
