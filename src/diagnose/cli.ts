// `lifeline diagnose FILE…`: the whole procedure — evidence in, one verdict per incident out.
// Thin driver: reads files (readEvidence), runs the pure pipeline (diagnose.ts), writes the reports.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { type Command, Option } from 'commander';
import { EXIT, LifelineError } from '../cli/exit-codes.ts';
import type { EvidenceResult } from '../events/types.ts';
import { readEvidence } from '../evidence/read-evidence.ts';
import { assertSideInput, unreadableMessage, whyUnreadable } from '../input-files.ts';
import { sameFile } from '../output-files.ts';
import { DATA_CENTRES, knownDataCentre } from '../protocol/wxcc.ts';
import { redactDeep } from '../redact.ts';
import { type DiagnosePhase, type Diagnosis, diagnose } from './diagnose.ts';
import { parseDuration } from './duration.ts';
import { DEFAULT_OPTIONS, type DiagnoseOptions } from './model.ts';
import { reportContext } from './report-header.ts';
import { renderHtml } from './report-html.ts';
import { renderJson } from './report-json.ts';
import { renderMarkdown } from './report-md.ts';
import { renderText } from './report-text.ts';

interface CliOptions {
  keylog?: string;
  dc?: string;
  host?: string;
  ip?: string;
  silence: string;
  recovery: string;
  keepalive: string;
  json?: boolean;
  html?: string;
  md?: string;
  redact: boolean;
  failOnIncident?: boolean;
  allowMissing?: boolean;
}

const HELP = `
Evidence (any mix, detected by content): the desktop error report (seed step 1), Chrome HAR with WebSocket
messages or a NetLog (step 4), pcap/pcapng captures from the PC or elsewhere, with --keylog to decrypt TLS
(step 6), firewall/router logs: Cisco ASA/FTD, Palo Alto, FortiGate, conntrack (step 7).

What it does: finds the desktop <-> Notifs connection (by --dc/--host/--ip, DNS answers, message patterns or
the 4 s keepalive rhythm when encrypted), aligns every file's clock to one reference (the capture, else the error
report, else the HAR), finds every incident (a silence >= --silence in either direction, a connection end, failed
reconnects, bursts, reordering) and gives each a verdict: who must act (desktop / network / backend), the cause,
the outcome, a confidence, the evidence, which evidence would settle it, and next steps.

Examples:
  lifeline diagnose error-report.json
  lifeline diagnose desktop.har pc.pcapng --keylog sslkeys.log --dc us1
  lifeline diagnose report.json desktop.har pc.pcapng asa.log --html report.html --md ticket.md
  lifeline diagnose pc.pcapng --ip 52.1.2.3 --silence 16s --recovery 2m --json > diagnosis.json
  lifeline diagnose desktop.har --html - > report.html
  lifeline diagnose *.har --fail-on-incident && echo "no disconnects"

Exit codes: 0 done, 2 bad usage, 3 a file cannot be read (missing, a directory, unknown format; --allow-missing
goes on with the others and only exits 3 when none can be read), 4 incidents found (with --fail-on-incident),
6 nothing to judge (no file recorded the Notifs connection: never read as "no incidents").
The JSON schema (lifeline.diagnosis v1) is documented in docs/diagnose.md.`;

export function registerDiagnoseCommand(program: Command): void {
  program
    .command('diagnose')
    .description(
      'Read disconnect evidence and give a verdict per incident (the Cisco troubleshooting procedure, automated)',
    )
    .argument('<files...>', 'evidence files (error report, HAR, NetLog, pcap/pcapng, device logs)')
    .option('--keylog <file>', 'NSS key log (SSLKEYLOGFILE) to decrypt TLS in captures')
    .addOption(
      new Option('--dc <dc>', `WxCC data centre: Notifs is api.wxcc-<dc>.cisco.com (${DATA_CENTRES.join(', ')})`),
    )
    .option('--host <name>', 'Notifs host name, if not a WxCC data centre')
    .option('--ip <addr>', 'Notifs server IPv4 or IPv6 address (from nslookup, seed step 5)')
    .option('--silence <duration>', 'silence that starts recovery (seed step 2)', '16s')
    .option('--recovery <duration>', 'Desktop Lost Connection Recovery Timeout', '50s')
    .option('--keepalive <duration>', 'keepalive period', '4s')
    .option('--json', 'print the diagnosis as JSON (schema lifeline.diagnosis v1) instead of text')
    .option(
      '--html <file>',
      'also write a self-contained HTML report (timeline chart, evidence); - = stdout instead of the text',
    )
    .option('--md <file>', 'also write a Markdown report for a ticket; - = stdout instead of the text')
    .option('--no-redact', 'keep tokens, cookies and Authorization values in the reports')
    .option('--fail-on-incident', 'exit 4 when at least one incident is found')
    .option('--allow-missing', 'go on when some files cannot be read (they are listed); without it that exits 3')
    .addHelpText('after', HELP)
    .action(async (files: string[], o: CliOptions) => {
      const options = parseOptions(o);
      guardOutputs(files, o);
      await assertSideInput('--keylog', 'KEYLOG_OPEN_FAILED', o.keylog);
      const { results, unreadable } = await readAll(files, o.keylog, o.allowMissing === true);
      const listed = o.redact ? redactDeep(unreadable) : unreadable; // file names and messages printed below
      if (unreadable.length > 0 && !o.allowMissing)
        throw new LifelineError('DIAGNOSE_UNREADABLE', unreadableMessage(listed, files.length), 'input');
      if (results.length === 0)
        throw new LifelineError(
          'DIAGNOSE_NOTHING_READABLE',
          `none of the ${files.length} file(s) could be read:\n${listed.map((u) => `  ${u.file}: ${u.code}: ${u.message}`).join('\n')}`,
          'input',
        );
      for (const u of listed) process.stderr.write(`lifeline: warning: ${u.file}: ${u.code}: ${u.message}\n`);
      const tty = process.stderr.isTTY === true;
      const { diagnosis, series } = diagnose({
        results,
        unreadable,
        options,
        redact: o.redact,
        ...(tty ? { progress: phaseLine() } : {}),
      });
      if (tty) process.stderr.write('\r\u001b[K');
      // `-` sends that report to stdout instead of the text/JSON one.
      let stdoutTaken = false;
      // The HTML/Markdown header names the command line and each input's size and SHA-256.
      const argv = (program as unknown as { rawArgs?: string[] }).rawArgs?.slice(2) ?? [];
      const ctx = o.html || o.md ? await reportContext(files, ['lifeline', ...argv]) : undefined;
      if (o.html) stdoutTaken = writeReport(o.html, renderHtml(diagnosis, series, ctx)) || stdoutTaken;
      if (o.md) stdoutTaken = writeReport(o.md, renderMarkdown(diagnosis, ctx)) || stdoutTaken;
      if (!stdoutTaken) process.stdout.write(o.json ? renderJson(diagnosis) : renderText(diagnosis));
      if (diagnosis.summary.nothingToJudge) process.exitCode = EXIT.NOTHING;
      else if (o.failOnIncident && diagnosis.incidents.length > 0) process.exitCode = EXIT.FOUND;
    });
}

function duration(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new LifelineError(
      'USAGE_BAD_DURATION',
      `--${name} ${JSON.stringify(text)}: expected e.g. 16s, 16000ms, 1m`,
      'usage',
    );
  return ms;
}

export function parseOptions(o: CliOptions): DiagnoseOptions {
  const opts: DiagnoseOptions = {
    ...DEFAULT_OPTIONS,
    silenceMs: duration('silence', o.silence),
    recoveryMs: duration('recovery', o.recovery),
    keepaliveMs: duration('keepalive', o.keepalive),
  };
  if (o.dc !== undefined) {
    const dc = knownDataCentre(o.dc);
    if (!dc)
      throw new LifelineError(
        'USAGE_BAD_DC',
        `--dc ${JSON.stringify(o.dc)}: not a WxCC data centre; known: ${DATA_CENTRES.join(', ')} (any other Notifs host: --host NAME)`,
        'usage',
      );
    opts.dc = dc;
  }
  if (o.host !== undefined) {
    if (isIP(o.host))
      throw new LifelineError('USAGE_BAD_HOST', `--host ${JSON.stringify(o.host)}: an address goes to --ip`, 'usage');
    if (!HOST_NAME.test(o.host))
      throw new LifelineError('USAGE_BAD_HOST', `--host ${JSON.stringify(o.host)}: not a host name`, 'usage');
    opts.host = o.host.toLowerCase().replace(/\.$/, '');
  }
  if (o.ip !== undefined) {
    if (!isIP(o.ip))
      throw new LifelineError(
        'USAGE_BAD_IP',
        `--ip ${JSON.stringify(o.ip)}: not an IPv4 or IPv6 address (a host name goes to --host)`,
        'usage',
      );
    opts.ip = o.ip.toLowerCase();
  }
  return opts;
}

/** Labels separated by dots, letters/digits/hyphens/underscores, at most 253 characters. */
const HOST_NAME =
  /^(?=.{1,253}\.?$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i;

/**
 * Reads every file; one that cannot be read at all is reported, the rest analysed. Missing files, directories and
 * unreadable paths are found before any reading starts, so a typo costs no wait: unless `goOn`, nothing is read then.
 */
export async function readAll(
  files: string[],
  keylog?: string,
  goOn = true,
): Promise<{ results: EvidenceResult[]; unreadable: Diagnosis['unreadable'] }> {
  const results: EvidenceResult[] = [];
  const unreadable: Diagnosis['unreadable'] = [];
  const tty = process.stderr.isTTY === true;
  const missing = new Set<string>();
  for (const file of files) {
    const why = await whyUnreadable(file);
    if (why) {
      unreadable.push(why);
      missing.add(file);
    }
  }
  if (unreadable.length > 0 && !goOn) return { results, unreadable };
  for (const file of files) {
    if (missing.has(file)) continue;
    try {
      const r = await readEvidence(file, {
        lean: true,
        ...(keylog ? { keylog } : {}),
        ...(tty ? { progress: (done: number, total: number) => progressLine(file, done, total) } : {}),
      });
      if (tty) process.stderr.write('\r\u001b[K');
      const fatal = r.problems.find((p) => p.severity === 'error');
      if (r.events.length === 0 && fatal) unreadable.push({ file, code: fatal.code, message: fatal.message });
      else results.push(r);
    } catch (err) {
      if (tty) process.stderr.write('\r\u001b[K');
      const code = err instanceof LifelineError ? err.code : 'EVIDENCE_UNREADABLE';
      unreadable.push({ file, code, message: (err as Error).message ?? String(err) });
    }
  }
  return { results, unreadable };
}

function progressLine(file: string, done: number, total: number): void {
  const pct = total > 0 ? Math.floor((done / total) * 100) : 0;
  process.stderr.write(`\r\u001b[Kreading ${file}: ${pct}%`);
}

/** A TTY line per diagnose phase; verdicts count incidents, redrawn at most every 100 ms. */
function phaseLine(): (phase: DiagnosePhase, done: number, total: number) => void {
  let last = 0;
  return (phase, done, total) => {
    const now = Date.now();
    if (phase === 'verdicts' && done > 0 && done < total && now - last < 100) return;
    last = now;
    const what = phase === 'verdicts' ? `verdicts: ${done}/${total} incident(s)` : `${phase}…`;
    process.stderr.write(`\r\u001b[Kdiagnose: ${what}`);
  };
}

/** Evidence is never overwritten: an output path that is also an input is a usage error (and two `-` clash). */
function guardOutputs(files: string[], o: CliOptions): void {
  for (const [flag, out] of [
    ['--html', o.html],
    ['--md', o.md],
  ] as const) {
    if (out === undefined || out === '-') continue;
    if (files.some((f) => f !== '-' && sameFile(f, out)))
      throw new LifelineError(
        'USAGE_OUTPUT_IS_INPUT',
        `${flag} ${out}: that is one of the evidence files; refusing to overwrite evidence (give ${flag} a new file name, or - for stdout)`,
        'usage',
      );
  }
  // `--html FILE…` with the value forgotten makes the first evidence file the output: never overwrite a file
  // that is not one of our own reports.
  for (const [flag, out, head] of [
    ['--html', o.html, '<!doctype html>'],
    ['--md', o.md, '# Agent Desktop disconnect diagnosis'],
  ] as const) {
    if (out === undefined || out === '-' || !existsSync(out)) continue;
    let start = '';
    try {
      start = readFileSync(out, 'latin1').slice(0, head.length);
    } catch {
      continue; // a directory or unreadable: the write reports it
    }
    if (start !== head)
      throw new LifelineError(
        'USAGE_OUTPUT_NOT_A_REPORT',
        `${flag} ${out}: the file exists and is not a Lifeline report (evidence?); refusing to overwrite it (give ${flag} a new file name, or - for stdout)`,
        'usage',
      );
  }
  if (o.html === '-' && o.md === '-')
    throw new LifelineError('USAGE_TWO_STDOUT', '--html - and --md - cannot both use stdout', 'usage');
}

/** Writes a report; `-` means stdout. Returns true when it used stdout. */
function writeReport(path: string, text: string): boolean {
  if (path === '-') {
    process.stdout.write(text);
    return true;
  }
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw new LifelineError('DIAGNOSE_WRITE_FAILED', `cannot write ${path}: ${(err as Error).message}`, 'input');
  }
  return false;
}
