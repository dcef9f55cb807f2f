// The header block of the HTML and Markdown reports: what produced the report (version, command line, timers,
// when) and every input file with its size, SHA-256, time span, blind spots and problems in words — so a report
// attached to a ticket says exactly which evidence it judged. `reportContext` does the file I/O (hashing) for the
// CLI; `headerView` is pure and words it once for both renderers (each escapes and lays it out).
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Problem } from '../events/types.ts';
import { redactString } from '../redact.ts';
import { clockWords, type Diagnosis } from './diagnose.ts';
import { formatDuration, iso } from './duration.ts';

export interface InputFile {
  file: string;
  size?: number;
  sha256?: string;
  /** Why size/hash are missing (unreadable file). */
  error?: string;
}

export interface ReportContext {
  version: string;
  /** argv as typed, starting with the program name. */
  commandLine?: string[];
  generatedAt?: number;
  inputs: InputFile[];
}

export interface HeaderFile {
  file: string;
  size: string;
  sha256: string;
  kind: string;
  /** "12 of 340" events kept as Notifs-related, and how the file's clock was aligned. */
  events: string;
  clock: string;
  span: string;
  blindTo: string;
  problems: string[];
}

export interface HeaderView {
  facts: [string, string][];
  files: HeaderFile[];
}

const MAX_PROBLEMS_SHOWN = 20;

let version: string | undefined;
/** This build's version, from package.json (one place). */
export function lifelineVersion(): string {
  if (version === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    version = pkg.version ?? 'unknown';
  }
  return version;
}

/** Size and SHA-256 of every input (streamed: captures can be GBs). Never throws: a failure is recorded. */
export async function reportContext(files: string[], commandLine: string[], now = Date.now()): Promise<ReportContext> {
  const inputs: InputFile[] = [];
  for (const file of files) {
    try {
      const st = await stat(file);
      if (!st.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
      const h = createHash('sha256');
      for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
      inputs.push({ file, size: st.size, sha256: h.digest('hex') });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      inputs.push({ file, error: e.code ?? e.message });
    }
  }
  return { version: lifelineVersion(), commandLine, generatedAt: now, inputs };
}

/** A shell-ready rendering of argv: arguments with spaces or quotes are single-quoted. */
export function shellLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function bytesText(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]} (${n} bytes)`;
}

export function problemText(p: Problem): string {
  const where = p.line !== undefined ? ` (line ${p.line})` : p.offset !== undefined ? ` (byte ${p.offset})` : '';
  return `${p.severity}: ${p.code}: ${p.message}${where}`;
}

export function headerView(d: Diagnosis, ctx?: ReportContext): HeaderView {
  const o = d.options;
  const timers = [
    `silence ${formatDuration(o.silenceMs)}`,
    `recovery ${formatDuration(o.recoveryMs)}`,
    `keepalive ${formatDuration(o.keepaliveMs)}`,
    ...(o.dc ? [`data centre ${o.dc}`] : []),
    ...(o.host ? [`host ${o.host}`] : []),
    ...(o.ip ? [`ip ${o.ip}`] : []),
  ].join(', ');
  const cmd = ctx?.commandLine ? shellLine(ctx.commandLine) : '(not recorded)';
  const facts: [string, string][] = [
    ['Lifeline', ctx?.version ?? lifelineVersion()],
    ['Command', d.redacted ? redactString(cmd) : cmd],
    ['Timers', timers],
  ];
  if (ctx?.generatedAt !== undefined) facts.push(['Generated', iso(ctx.generatedAt)]);
  facts.push(['Reference clock', d.reference ?? 'none']);
  if (d.start !== undefined && d.end !== undefined)
    facts.push(['Evidence covers', `${iso(d.start)} → ${iso(d.end)} (${formatDuration(d.end - d.start)})`]);
  facts.push(['Secrets', d.redacted ? 'redacted' : 'kept (--no-redact)']);
  return { facts, files: headerFiles(d, ctx) };
}

function headerFiles(d: Diagnosis, ctx: ReportContext | undefined): HeaderFile[] {
  const input = new Map((ctx?.inputs ?? []).map((i) => [i.file, i]));
  const sizeOf = (file: string) => {
    const i = input.get(file);
    if (!i) return { size: 'not measured', sha256: 'not computed' };
    if (i.error) return { size: `unreadable (${i.error})`, sha256: '—' };
    return { size: i.size !== undefined ? bytesText(i.size) : '?', sha256: i.sha256 ?? '?' };
  };
  const files: HeaderFile[] = d.sources.map((s) => {
    const shown = s.problems.slice(0, MAX_PROBLEMS_SHOWN).map(problemText);
    if (s.problems.length > MAX_PROBLEMS_SHOWN) shown.push(`… and ${s.problems.length - MAX_PROBLEMS_SHOWN} more`);
    const span =
      s.firstTs !== undefined && s.lastTs !== undefined
        ? `${iso(s.firstTs)} → ${iso(s.lastTs)} (${formatDuration(s.lastTs - s.firstTs)})`
        : 'no Notifs events';
    return {
      file: s.file,
      ...sizeOf(s.file),
      kind: `${s.kind}/${s.format}`,
      events: `${s.events} of ${s.eventsRead}`,
      clock: clockWords(s.clock),
      span,
      blindTo: s.blindTo.length ? s.blindTo.join(', ') : 'nothing noted',
      problems: shown,
    };
  });
  for (const u of d.unreadable)
    files.push({
      file: u.file,
      ...sizeOf(u.file),
      kind: 'unreadable',
      events: '0',
      clock: '—',
      span: '—',
      blindTo: 'everything (not read)',
      problems: [`error: ${u.code}: ${u.message}`],
    });
  return files;
}
