// Exit codes every `lifeline` command uses. Stable: scripts depend on them.
import type { ErrorKind } from '../errors.ts';
export const EXIT = {
  OK: 0,
  /** Unexpected internal failure (a bug: please report with the stack). */
  INTERNAL: 1,
  /** Bad command line: unknown flag, missing argument, invalid value. */
  USAGE: 2,
  /** An input could not be read at all (missing file, unknown format). Partial problems do not use this. */
  INPUT: 3,
  /** The command ran and found what it was asked to detect (e.g. `diagnose --fail-on-incident`, `lab run` check failed). */
  FOUND: 4,
  /** A required system tool is missing (tcpdump, chromium, …); the message says how to install it. */
  MISSING_TOOL: 5,
  /** The inputs were read but none recorded what the command judges (`diagnose`: no Notifs connection at all). */
  NOTHING: 6,
} as const;

export { type ErrorKind, LifelineError } from '../errors.ts';

/** The exit number of each kind of failure (the only place that knows). */
export function exitFor(kind: ErrorKind): number {
  const map: Record<ErrorKind, number> = {
    usage: EXIT.USAGE,
    input: EXIT.INPUT,
    'missing-tool': EXIT.MISSING_TOOL,
    found: EXIT.FOUND,
    nothing: EXIT.NOTHING,
    internal: EXIT.INTERNAL,
  };
  return map[kind];
}
