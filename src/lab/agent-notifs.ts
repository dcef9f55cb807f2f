// The Notifs role of a lab agent: the real Notifs server (startNotifsServer) plus the server-side faults.
// Sockets are tracked through Node's `net.server.socket` diagnostics channel, so a fault can act on the server's
// own TCP sockets (a reset from the server's stack, a close frame from the server) without reaching into the
// server's internals. A "restart" is close() then start again on the same port with the same store.
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { CLOSE } from '../protocol/close-codes.ts';
import { MemoryStore } from '../server/memory-store.ts';
import { type NotifsServer, startNotifsServer } from '../server/notifs-server.ts';
import type { Emit, Handler } from './agent.ts';
import type { AgentCommand, NotifsAgentConfig } from './agent-protocol.ts';

/** A server → client WebSocket close frame (unmasked), RFC 6455 §5.5.1. */
export function closeFrame(code: number, reason: string): Buffer {
  const r = Buffer.from(reason, 'utf8').subarray(0, 123);
  const f = Buffer.alloc(4 + r.length);
  f[0] = 0x88;
  f[1] = 2 + r.length;
  f.writeUInt16BE(code, 2);
  r.copy(f, 4);
  return f;
}

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
        let n = 0;
        for (const s of sockets) {
          // Only upgraded (WebSocket) sockets get a close frame; plain HTTP keep-alive sockets just end.
          if ((s as Socket & { _httpMessage?: unknown })._httpMessage === undefined) {
            s.write(closeFrame(cmd.code ?? CLOSE.SERVER_SHUTDOWN, cmd.reason ?? ''));
            n++;
          }
          s.end();
        }
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
