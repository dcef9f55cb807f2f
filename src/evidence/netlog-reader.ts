// Chrome NetLog reader (being written): placeholder so the dispatch compiles.
import type { EvidenceResult } from '../events/types.ts';

export async function readNetlog(
  file: string,
  _opts: { progress?: (d: number, t: number) => void } = {},
): Promise<EvidenceResult> {
  return {
    file,
    kind: 'netlog',
    format: 'netlog',
    events: [],
    problems: [{ code: 'NETLOG_NOT_READ', message: 'NetLog reading is not implemented yet', file, severity: 'error' }],
    meta: {},
  };
}
