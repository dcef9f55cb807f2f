// The `lifeline` command line. Each area registers its own subcommands; this file only wires them together.
import { Command, CommanderError } from 'commander';
import { registerCaptureCommands } from '../capture/cli.ts';
import { registerResolveCommand } from '../capture/resolve-cli.ts';
import { registerDesktopCommand } from '../desktop/cli.ts';
import { registerDiagnoseCommand } from '../diagnose/cli.ts';
import { registerEvidenceCommands } from '../evidence/cli.ts';
import { registerLabCommands } from '../lab/cli.ts';
import { registerServeCommand } from '../server/cli.ts';
import { EXIT, exitFor, LifelineError } from './exit-codes.ts';

export function buildProgram(): Command {
  const program = new Command('lifeline')
    .description(
      'Keep agent desktops connected to Notifs, and find out why one dropped.\n\n' +
        'Start with `lifeline demo`: it breaks a connection in every way the troubleshooting guide names and\n' +
        'shows the verdicts. Then `lifeline diagnose <evidence files…>` on real evidence.',
    )
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServeCommand(program);
  registerDesktopCommand(program);
  registerCaptureCommands(program);
  registerResolveCommand(program);
  registerEvidenceCommands(program);
  registerDiagnoseCommand(program);
  registerLabCommands(program);
  return program;
}

/**
 * A reader that stopped early (`lifeline capture inspect big.pcap | head`) closes the pipe: end quietly, as other
 * Unix tools do, instead of a stack trace for the EPIPE.
 */
function quietOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(process.exitCode ?? EXIT.OK);
    });
  }
}

export async function main(argv: string[]): Promise<void> {
  quietOnClosedPipe();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version land here with exitCode 0.
      process.exitCode = err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return;
    }
    if (err instanceof LifelineError) {
      process.stderr.write(`lifeline: ${err.code}: ${err.message}\n`);
      process.exitCode = exitFor(err.kind);
      return;
    }
    process.stderr.write(`lifeline: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = EXIT.INTERNAL;
  }
}
