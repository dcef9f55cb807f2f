// `lifeline diagnose FILE…`: the whole procedure — evidence in, one verdict per incident out.
// Thin driver: reads files (readEvidence), runs the pure pipeline (diagnose.ts), writes the reports.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { EXIT, LifelineError } from '../cli/exit-codes.ts';
import type { EvidenceResult } from '../events/types.ts';
import { readEvidence } from '../evidence/read-evidence.ts';
import { type Diagnosis, diagnose } from './diagnose.ts';
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

Exit codes: 0 done, 2 bad usage, 3 no file readable, 4 incidents found (with --fail-on-incident).
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
      new Option(
        '--dc <dc>',
        'WxCC data centre: Notifs is api.wxcc-<dc>.cisco.com (us1, eu1, eu2, anz1, ca1, jp1, sg1, in1)',
      ),
    )
    .option('--host <name>', 'Notifs host name, if not a WxCC data centre')
    .option('--ip <addr>', 'Notifs server address (from nslookup, seed step 5)')
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
    .addHelpText('after', HELP)
    .action(async (files: string[], o: CliOptions) => {
      const options = parseOptions(o);
      guardOutputs(files, o);
      const { results, unreadable } = await readAll(files, o.keylog);
      if (results.length === 0)
        throw new LifelineError(
          'DIAGNOSE_NOTHING_READABLE',
          `none of the ${files.length} file(s) could be read:\n${unreadable.map((u) => `  ${u.file}: ${u.code}: ${u.message}`).join('\n')}`,
          EXIT.INPUT,
        );
      for (const u of unreadable) process.stderr.write(`lifeline: warning: ${u.file}: ${u.code}: ${u.message}\n`);
      const { diagnosis, series } = diagnose({ results, unreadable, options, redact: o.redact });
      // `-` sends that report to stdout instead of the text/JSON one.
      let stdoutTaken = false;
      // The HTML/Markdown header names the command line and each input's size and SHA-256.
      const argv = (program as unknown as { rawArgs?: string[] }).rawArgs?.slice(2) ?? [];
      const ctx = o.html || o.md ? await reportContext(files, ['lifeline', ...argv]) : undefined;
      if (o.html) stdoutTaken = writeReport(o.html, renderHtml(diagnosis, series, ctx)) || stdoutTaken;
      if (o.md) stdoutTaken = writeReport(o.md, renderMarkdown(diagnosis, ctx)) || stdoutTaken;
      if (!stdoutTaken) process.stdout.write(o.json ? renderJson(diagnosis) : renderText(diagnosis));
      if (o.failOnIncident && diagnosis.incidents.length > 0) process.exitCode = EXIT.FOUND;
    });
}

function duration(name: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0)
    throw new LifelineError(
      'USAGE_BAD_DURATION',
      `--${name} ${JSON.stringify(text)}: expected e.g. 16s, 16000ms, 1m`,
      EXIT.USAGE,
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
    if (!/^[a-z]{2,6}\d{0,2}$/i.test(o.dc))
      throw new LifelineError(
        'USAGE_BAD_DC',
        `--dc ${JSON.stringify(o.dc)}: expected a data centre like us1, eu2, anz1`,
        EXIT.USAGE,
      );
    opts.dc = o.dc.toLowerCase();
  }
  if (o.host !== undefined) {
    if (!/^[a-z0-9.-]+$/i.test(o.host))
      throw new LifelineError('USAGE_BAD_HOST', `--host ${JSON.stringify(o.host)}: not a host name`, EXIT.USAGE);
    opts.host = o.host.toLowerCase();
  }
  if (o.ip !== undefined) {
    if (!/^[0-9a-f.:]+$/i.test(o.ip))
      throw new LifelineError('USAGE_BAD_IP', `--ip ${JSON.stringify(o.ip)}: not an IP address`, EXIT.USAGE);
    opts.ip = o.ip;
  }
  return opts;
}

/** Reads every file; one that cannot be read at all is reported, the rest analysed. */
export async function readAll(
  files: string[],
  keylog?: string,
): Promise<{ results: EvidenceResult[]; unreadable: Diagnosis['unreadable'] }> {
  const results: EvidenceResult[] = [];
  const unreadable: Diagnosis['unreadable'] = [];
  const tty = process.stderr.isTTY === true;
  for (const file of files) {
    try {
      const r = await readEvidence(file, {
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

/** Evidence is never overwritten: an output path that is also an input is a usage error (and two `-` clash). */
function guardOutputs(files: string[], o: CliOptions): void {
  const inputs = new Set(files.map((f) => resolve(f)));
  for (const [flag, out] of [
    ['--html', o.html],
    ['--md', o.md],
  ] as const) {
    if (out === undefined || out === '-') continue;
    if (inputs.has(resolve(out)))
      throw new LifelineError(
        'USAGE_OUTPUT_IS_INPUT',
        `${flag} ${out}: that is one of the evidence files; refusing to overwrite evidence (give ${flag} a new file name, or - for stdout)`,
        EXIT.USAGE,
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
        EXIT.USAGE,
      );
  }
  if (o.html === '-' && o.md === '-')
    throw new LifelineError('USAGE_TWO_STDOUT', '--html - and --md - cannot both use stdout', EXIT.USAGE);
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
    throw new LifelineError('DIAGNOSE_WRITE_FAILED', `cannot write ${path}: ${(err as Error).message}`, EXIT.INPUT);
  }
  return false;
}
