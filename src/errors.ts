// The ground floor's error: a stable machine-readable code, a message for people, and what kind of failure it is.
// Library code (capture, evidence, lab, …) throws these; only src/cli maps a kind to an exit number.

export type ErrorKind =
  /** Bad command line or option value. */
  | 'usage'
  /** An input could not be read at all (missing file, unknown format, unwritable output). */
  | 'input'
  /** A required system tool is missing (tcpdump, chromium, …); the message says how to install it. */
  | 'missing-tool'
  /** The command ran and found what it was asked to detect. */
  | 'found'
  /** Nothing to judge: the inputs were read but none recorded what the command looks at. */
  | 'nothing'
  /** A bug or an unexpected failure. */
  | 'internal';

export class LifelineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly kind: ErrorKind = 'internal',
  ) {
    super(message);
    this.name = 'LifelineError';
  }
}
