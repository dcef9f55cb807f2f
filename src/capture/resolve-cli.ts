// `lifeline resolve DC|HOST`: the troubleshooting guide's steps 5 and 6 in one command — the Notifs addresses and the
// filters to capture / view only the PC <-> Notifs traffic. Exit 3 when nothing resolved (the name filters are
// still printed: they work without addresses).
import type { Command } from 'commander';
import { LifelineError } from '../cli/exit-codes.ts';
import {
  DATA_CENTRES,
  type ResolveReport,
  type Resolver,
  resolveFromCapture,
  resolveTarget,
  serverResolver,
  systemResolver,
} from './resolve.ts';

export interface ResolveCliOptions {
  json?: boolean;
  fromCapture?: string;
  server?: string;
  timeout?: string;
}

const HELP = `
Data centres: ${DATA_CENTRES.join(', ')} (api.wxcc-<dc>.cisco.com and desktop.wxcc-<dc>.cisco.com).

Examples:
  lifeline resolve us1                      addresses of api/desktop.wxcc-us1.cisco.com + filters
  lifeline resolve eu2 --server 8.8.8.8     ask one DNS server directly (like nslookup HOST SERVER)
  lifeline resolve us1 --from-capture pc.pcapng
                                            what the PC itself resolved, from the DNS answers in its capture
  lifeline resolve api.wxcc-anz1.cisco.com --json

Then capture:  tcpdump -i any -w pc.pcap '<capture filter>'
and view in Wireshark with the display filter.
Exit codes: 0 addresses found, 2 bad arguments, 3 nothing resolved (name-based filters still printed).`;

export function registerResolveCommand(program: Command): void {
  program
    .command('resolve')
    .description('Resolve a WxCC data centre or host to addresses, with Wireshark and tcpdump filters (steps 5-6)')
    .argument('<target>', `data centre (${DATA_CENTRES.join('|')}) or host name / IP`)
    .option('--json', 'machine-readable output')
    .option('--from-capture <file>', 'use the DNS answers inside this capture (pcap/pcapng, gzip ok) instead of DNS')
    .option('--server <ip>', 'query this DNS server directly instead of the system resolver')
    .option('--timeout <ms>', 'DNS timeout per host', '5000')
    .addHelpText('after', HELP)
    .action(async (target: string, opts: ResolveCliOptions) => {
      await runResolve(target, opts, (s) => process.stdout.write(s));
    });
}

/** The command's work, with the resolver and output injectable for tests. */
export async function runResolve(
  target: string,
  opts: ResolveCliOptions,
  write: (s: string) => void,
  resolver?: Resolver,
): Promise<ResolveReport> {
  const timeout = Number(opts.timeout ?? 5000);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new LifelineError('RESOLVE_BAD_TIMEOUT', `--timeout must be a positive number of ms`, 'usage');
  const rep = opts.fromCapture
    ? await resolveFromCapture(target, opts.fromCapture)
    : await resolveTarget(
        target,
        resolver ?? (opts.server ? serverResolver(opts.server, timeout) : systemResolver(timeout)),
      );
  write(opts.json ? `${JSON.stringify(rep, null, 2)}\n` : formatReport(rep));
  if (!rep.ok) {
    const why = rep.hosts.map((h) => `${h.host}: ${h.error?.code ?? 'no address'}`).join(', ');
    throw new LifelineError('RESOLVE_FAILED', `no address found (${why})`, 'input');
  }
  return rep;
}

export function formatReport(rep: ResolveReport): string {
  const lines: string[] = [];
  if (rep.dc) lines.push(`Data centre ${rep.dc}`);
  for (const h of rep.hosts) {
    lines.push(`${h.host}${h.source === 'dns' || h.source === 'literal' ? '' : `  (from ${h.source})`}`);
    if (h.cnames?.length) lines.push(`  via CNAME ${h.cnames.join(' -> ')}`);
    if (h.v4.length) lines.push(`  IPv4  ${h.v4.join(', ')}`);
    if (h.v6.length) lines.push(`  IPv6  ${h.v6.join(', ')}`);
    if (h.firstSeen !== undefined) lines.push(`  first answered at ${new Date(h.firstSeen).toISOString()}`);
    if (h.error) lines.push(`  not resolved: ${h.error.code} (${h.error.message})`);
  }
  lines.push('');
  if (rep.ok) {
    lines.push('Wireshark display filter:', `  ${rep.displayFilter}`);
    lines.push('Capture filter (tcpdump / Wireshark capture options):', `  ${rep.captureFilter}`);
  } else lines.push('No addresses: only the name-based filters below can be given.');
  if (rep.nameDisplayFilter) {
    lines.push(
      'Display filter by name (DNS queries and TLS handshakes for these hosts):',
      `  ${rep.nameDisplayFilter}`,
    );
    lines.push('Capture filter by name (tcpdump resolves the names when it starts):', `  ${rep.nameCaptureFilter}`);
  }
  return `${lines.join('\n')}\n`;
}
