// A capture file → timeline events (EvidenceResult). The driver: opens the file (pcap/pcapng, gzip, stdin), decodes
// each record into one reused DecodedPacket and feeds the analyzer; it owns the I/O, the key log and progress.
import { readFile, stat } from 'node:fs/promises';
import { LifelineError } from '../errors.ts';
import type { EvidenceResult, Problem, TimelineEvent } from '../events/types.ts';
import type { TlsRecordHook } from './analysis/app-stream.ts';
import { type AnalyzerOptions, CaptureAnalyzer } from './analysis/capture-analyzer.ts';
import { dnsAnswers } from './analysis/dns-answers.ts';
import { decodePacket } from './decode/decode-packet.ts';
import { openCapture } from './open-capture.ts';
import { newDecodedPacket } from './packet.ts';
import { emptyKeyLog, type KeyLog, keyLogFromSecretsBlocks, mergeKeyLogInto, parseKeyLog } from './tls/keylog.ts';
import { TlsSession } from './tls/tls-session.ts';

export interface CaptureEventsOptions {
  /** NSS key log file (SSLKEYLOGFILE) for TLS decryption; pcapng Decryption Secrets Blocks are used as well. */
  keylog?: string;
  /** Called about every 64k packets with bytes read and the file size (0 when unknown, e.g. stdin). */
  progress?: (done: number, total: number) => void;
  /**
   * For diagnose: message text is left out (diagnose never shows it), the analyzer's rarer spread-built events are
   * rebuilt as plain objects as they come (a spread copy takes 3–4× the memory), and up to LEAN_MAX_EVENTS are kept.
   */
  lean?: boolean;
}

/** Events kept when lean (~150 bytes each); past it the analyzer counts only (CAPTURE_EVENTS_CAPPED). */
export const LEAN_MAX_EVENTS = 12_000_000;
/** How often (packets) lean reading rebuilds the events added since the last time. */
const LEAN_EVERY = 4096;

export interface AnalyzeOptions extends CaptureEventsOptions {
  /** Keep events (captureToEvents) or only summaries (inspect). */
  keepEvents?: boolean;
  maxEvents?: number;
  allFlows?: boolean;
  onWsFrame?: AnalyzerOptions['onWsFrame'];
}

export interface AnalyzedCapture {
  analyzer: CaptureAnalyzer;
  format: string;
  problems: Problem[];
  meta: Record<string, unknown>;
  fileSize: number;
}

/** One streaming pass over a capture. Throws LifelineError only when the file cannot be opened at all. */
export async function analyzeCapture(file: string, opts: AnalyzeOptions = {}): Promise<AnalyzedCapture> {
  let fileSize = 0;
  if (file !== '-') {
    try {
      fileSize = (await stat(file)).size;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new LifelineError('CAPTURE_OPEN_FAILED', `cannot open ${file}: ${e.code ?? e.message}`, 'input');
    }
  }
  const keylog: KeyLog = emptyKeyLog();
  const problems: Problem[] = [];
  let keysGiven = false;
  if (opts.keylog) {
    let text: string;
    try {
      text = await readFile(opts.keylog, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new LifelineError(
        'KEYLOG_OPEN_FAILED',
        `cannot read key log ${opts.keylog}: ${e.code ?? e.message}`,
        'input',
      );
    }
    const kl = parseKeyLog(text, opts.keylog);
    mergeKeyLogInto(keylog, kl);
    problems.push(...kl.problems);
    keysGiven = true;
  }
  const src = await openCapture(file);
  let secretsMerged = 0;
  const refreshSecrets = (): void => {
    // Decryption Secrets Blocks usually come first in the file; merge any new ones before keying a connection.
    if (src.secrets.length > secretsMerged) {
      const kl = keyLogFromSecretsBlocks(src.secrets.slice(secretsMerged), `${file}#dsb`);
      mergeKeyLogInto(keylog, kl);
      problems.push(...kl.problems);
      secretsMerged = src.secrets.length;
    }
  };
  const tlsHook: AnalyzerOptions['tlsHook'] = () => {
    refreshSecrets();
    if (!keysGiven && secretsMerged === 0) return null;
    return tlsSessionHook(new TlsSession(keylog));
  };
  const analyzer = new CaptureAnalyzer({
    source: file,
    tlsHook,
    dns: dnsAnswers,
    maxEvents: opts.keepEvents === false ? 0 : (opts.maxEvents ?? (opts.lean ? LEAN_MAX_EVENTS : undefined)),
    allFlows: opts.allFlows,
    onWsFrame: opts.onWsFrame,
  });
  const pkt = newDecodedPacket();
  const progress = opts.progress;
  const lean = opts.lean === true && opts.keepEvents !== false;
  let n = 0;
  let leanDone = 0;
  // Events a packet produced carry its Wireshark frame number (what engineers quote); they share its offset.
  let stamped = 0;
  const onRecord = (rec: import('./packet.ts').CaptureRecord): void => {
    decodePacket(rec, pkt);
    analyzer.add(pkt);
    const evs = analyzer.events;
    for (; stamped < evs.length; stamped++)
      if (evs[stamped].frame === undefined && evs[stamped].offset === rec.offset) evs[stamped].frame = rec.frame;
    ++n;
    if (lean && n % LEAN_EVERY === 0) leanDone = compactEvents(analyzer.events, leanDone);
    if (progress !== undefined && (n & 0xffff) === 0) progress(src.bytesRead, fileSize);
  };
  if (src.forEachRecord) await src.forEachRecord(onRecord);
  else for await (const rec of src) onRecord(rec);
  analyzer.finish();
  if (lean) compactEvents(analyzer.events, leanDone);
  if (progress) progress(src.bytesRead, fileSize);
  const names: Record<string, string[]> = {};
  for (const [ip, ns] of src.names) names[ip] = ns;
  const meta = analyzer.meta({
    format: src.format,
    gzip: src.gzip === true,
    fileSize,
    nrbNames: names,
    interfaces: src.interfaces,
    secretsBlocks: src.secrets.length,
  });
  return {
    analyzer,
    format: src.format,
    problems: [...src.problems, ...problems, ...analyzer.problems],
    meta,
    fileSize,
  };
}

/**
 * Rebuilds events[from…] in place as plain literals with the same fields (in place: the analyzer may still relabel
 * a flow's early events by index), without message text. Returns the new end.
 */
function compactEvents(events: TimelineEvent[], from: number): number {
  for (let i = from; i < events.length; i++) events[i] = compactEvent(events[i]);
  return events.length;
}

function compactEvent(e: TimelineEvent): TimelineEvent {
  switch (e.kind) {
    case 'tcp-data':
    case 'tcp-ack':
      return e; // built as literals already
    case 'ws-message': {
      if (e.text === undefined) return e;
      const m: TimelineEvent = {
        ts: e.ts,
        source: e.source,
        sourceKind: e.sourceKind,
        conn: e.conn,
        offset: e.offset,
        frame: e.frame,
        dir: e.dir,
        kind: e.kind,
        opcode: e.opcode,
        length: e.length,
        cls: e.cls,
      };
      if (e.type !== undefined) m.type = e.type;
      if (e.epoch !== undefined) m.epoch = e.epoch;
      if (e.seq !== undefined) m.seq = e.seq;
      return m;
    }
    default: {
      // The rarer kinds are spread-built (dictionary objects): a copy key by key is a plain one.
      const o: Record<string, unknown> = {};
      for (const k in e) o[k] = (e as unknown as Record<string, unknown>)[k];
      return o as unknown as TimelineEvent;
    }
  }
}

/** Adapts the TLS engineer's TlsSession to the analyzer's decryption hook (docs/capture.md, "TLS hook"). */
export function tlsSessionHook(session: TlsSession): TlsRecordHook {
  return {
    onTlsRecord(dir, contentType, version, body) {
      const out = session.onRecord(dir, contentType, version, body);
      return out.appData ?? null;
    },
  };
}

export async function captureToEvents(file: string, opts: CaptureEventsOptions = {}): Promise<EvidenceResult> {
  const r = await analyzeCapture(file, { ...opts, keepEvents: true });
  const events = r.analyzer.events;
  // Capture order is time order except for clock steps and merged files; keep ties in capture order.
  let sorted = true;
  for (let i = 1; i < events.length && sorted; i++) if (events[i].ts < events[i - 1].ts) sorted = false;
  if (!sorted) events.sort((a, b) => a.ts - b.ts);
  return { file, kind: 'capture', format: r.format, events, problems: r.problems, meta: r.meta };
}
