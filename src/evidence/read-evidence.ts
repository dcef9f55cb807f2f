// Reads any evidence file, detecting its kind by CONTENT (not by name), into timeline events.
// Captures go to src/capture (captureToEvents); everything else is read here. Bad content never throws: the
// result carries Problems. Only a file that cannot be opened, or whose format is unknown, is an error
// (LifelineError, exit INPUT), because then there is nothing to analyse at all.
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { captureToEvents } from '../capture/capture-events.ts';
import { LifelineError } from '../errors.ts';
import type { EvidenceResult } from '../events/types.ts';
import { whyUnreadable } from '../input-files.ts';
import { type Detection, detectFormat } from './detect-format.ts';
import { readDeviceLog } from './device-log-reader.ts';
import { readHar } from './har-reader.ts';
import { readNetlog } from './netlog-reader.ts';
import { readReport } from './report-reader.ts';

export interface ReadEvidenceOptions {
  /** NSS key log file for TLS decryption of captures. */
  keylog?: string;
  /** Called with (bytesRead, totalBytes) on long reads. */
  progress?: (done: number, total: number) => void;
  /** Year for device-log lines that carry none (default: the file's modification year). */
  year?: number;
  /** Captures: compact events without message text (diagnose; see CaptureEventsOptions.lean). */
  lean?: boolean;
}

export async function readEvidence(file: string, opts: ReadEvidenceOptions = {}): Promise<EvidenceResult> {
  if (file === '-') return readStdin(opts);
  const why = await whyUnreadable(file);
  if (why) throw new LifelineError('EVIDENCE_UNREADABLE', `${file}: ${why.message}`, 'input');
  let d: Detection;
  try {
    d = await detectFormat(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new LifelineError('EVIDENCE_UNREADABLE', `${file}: cannot read: ${e.message}`, 'input');
  }
  const progress = opts.progress;
  let r: EvidenceResult;
  switch (d.kind) {
    case 'capture': {
      const copts: { keylog?: string; progress?: (done: number, total: number) => void; lean?: boolean } = {};
      if (opts.keylog) copts.keylog = opts.keylog;
      if (opts.lean) copts.lean = true;
      if (progress) copts.progress = progress;
      return captureToEvents(file, copts);
    }
    case 'har':
      r = await readHar(file, progress ? { progress } : {});
      break;
    case 'netlog':
      r = await readNetlog(file, progress ? { progress } : {});
      break;
    case 'report':
      r = await readReport(file, progress ? { progress } : {});
      break;
    case 'device-log':
      r = await readDeviceLog(file, {
        ...(opts.year !== undefined ? { year: opts.year } : {}),
        ...(progress ? { progress } : {}),
      });
      break;
    default:
      throw new LifelineError(
        'EVIDENCE_UNKNOWN_FORMAT',
        `${file}: not a format lifeline reads (${d.detail}${d.gzip ? ', inside gzip' : ''}). Expected a pcap/pcapng ` +
          'capture, a HAR, a Chrome NetLog, a Lifeline error report, or an ASA/FTD, Palo Alto, FortiGate or ' +
          'conntrack log',
        'input',
      );
  }
  if (d.gzip) r.meta.gzip = true;
  return r;
}

/**
 * `-` = standard input. Detection needs the head and the readers stream from a path, so stdin is spooled to a
 * private temporary file first; the result names the source `-`.
 */
async function readStdin(opts: ReadEvidenceOptions): Promise<EvidenceResult> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-stdin-'));
  const tmp = join(dir, 'stdin');
  try {
    await pipeline(process.stdin, createWriteStream(tmp, { mode: 0o600 }));
    const r = await readEvidence(tmp, opts).catch((err: unknown) => {
      if (err instanceof LifelineError) throw new LifelineError(err.code, err.message.split(tmp).join('-'), err.kind);
      throw err;
    });
    r.file = '-';
    for (const e of r.events) e.source = '-';
    for (const p of r.problems) p.file = '-';
    return r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
