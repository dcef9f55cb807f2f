// CLI commands of src/capture: `lifeline capture inspect` and `lifeline capture extract`.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { EXIT, LifelineError } from '../cli/exit-codes.ts';
import { assertSideInput } from '../input-files.ts';
import { redactDeep } from '../redact.ts';
import { formatInspect, inspectCapture } from './inspect.ts';

/** Progress on stderr, only when stderr is a terminal and the file is big enough to wait for. */
export function progressReporter(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (done, total) => {
    if (total < 64 * 1024 * 1024) return;
    const now = Date.now();
    if (now - last < 200 && done < total) return;
    last = now;
    const pct = Math.min(100, Math.floor((done / total) * 100));
    process.stderr.write(`\r${label} ${pct}% (${(done / 2 ** 20).toFixed(0)} / ${(total / 2 ** 20).toFixed(0)} MiB)`);
    if (done >= total) process.stderr.write('\n');
  };
}

export function registerCaptureCommands(program: Command): void {
  const capture = program
    .command('capture')
    .description('read packet captures (pcap/pcapng, gzip, stdin): flows, TCP analysis, WebSocket, TLS, DNS')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  lifeline capture inspect pc.pcapng\n' +
        '  lifeline capture inspect pc.pcapng.gz --json > summary.json\n' +
        '  lifeline capture extract pc.pcapng --host api.wxcc-us1.cisco.com -o notifs.pcapng\n',
    );

  capture
    .command('inspect')
    .argument('<file>', 'capture file (pcap or pcapng, optionally gzip); "-" reads stdin')
    .description('summarise a capture: time span, TCP flows, WebSocket and TLS flows, DNS names, anomalies, problems')
    .option('--json', 'machine-readable output (one JSON object)')
    .option(
      '--keylog <file>',
      'NSS key log (SSLKEYLOGFILE) to decrypt TLS; pcapng Decryption Secrets Blocks are used too',
    )
    .option('--max-flows <n>', 'flows listed in the text output', '20')
    .option('--no-redact', 'keep tokens, cookies, passwords and Authorization values in the output')
    .addHelpText(
      'after',
      '\nWhat it shows:\n' +
        '  flows       every TCP connection with Zeek-style state (S0 S1 SF REJ RSTO RSTR OTH …) and history letters,\n' +
        "              packets and payload bytes per direction, who sent the first FIN/RST and the RST's TTL\n" +
        "              against the sender's usual TTL (a different TTL points at a middlebox)\n" +
        '  websocket   ws:// flows (or wss:// with --keylog): URL, permessage-deflate, messages by class\n' +
        '              (keepalive, welcome, notification, …) and the close code\n' +
        '  tls         record counts and the rhythm of small records; a ~4 s rhythm both ways marks the\n' +
        '              likely Notifs socket even without keys\n' +
        "  anomalies   Wireshark's tcp.analysis flags (retransmission, dup ACK, zero window, …)\n" +
        '  problems    damaged or truncated input, with the byte offset in the file\n' +
        '\nExamples:\n' +
        '  lifeline capture inspect pc.pcapng\n' +
        '  lifeline capture inspect pc.pcapng --keylog sslkeys.log\n' +
        '  tcpdump -i any -w - port 443 | lifeline capture inspect -\n' +
        '\nSecrets (tokens in URLs, Authorization, cookies, passwords) are shown as [REDACTED] unless --no-redact.\n' +
        '\nExit codes: 0 read (problems inside the file are listed, not fatal), 3 the file cannot be read at all.\n',
    )
    .action(async (file: string, o: { json?: boolean; keylog?: string; maxFlows: string; redact: boolean }) => {
      const maxFlows = Number(o.maxFlows);
      if (!Number.isInteger(maxFlows) || maxFlows < 0) {
        throw new LifelineError('USAGE', `--max-flows must be a non-negative integer, got ${o.maxFlows}`, 'usage');
      }
      await assertSideInput('--keylog', 'KEYLOG_OPEN_FAILED', o.keylog);
      const read = await inspectCapture(file, { keylog: o.keylog, progress: progressReporter('reading') });
      const report = o.redact ? redactDeep(read) : read;
      if (o.json) process.stdout.write(`${JSON.stringify({ ...report, redacted: o.redact }, null, 2)}\n`);
      else process.stdout.write(formatInspect(report, maxFlows));
      if (report.format === 'unknown') process.exitCode = EXIT.INPUT;
    });

  registerExtract(capture);
}

function registerExtract(capture: Command): void {
  capture
    .command('extract')
    .argument('<file>', 'capture file (pcap or pcapng, optionally gzip); "-" reads stdin')
    .description("keep only the packets to and from Notifs (the procedure's step 6 filter) in a new pcapng")
    .option(
      '--host <name>',
      'host name; its addresses come from DNS answers in the capture and pcapng name blocks',
      collect,
      [],
    )
    .option('--ip <addr>', 'IP address (IPv4 or IPv6)', collect, [])
    .requiredOption(
      '-o, --output <file>',
      'output pcapng file (never one of the inputs; an existing file needs --force)',
    )
    .option('--force', 'replace the output file if it exists')
    .option('--no-redact', 'keep tokens, cookies, passwords and Authorization values in the printed summary')
    .option('--keylog <file>', 'embed this NSS key log in the output (Decryption Secrets Block) so it decrypts alone')
    .option('--json', 'print what was kept as JSON')
    .addHelpText(
      'after',
      '\nKeeps every packet whose source or destination address belongs to one of the hosts or addresses, plus the\n' +
        'DNS answers that named them. The output is pcapng and opens in Wireshark/tshark.\n' +
        '\nExamples:\n' +
        '  lifeline capture extract pc.pcapng --host api.wxcc-us1.cisco.com -o notifs.pcapng\n' +
        '  lifeline capture extract pc.pcap.gz --ip 203.0.113.10 --ip 2001:db8::10 -o notifs.pcapng\n' +
        '  lifeline capture extract pc.pcapng --host api.wxcc-us1.cisco.com --keylog sslkeys.log -o notifs.pcapng\n' +
        '\nDecryption Secrets Blocks of the input are copied to the output as well.\n' +
        '\nExit codes: 0 written, 2 bad usage (also: the output is an input, or exists without --force), 3 the\n' +
        'input cannot be read, 4 no packet matched (no output file is left).\n',
    )
    .action(async (file: string, o: ExtractCliOptions) => {
      if (o.host.length === 0 && o.ip.length === 0) {
        throw new LifelineError('USAGE', 'give at least one --host NAME or --ip ADDR', 'usage');
      }
      checkTargets(o);
      let keylogText: string | undefined;
      await assertSideInput('--keylog', 'KEYLOG_OPEN_FAILED', o.keylog);
      if (o.keylog) {
        try {
          keylogText = await readFile(o.keylog, 'utf8');
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          throw new LifelineError(
            'KEYLOG_OPEN_FAILED',
            `cannot read key log ${o.keylog}: ${e.code ?? e.message}`,
            'input',
          );
        }
      }
      const { extractCapture, formatExtract } = await import('./extract.ts');
      const r = await extractCapture(file, {
        hosts: o.host,
        ips: o.ip,
        output: o.output,
        keylogText,
        progress: progressReporter('extracting'),
        force: o.force === true,
        ...(o.keylog ? { otherInputs: [o.keylog] } : {}),
      });
      const shown = o.redact ? redactDeep(r) : r;
      if (o.json) process.stdout.write(`${JSON.stringify({ ...shown, redacted: o.redact }, null, 2)}\n`);
      else if (o.output !== '-') process.stdout.write(formatExtract(shown));
      if (r.format === 'unknown') process.exitCode = EXIT.INPUT;
      else if (!r.outputWritten)
        throw new LifelineError(
          'EXTRACT_NOTHING_MATCHED',
          `0 of ${r.packetsRead} packets matched; no output written${r.unresolved.length ? ` (no address found for ${r.unresolved.join(', ')})` : ''}`,
          'found',
        );
    });
}

interface ExtractCliOptions {
  host: string[];
  ip: string[];
  output: string;
  keylog?: string;
  json?: boolean;
  force?: boolean;
  redact: boolean;
}

/** --ip takes addresses only, --host names only (an address given to --host is a mistake worth naming). */
function checkTargets(o: ExtractCliOptions): void {
  for (const ip of o.ip)
    if (!isIP(ip))
      throw new LifelineError(
        'USAGE_BAD_IP',
        `--ip ${JSON.stringify(ip)}: not an IPv4 or IPv6 address (a host name goes to --host)`,
        'usage',
      );
  for (const h of o.host) {
    if (isIP(h))
      throw new LifelineError('USAGE_BAD_HOST', `--host ${JSON.stringify(h)}: an address goes to --ip`, 'usage');
    if (!/^[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_.])?$/i.test(h))
      throw new LifelineError('USAGE_BAD_HOST', `--host ${JSON.stringify(h)}: not a host name`, 'usage');
  }
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}
