// Problems a capture reader records instead of throwing. Bounded: a badly damaged file could otherwise produce one
// problem per byte; after MAX_PROBLEMS a single CAPTURE_TOO_MANY_PROBLEMS entry says how many more were dropped.
import type { Problem } from '../../events/types.ts';

export const MAX_PROBLEMS = 200;

export class ProblemLog {
  readonly list: Problem[] = [];
  dropped = 0;
  constructor(readonly file: string) {}

  add(code: string, message: string, offset: number, severity: 'error' | 'warning' = 'error'): void {
    if (this.list.length < MAX_PROBLEMS) {
      this.list.push({ code, message, file: this.file, offset, severity });
      return;
    }
    this.dropped++;
    const last = this.list[this.list.length - 1];
    const msg = `${this.dropped} more problems not listed`;
    if (last.code === 'CAPTURE_TOO_MANY_PROBLEMS') last.message = msg;
    else
      this.list.push({ code: 'CAPTURE_TOO_MANY_PROBLEMS', message: msg, file: this.file, offset, severity: 'warning' });
  }
}
