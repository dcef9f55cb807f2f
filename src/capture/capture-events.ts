// A capture file → timeline events (placeholder signature; the capture-reader issue implements it).
import type { EvidenceResult } from '../events/types.ts';

export interface CaptureEventsOptions {
  keylog?: string;
  progress?: (done: number, total: number) => void;
}

export async function captureToEvents(_file: string, _opts: CaptureEventsOptions = {}): Promise<EvidenceResult> {
  throw new Error('captureToEvents: not implemented yet');
}
