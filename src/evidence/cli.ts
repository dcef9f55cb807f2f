// `lifeline evidence inspect FILE…`: what each evidence file is and what it shows, before any judgement.
import type { Command } from 'commander';
import { EXIT, LifelineError } from '../cli/exit-codes.ts';
import { formatDuration } from '../duration.ts';
import type { EvidenceResult, TimelineEvent } from '../events/types.ts';
import { assertSideInput, whyUnreadable } from '../input-files.ts';
import { redactDeep } from '../redact.ts';
import { readEvidence } from './read-evidence.ts';

/** Captured strings may carry terminal escapes or bidi overrides: show them as escapes, never raw. */
export function escapeControls(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
      const n = c.charCodeAt(0);
      return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
    })
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t');
}

/** JSON.stringify leaves C1 controls and bidi marks raw; escape them too (still valid JSON). */
export function safeJson(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(
    /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface InspectSummary {
  file: string;
  kind: string;
  format: string;
  firstTs?: number;
  lastTs?: number;
  connections: number;
  counts: Record<string, number>;
  problems: EvidenceResult['problems'];
  blindTo: string[];
  meta: EvidenceResult['meta'];
}

export function summarise(r: EvidenceResult): InspectSummary {
  const counts: Record<string, number> = {};
  const conns = new Set<string>();
  for (const e of r.events) {
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    if (e.dir) counts[`${e.kind}:${e.dir}`] = (counts[`${e.kind}:${e.dir}`] ?? 0) + 1;
    if (e.conn) conns.add(e.conn);
  }
  const s: InspectSummary = {
    file: r.file,
    kind: r.kind,
    format: r.format,
    connections: conns.size,
    counts,
    problems: r.problems,
    blindTo: r.meta.blindTo ?? [],
    meta: r.meta,
  };
  if (r.meta.firstTs !== undefined) s.firstTs = r.meta.firstTs;
  if (r.meta.lastTs !== undefined) s.lastTs = r.meta.lastTs;
  return s;
}

function iso(ts: number): string {
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toISOString();
}

function describeEvent(e: TimelineEvent): string {
  const parts: string[] = [iso(e.ts), e.kind];
  if (e.dir) parts.push(e.dir);
  if (e.conn) parts.push(`conn=${e.conn}`);
  switch (e.kind) {
    case 'ws-message':
      parts.push(e.cls, `${e.length}B`);
      if (e.type) parts.push(`type=${e.type}`);
      if (e.seq !== undefined) parts.push(`pos=${e.epoch ?? ''}/${e.seq}`);
      if (e.text) parts.push(JSON.stringify(e.text.slice(0, 80)));
      break;
    case 'ws-control':
      parts.push(e.op);
      if (e.code !== undefined) parts.push(String(e.code));
      break;
    case 'conn-open':
      parts.push(e.layer, e.host ?? '', e.ip ?? '');
      break;
    case 'conn-close':
      parts.push(e.how, `by=${e.by ?? '?'}`, e.reason ?? '');
      break;
    case 'conn-fail':
      parts.push(e.stage, e.error);
      break;
    case 'device-log':
      parts.push(
        e.vendor,
        e.action,
        e.cause ?? '',
        `${e.srcIp ?? '?'}:${e.srcPort ?? '?'} → ${e.dstIp ?? '?'}:${e.dstPort ?? '?'}`,
      );
      if (e.clockUncertain) parts.push('(device clock, zone unknown)');
      break;
    case 'desktop-state':
      parts.push(e.state, e.reason ?? '');
      break;
    case 'dns-answer':
      parts.push(e.name, e.addresses.join(','));
      break;
    default:
      break;
  }
  return escapeControls(parts.filter((p) => p !== '').join('  '));
}

export function formatHuman(
  s: InspectSummary,
  events?: TimelineEvent[],
  limit = 50,
  total = events?.length ?? 0,
): string {
  const lines: string[] = [];
  lines.push(escapeControls(s.file));
  lines.push(`  kind         ${s.kind} (${escapeControls(s.format)})`);
  if (s.firstTs !== undefined && s.lastTs !== undefined) {
    lines.push(`  time span    ${iso(s.firstTs)} → ${iso(s.lastTs)} (${formatDuration(s.lastTs - s.firstTs)})`);
  } else lines.push('  time span    (no timed events)');
  if (s.meta.utcOffsetMin !== undefined) lines.push(`  utc offset   ${s.meta.utcOffsetMin} min (stated by the log)`);
  lines.push(`  connections  ${s.connections}`);
  const conns = Array.isArray(s.meta.connections) ? (s.meta.connections as Record<string, unknown>[]) : [];
  for (const c of conns.slice(0, 20)) {
    const bits = [
      c.conn,
      c.url ?? c.host,
      c.ip,
      c.messages !== undefined ? `${c.messages} messages` : c.frames !== undefined ? `${c.frames} frames` : undefined,
    ];
    lines.push(`    ${escapeControls(bits.filter((b) => b !== undefined && b !== '').join('  '))}`);
  }
  if (conns.length > 20) lines.push(`    … ${conns.length - 20} more`);
  const kinds = Object.entries(s.counts)
    .filter(([k]) => !k.includes(':'))
    .sort((a, b) => b[1] - a[1]);
  lines.push(`  events       ${kinds.length ? '' : '(none)'}`);
  for (const [k, n] of kinds) {
    const dirs = ['c2s', 's2c']
      .map((d) => (s.counts[`${k}:${d}`] ? `${d} ${s.counts[`${k}:${d}`]}` : ''))
      .filter(Boolean);
    lines.push(`    ${k.padEnd(18)} ${String(n).padStart(7)}${dirs.length ? `  (${dirs.join(', ')})` : ''}`);
  }
  lines.push(`  blind to     ${s.blindTo.length ? s.blindTo.join(', ') : '(nothing noted)'}`);
  if (!s.problems.length) lines.push('  problems     (none)');
  else {
    lines.push(`  problems     ${s.problems.length}`);
    for (const p of s.problems.slice(0, 30)) {
      const where = p.line !== undefined ? `line ${p.line}` : p.offset !== undefined ? `byte ${p.offset}` : 'file';
      lines.push(`    ${p.severity.padEnd(7)} ${p.code} at ${where}: ${escapeControls(p.message)}`);
    }
    if (s.problems.length > 30) lines.push(`    … ${s.problems.length - 30} more (use --json for all)`);
  }
  if (events) {
    lines.push(`  first ${Math.min(limit, events.length)} of ${total} events`);
    for (const e of events.slice(0, limit)) lines.push(`    ${describeEvent(e)}`);
  }
  return lines.join('\n');
}

export function registerEvidenceCommands(program: Command): void {
  const evidence = program
    .command('evidence')
    .description('Read evidence files (HAR, NetLog, error report, device logs, captures) and show what they contain');
  evidence
    .command('inspect')
    .description(
      'Per file: the detected kind and format (by content, not by name), time span, connections, counts by\n' +
        'event kind, problems found (with line or byte offset), and what that kind of evidence cannot show.',
    )
    .argument('<files...>', 'evidence files (gzip is fine; - reads standard input)')
    .option('--json', 'machine-readable output (one JSON object, schema lifeline.evidence-inspect v1)')
    .option('--events', 'also list the first events of each file')
    .option('--limit <n>', 'how many events --events lists', '50')
    .option('--keylog <file>', 'NSS key log file to decrypt TLS in captures')
    .option('--year <yyyy>', 'year for syslog lines that carry none (default: the file modification year)')
    .option('--no-redact', 'keep tokens, cookies, passwords and Authorization values in the output')
    .option('--allow-missing', 'exit 0 when some files cannot be read (they are still listed)')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lifeline evidence inspect desktop.har chrome-net-export.json\n' +
        '  lifeline evidence inspect --events --limit 20 lifeline-error-report.json\n' +
        '  lifeline evidence inspect --year 2025 asa-syslog.txt pa-traffic.csv\n' +
        "  lifeline evidence inspect --json capture.pcapng.gz --keylog sslkeys.log | jq '.files[0].counts'\n\n" +
        'Secrets (tokens in URLs, Authorization, cookies, passwords) are shown as [REDACTED] unless --no-redact.\n' +
        'The --json shape is documented in docs/evidence.md.\n\n' +
        'Exit codes: 0 all files read (problems inside files are listed, not fatal), 3 a file could not be read\n' +
        '(missing, a directory, not a known format; --allow-missing: only when none could be read), 2 bad usage.',
    )
    .action(async (files: string[], o: InspectCliOptions) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 0)
        throw new LifelineError('USAGE', `--limit must be a whole number, got ${o.limit}`, 'usage');
      let year: number | undefined;
      if (o.year !== undefined) {
        year = Number(o.year);
        if (!/^\d{4}$/.test(o.year))
          throw new LifelineError('USAGE', `--year must be a 4-digit year, got ${o.year}`, 'usage');
      }
      await assertSideInput('--keylog', 'KEYLOG_OPEN_FAILED', o.keylog);
      const out: InspectJson = { schema: INSPECT_SCHEMA, version: 1, redacted: o.redact, files: [], unreadable: [] };
      for (const file of files) {
        const r = await inspectOne(file, { ...o, year });
        if ('error' in r) {
          const error = o.redact ? redactDeep(r.error) : r.error;
          out.unreadable.push(error);
          if (!o.json) process.stderr.write(`lifeline: ${error.code}: ${escapeControls(error.message)}\n`);
          continue;
        }
        const s = o.redact ? redactDeep(r.summary) : r.summary;
        const events = o.events ? r.events.slice(0, limit) : undefined;
        const shownEvents = events && o.redact ? redactDeep(events) : events;
        if (o.json) out.files.push(shownEvents ? { ...s, events: shownEvents } : s);
        else process.stdout.write(`${formatHuman(s, shownEvents, limit, r.events.length)}\n\n`);
      }
      if (o.json) process.stdout.write(`${safeJson(out)}\n`);
      if (out.unreadable.length > 0 && (!o.allowMissing || out.files.length === 0)) process.exitCode = EXIT.INPUT;
    });
}

interface InspectCliOptions {
  json?: boolean;
  events?: boolean;
  limit: string;
  keylog?: string;
  year?: string;
  redact: boolean;
  allowMissing?: boolean;
}

export const INSPECT_SCHEMA = 'lifeline.evidence-inspect';

/** `evidence inspect --json`: one object (docs/evidence.md). */
export interface InspectJson {
  schema: typeof INSPECT_SCHEMA;
  version: 1;
  /** Secrets replaced by [REDACTED] (false with --no-redact). */
  redacted: boolean;
  /** One entry per file read, in command-line order; `events` only with --events. */
  files: (InspectSummary & { events?: TimelineEvent[] })[];
  /** Files that could not be read at all, with a stable code. */
  unreadable: { file: string; code: string; message: string }[];
}

type InspectOutcome =
  | { summary: InspectSummary; events: TimelineEvent[] }
  | { error: { file: string; code: string; message: string } };

async function inspectOne(file: string, o: { keylog?: string; year?: number }): Promise<InspectOutcome> {
  const tty = process.stderr.isTTY === true;
  const progress = tty
    ? (done: number, total: number) => {
        process.stderr.write(`\r${escapeControls(file)}: ${total ? Math.floor((done / total) * 100) : 0}%`);
      }
    : undefined;
  const why = await whyUnreadable(file);
  if (why) return { error: { file, code: why.code, message: `${file}: ${why.message}` } };
  try {
    const r = await readEvidence(file, {
      ...(o.keylog ? { keylog: o.keylog } : {}),
      ...(progress ? { progress } : {}),
      ...(o.year !== undefined ? { year: o.year } : {}),
    });
    if (tty) process.stderr.write('\r\x1b[K');
    return { summary: summarise(r), events: r.events };
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K');
    const e = err as Error & { code?: string };
    if (!(err instanceof LifelineError)) process.stderr.write(`${e.stack ?? ''}\n`);
    const code = err instanceof LifelineError ? e.code : 'EVIDENCE_READ_FAILED';
    return { error: { file, code: code ?? 'EVIDENCE_READ_FAILED', message: e.message } };
  }
}
