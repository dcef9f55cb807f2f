// The Notifs role of a lab agent on the foreign pair: the independently written WxCC-like server
// (foreign/wxcc-like-server.ts) behind the same agent commands as Lifeline's Notifs (agent-notifs.ts), so the same
// scenarios inject the same faults. Close commands use that server's own codes, whatever the scenario asks for:
// a foreign Notifs does not speak Lifeline's table.
import type { Emit, Handler } from './agent.ts';
import type { AgentCommand, NotifsAgentConfig } from './agent-protocol.ts';
import { startWxccLikeServer } from './foreign/wxcc-like-server.ts';

export async function startForeignNotifsRole(
  cfg: NotifsAgentConfig,
  emit: Emit,
): Promise<{ handler: Handler; shutdown: () => Promise<void> }> {
  const server = await startWxccLikeServer({
    host: cfg.host,
    port: cfg.port,
    keepaliveMs: cfg.timers.keepaliveMs,
    silenceMs: cfg.timers.silenceMs,
    notifyEvery: 3,
  });
  emit({ ev: 'ready', port: server.port, pid: process.pid });
  const handler: Handler = async (cmd: AgentCommand) => {
    switch (cmd.cmd) {
      case 'info':
        return { port: server.port, sockets: server.sockets() };
      case 'stall':
      case 'unstall':
        server.stall(cmd.cmd === 'stall');
        return { stalled: cmd.cmd === 'stall' };
      case 'reset-all':
        return { reset: server.resetAll() };
      case 'close-all':
        return { closed: server.closeAll() };
      case 'refuse':
        await server.refuse();
        return { refused: true };
      case 'accept':
        await server.accept();
        return { port: server.port };
      case 'publish':
        return { sent: server.publish(cmd.type, cmd.data ?? {}) };
      default:
        throw new Error(`foreign notifs agent: unknown command ${cmd.cmd}`);
    }
  };
  return { handler, shutdown: () => server.close() };
}
