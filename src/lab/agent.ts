// Child-process entry of a lab agent: `node --import tsx src/lab/agent.ts notifs|foreign-notifs|desktop '<json>'`.
// Commands arrive as JSON lines on stdin, events and replies leave as JSON lines on stdout (agent-protocol.ts).
// Runs inside a network namespace when the runner starts it with `ip netns exec`.
import { createInterface } from 'node:readline';
import { startDesktopRole } from './agent-desktop.ts';
import { startForeignNotifsRole } from './agent-foreign-notifs.ts';
import { startNotifsRole } from './agent-notifs.ts';
import type { AgentCommand, AgentEvent, DesktopAgentConfig, NotifsAgentConfig } from './agent-protocol.ts';

export type Emit = (e: AgentEvent) => void;
export type Handler = (cmd: AgentCommand) => Promise<unknown>;

const emit: Emit = (e) => {
  process.stdout.write(`${JSON.stringify(e)}\n`);
};

async function main(): Promise<void> {
  const [role, configText] = process.argv.slice(2);
  const config = JSON.parse(configText ?? '{}') as unknown;
  let handler: Handler;
  let shutdown: () => Promise<void>;
  if (role === 'notifs') ({ handler, shutdown } = await startNotifsRole(config as NotifsAgentConfig, emit));
  else if (role === 'foreign-notifs')
    ({ handler, shutdown } = await startForeignNotifsRole(config as NotifsAgentConfig, emit));
  else if (role === 'desktop') ({ handler, shutdown } = await startDesktopRole(config as DesktopAgentConfig, emit));
  else throw new Error(`unknown role ${role}`);
  const rl = createInterface({ input: process.stdin });
  const exit = async () => {
    rl.close();
    await shutdown().catch(() => {});
    process.exit(0);
  };
  rl.on('close', () => void exit());
  rl.on('line', (line) => {
    let cmd: AgentCommand;
    try {
      cmd = JSON.parse(line) as AgentCommand;
    } catch {
      return;
    }
    if (cmd.cmd === 'exit') {
      void exit();
      return;
    }
    handler(cmd).then(
      (result) => emit({ ev: 'reply', id: cmd.id, ok: true, result }),
      (err: Error) => emit({ ev: 'reply', id: cmd.id, ok: false, error: err?.message ?? String(err) }),
    );
  });
}

main().catch((err: Error) => {
  process.stderr.write(`lab agent: ${err?.stack ?? err}\n`);
  process.exit(1);
});
