// The desktop role of a lab agent: Lifeline's desktop client (the isomorphic core with `ws` and Node timers, the
// same parts as DesktopClient) plus the desktop-side faults:
//  - freeze: the event loop is blocked for a while (a page stalled by the debugger / a frozen tab);
//  - mute: the client stops sending (keepalive timer and onmessage replies) while its timers run on time;
//  - prepare-sleep: the next SIGSTOP…SIGCONT is treated as a system suspend. Linux's CLOCK_MONOTONIC keeps
//    counting through SIGSTOP but stops during a real suspend, so this agent's monotonic clock skips the stopped
//    interval (detected as a heartbeat gap), and the client sees what it would after a sleep: a wall-clock jump.
import { writeFile } from 'node:fs/promises';
import { WebSocket } from 'ws';
import { DesktopClientCore } from '../desktop/client-core.ts';
import { type SocketLike, TimeoutTickSource } from '../desktop/socket-adapter.ts';
import type { Emit, Handler } from './agent.ts';
import type { AgentCommand, DesktopAgentConfig } from './agent-protocol.ts';

/** Heartbeat period of the sleep detector; a gap far above it while armed is a (simulated) suspend. */
const BEAT_MS = 20;
const SLEEP_GAP_MS = 400;

export async function startDesktopRole(
  cfg: DesktopAgentConfig,
  emit: Emit,
): Promise<{ handler: Handler; shutdown: () => Promise<void> }> {
  let skipped = 0;
  let lastBeat = performance.now();
  let sleepArmed = false;
  const mono = () => {
    const p = performance.now();
    if (sleepArmed && p - lastBeat > SLEEP_GAP_MS) {
      skipped += p - lastBeat - BEAT_MS;
      sleepArmed = false;
    }
    lastBeat = p;
    return p - skipped;
  };
  const beat = setInterval(() => mono(), BEAT_MS);
  const client = new DesktopClientCore(
    {
      serverUrl: cfg.url,
      agentId: cfg.agentId,
      token: cfg.token,
      keepaliveMs: cfg.timers.keepaliveMs,
      silenceMs: cfg.timers.silenceMs,
      recoveryMs: cfg.timers.recoveryMs,
      // An attempt must be able to fail inside the recovery window.
      connectTimeoutMs: Math.max(500, Math.floor(cfg.timers.recoveryMs / 4)),
      backoff: { baseMs: Math.max(100, cfg.timers.keepaliveMs), capMs: cfg.timers.silenceMs },
      sleepJumpMs: Math.max(200, cfg.timers.silenceMs / 2),
    },
    {
      runtime: 'node',
      userAgent: `node/${process.versions.node} (lifeline lab)`,
      timer: new TimeoutTickSource('node'),
      socketFactory: (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike,
      mono,
      wall: () => Date.now(),
    },
  );
  client.on('state', (s) => emit({ ev: 'state', state: s.to, t: Date.now(), reason: s.reason }));
  client.on('entry', (e) => {
    if (e.kind === 'sent' || e.kind === 'received') emit({ ev: 'message', dir: e.kind, cls: e.type, t: e.t });
  });
  client.start();
  emit({ ev: 'ready', pid: process.pid });

  const handler: Handler = async (cmd: AgentCommand) => {
    switch (cmd.cmd) {
      case 'info':
        return { state: client.state, clientId: client.clientId };
      case 'freeze': {
        // Deliberately synchronous: nothing else runs (timers, socket callbacks), like a page paused in the
        // debugger. Bounded by the command's own duration.
        const until = performance.now() + Math.min(cmd.ms, 60_000);
        while (performance.now() < until) {
          // spin
        }
        return { frozeMs: cmd.ms };
      }
      case 'prepare-sleep':
        lastBeat = performance.now();
        sleepArmed = true;
        return { armed: true };
      case 'mute':
        client.pauseKeepalive(true, true);
        return { muted: true };
      case 'unmute':
        client.pauseKeepalive(false, false);
        return { muted: false };
      case 'close':
        client.close(cmd.reason ?? 'closed by user');
        return { state: client.state };
      case 'report':
        await writeFile(cmd.file, `${JSON.stringify(client.errorReport(), null, 1)}\n`);
        return { file: cmd.file };
      default:
        throw new Error(`desktop agent: unknown command ${cmd.cmd}`);
    }
  };
  return {
    handler,
    shutdown: async () => {
      clearInterval(beat);
      client.close('lab run over');
    },
  };
}
