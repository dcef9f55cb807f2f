// The streaming shape shared by the JSON evidence readers whose documents are "a list of entries plus a small
// root" (HAR's log.entries, the error report's entries): every entry goes to a mapper as soon as it completes,
// parser problems become Problems (code prefixed by the format), and end() hands the rest of the root over.
import type { EvidenceResult, Problem } from '../events/types.ts';
import { JsonStreamParser } from './json-stream.ts';

/** Turns completed entries, then the root, into an EvidenceResult. */
export interface EntryMapper {
  entry(value: unknown, offset: number): void;
  finish(root: unknown, extraProblems: Problem[]): EvidenceResult;
}

export function jsonProblem(
  file: string,
  prefix: string,
  ev: { code: string; message: string; offset: number; type: string },
): Problem {
  return {
    code: `${prefix}_${ev.code}`,
    message: ev.message,
    file,
    offset: ev.offset,
    severity: ev.type === 'warning' ? 'warning' : 'error',
  };
}

/** Sans-IO: bytes in (any chunking), EvidenceResult out. */
export class JsonEntryStream {
  private readonly problems: Problem[] = [];
  private readonly parser: JsonStreamParser;

  constructor(
    private readonly file: string,
    /** Problem code prefix, e.g. 'HAR' → HAR_JSON_TRUNCATED. */
    private readonly prefix: string,
    isEntry: (path: readonly (string | number)[]) => boolean,
    private readonly mapper: EntryMapper,
  ) {
    this.parser = new JsonStreamParser({ emit: isEntry });
  }

  push(chunk: Uint8Array): void {
    this.handle(this.parser.push(chunk));
  }

  end(extra: Problem[] = []): EvidenceResult {
    const end = this.parser.end();
    this.handle(end.events);
    return this.mapper.finish(end.root, [...extra, ...this.problems]);
  }

  private handle(evs: ReturnType<JsonStreamParser['push']>): void {
    for (const ev of evs) {
      if (ev.type === 'value') this.mapper.entry(ev.value, ev.offset);
      else this.problems.push(jsonProblem(this.file, this.prefix, ev));
    }
  }
}
