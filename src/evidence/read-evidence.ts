// Reads any evidence file, detecting its kind by content (not by name), into timeline events.
// Placeholder signature: the evidence-readers issue implements it (captures go through src/capture).
import type { EvidenceResult } from '../events/types.ts';

export interface ReadEvidenceOptions {
  /** NSS key log file for TLS decryption of captures. */
  keylog?: string;
  /** Called with (bytesRead, totalBytes) on long reads. */
  progress?: (done: number, total: number) => void;
}

export async function readEvidence(_file: string, _opts: ReadEvidenceOptions = {}): Promise<EvidenceResult> {
  throw new Error('readEvidence: not implemented yet');
}
