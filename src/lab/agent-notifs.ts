// The Notifs role of a lab agent: the real Notifs server (startNotifsServer) plus the server-side faults:
// stall and close through the server's own hooks (stall(), disconnect()); resets from the server's own TCP stack
// through Node's `net.server.socket` diagnostics channel (every accepted socket, without reaching into the
// server's internals); a restart is close() then start again on the same port with the same store.
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { CLOSE } from '../protocol/close-codes.ts';
import { MemoryStore } from '../server/memory-store.ts';
import { type NotifsServer, startNotifsServer } from '../server/notifs-server.ts';
import type { Emit, Handler } from './agent.ts';
import type { AgentCommand, NotifsAgentConfig } from './agent-protocol.ts';

export async function startNotifsRole(
  cfg: NotifsAgentConfig,
  emit: Emit,
): Promise<{ handler: Handler; shutdown: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  subscribe('net.server.socket', (msg) => {
    const s = (msg as { socket: Socket }).socket;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const store = new MemoryStore({ maxPerAgent: 10_000 });
  let port = cfg.port;
  const start = () =>
    startNotifsServer({
      host: cfg.host,
      port,
      keepaliveMs: cfg.timers.keepaliveMs,
      silenceMs: cfg.timers.silenceMs,
      recoveryMs: cfg.timers.recoveryMs,
      sweepMs: Math.max(10, Math.floor(cfg.timers.keepaliveMs / 5)),
      store,
      desktopPage: cfg.desktopPage ?? false,
      auth: cfg.secret ? { mode: 'secret', secret: cfg.secret } : undefined,
      log: (rec) => {
        if (rec.level === 'warn' || rec.level === 'error')
          emit({ ev: 'log', msg: `${rec.event} ${JSON.stringify(rec)}` });
      },
    });
  let server: NotifsServer | undefined = await start();
  port = server.port;
  emit({ ev: 'ready', port, pid: process.pid });

  const live = () => {
    if (!server) throw new Error('Notifs is not running');
    return server;
  };
  const handler: Handler = async (cmd: AgentCommand) => {
    switch (cmd.cmd) {
      case 'info':
        return { port, sockets: sockets.size, connections: server?.connections() ?? 0 };
      case 'stall':
      case 'unstall': {
        // The server's own stall hook works per agent: stall every agent with an open socket.
        const s = live();
        const agents = cfg.agents;
        for (const a of agents) s.stall(a, cmd.cmd === 'stall');
        return { agents };
      }
      case 'reset-all': {
        const n = sockets.size;
        for (const s of sockets) s.resetAndDestroy();
        return { reset: n };
      }
      case 'close-all': {
        // The server's own operator hook: a WebSocket close frame from Notifs to each of the agent's sockets.
        const s = live();
        let n = 0;
        for (const a of cfg.agents)
          n += s.disconnect(a, { code: cmd.code ?? CLOSE.SERVER_SHUTDOWN, reason: cmd.reason ?? '' });
        return { closed: n };
      }
      case 'refuse': {
        const s = live();
        server = undefined;
        await s.close();
        return { refused: true };
      }
      case 'accept': {
        if (!server) server = await start();
        return { port: server.port };
      }
      case 'publish': {
        const s = live();
        return s.publish(cfg.agents[0] ?? 'lab', { type: cmd.type, data: cmd.data ?? {} });
      }
      default:
        throw new Error(`notifs agent: unknown command ${cmd.cmd}`);
    }
  };
  return {
    handler,
    shutdown: async () => {
      await server?.close();
    },
  };
}
