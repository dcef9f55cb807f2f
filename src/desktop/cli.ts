// `lifeline desktop`: a Node agent desktop. Prints state changes as they happen (text, or JSON lines with --json)
// and writes the error report (docs/error-report.md) on exit when --report is given.
import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EXIT, LifelineError } from '../cli/exit-codes.ts';
import { formatPosition } from '../protocol/stream-position.ts';

interface DesktopOpts {
  server: string;
  agent: string;
  token?: string;
  report?: string;
  json?: boolean;
  keepalive?: number;
  silence?: number;
  recovery?: number;
  duration?: number;
  clientId?: string;
  send?: string[];
}

const ms = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number ≥ ${min}`);
  return n;
};

export function registerDesktopCommand(program: Command): void {
  program
    .command('desktop')
    .description(
      'Run an agent desktop in Node: keep the Notifs socket alive, print state changes, write an error report.',
    )
    .requiredOption('--server <url>', 'Notifs base URL, e.g. http://127.0.0.1:8080')
    .requiredOption('--agent <id>', 'agent id (must match the token)')
    .addOption(new Option('--token <t>', 'bearer token (dev servers: agent:<id>)').env('LIFELINE_TOKEN'))
    .option('--report <file>', 'write the error report (JSON) here on exit')
    .option('--json', 'JSON lines on stdout instead of text')
    .option('--keepalive <ms>', 'keepalive period', ms('--keepalive', 10))
    .option('--silence <ms>', 'silence before recovering', ms('--silence', 20))
    .option('--recovery <ms>', 'recovery timeout before "lost"', ms('--recovery', 0))
    .option('--duration <s>', 'exit after this many seconds', ms('--duration', 0))
    .option('--client-id <id>', 'stable desktop id (default random)')
    .addHelpText(
      'after',
      `
States: connecting → connected ⇄ recovering → lost; closed (multi-login, refused token, or Ctrl-C).
Exit codes: 0 stopped by --duration or Ctrl-C; 4 the connection ended for good (lost or closed by Notifs);
2 bad arguments.

Examples:
  lifeline desktop --server http://127.0.0.1:8080 --agent agent-7 --token agent:agent-7
  lifeline desktop --server http://127.0.0.1:8080 --agent agent-7 --token "$T" --json --report report.json
  lifeline desktop --server http://127.0.0.1:8080 --agent a --token agent:a --keepalive 500 --silence 2000 --duration 30`,
    )
    .action(runDesktop);
}

async function runDesktop(o: DesktopOpts): Promise<void> {
  if (!o.token) throw new LifelineError('no-token', 'a token is required (--token or LIFELINE_TOKEN)', 'usage');
  try {
    new URL(o.server);
  } catch {
    throw new LifelineError('bad-url', `--server is not a URL: ${o.server}`, 'usage');
  }
  // Loaded here, not at the top: `ws` would otherwise be paid for by every lifeline command at start-up.
  const { DesktopClient } = await import('./desktop-client.ts');
  const client = new DesktopClient({
    serverUrl: o.server,
    agentId: o.agent,
    token: o.token,
    ...(o.clientId ? { clientId: o.clientId } : {}),
    ...(o.keepalive !== undefined ? { keepaliveMs: o.keepalive } : {}),
    ...(o.silence !== undefined ? { silenceMs: o.silence } : {}),
    ...(o.recovery !== undefined ? { recoveryMs: o.recovery } : {}),
  });
  printEvents(client, o.json === true);
  const code = await untilEnd(client, o.duration);
  client.close('exiting');
  if (o.report) writeReport(o.report, client.errorReport());
  process.exitCode = code;
}

type Client = InstanceType<typeof import('./desktop-client.ts').DesktopClient>;

/** Every state change, notification, resume, gap and error as a line on stdout (text or JSON). */
function printEvents(client: Client, json: boolean): void {
  const out = (obj: Record<string, unknown>, text: string) => {
    const ts = new Date().toISOString();
    process.stdout.write(json ? `${JSON.stringify({ ts, ...obj })}\n` : `${ts.slice(11, 23)} ${text}\n`);
  };
  client.on('state', (s) =>
    out({ event: 'state', from: s.from, to: s.to, reason: s.reason }, `${s.to.padEnd(10)} ${s.reason}`),
  );
  client.on('notification', (n) =>
    out(
      { event: 'notification', type: n.type, position: n.position, data: n.data },
      `notification ${n.type} ${formatPosition(n.position)}`,
    ),
  );
  client.on('resume', (r) =>
    out(
      { event: 'resume', ...r },
      r.recovered
        ? `resumed: complete, ${r.replayed} replayed`
        : `resumed: INCOMPLETE, ${r.replayed} replayed; missing ${r.missing?.map((m) => `${m.reason} ${m.epoch}:${m.fromSeq}..${m.toSeq ?? ''}`).join(', ')}`,
    ),
  );
  client.on('gap', (g) => out({ event: 'gap', ...g }, `GAP ${g.reason} ${g.epoch}:${g.fromSeq}..${g.toSeq ?? ''}`));
  client.on('error', (e) => out({ event: 'error', message: e.message }, `error ${e.message}`));
}

/** Runs the client until a signal, --duration, or the connection ending for good; resolves to the exit code. */
function untilEnd(client: Client, durationS: number | undefined): Promise<number> {
  return new Promise<number>((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (c: number) => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
      resolve(c);
    };
    const onSig = () => {
      client.close('stopped by signal');
      finish(EXIT.OK);
    };
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    client.on('state', (s) => {
      if (s.to === 'lost' || (s.to === 'closed' && !/stopped by|duration/.test(s.reason))) finish(EXIT.FOUND);
    });
    if (durationS !== undefined) {
      timer = setTimeout(() => {
        client.close('duration reached');
        finish(EXIT.OK);
      }, durationS * 1000);
    }
    client.start();
  });
}

function writeReport(file: string, report: unknown): void {
  try {
    writeFileSync(file, `${JSON.stringify(report, null, 1)}\n`);
  } catch (err) {
    process.stderr.write(`lifeline: report-write: ${(err as Error).message}\n`);
  }
}
