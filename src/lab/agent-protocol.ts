// JSON-lines protocol between the lab runner and its agent processes (agent.ts). One object per line.
import { WXCC_TIMERS } from '../protocol/wxcc.ts';

/** Lab timers: fast, so a scenario takes seconds, and the same on server, client and troubleshooter. */
export interface LabTimers {
  keepaliveMs: number;
  silenceMs: number;
  recoveryMs: number;
}

export const LAB_TIMERS: LabTimers = { keepaliveMs: 250, silenceMs: 1000, recoveryMs: 4000 };
/** WxCC's own: keepalive 4 s, 16 s of silence starts recovery, Desktop Lost Connection Recovery Timeout 50 s. */
export const PRODUCTION_TIMERS: LabTimers = { ...WXCC_TIMERS };

export interface NotifsAgentConfig {
  host: string;
  port: number;
  timers: LabTimers;
  /** Also serve the browser desktop page (/desktop/). */
  desktopPage?: boolean;
  /** The lab's agent ids (server-side faults such as stall act on them). */
  agents: string[];
  /** HMAC secret for `secret` auth (required off loopback, e.g. in a namespace); dev auth otherwise. */
  secret?: string;
}

export interface DesktopAgentConfig {
  /** Base URL of Notifs (http://host:port) the desktop subscribes through. */
  url: string;
  agentId: string;
  /** Bearer token for the agent (dev auth: the agent id itself). */
  token: string;
  timers: LabTimers;
}

export type AgentCommand =
  | { id: number; cmd: 'exit' }
  | { id: number; cmd: 'info' }
  // notifs
  | { id: number; cmd: 'stall' } // stop sending anything (keepalives included); TCP stays up
  | { id: number; cmd: 'unstall' }
  | { id: number; cmd: 'reset-all' } // RST every desktop socket
  | { id: number; cmd: 'close-all'; code?: number; reason?: string } // WebSocket close from the server
  | { id: number; cmd: 'refuse' } // stop accepting (close the listener)
  | { id: number; cmd: 'accept' } // listen again on the same port
  | { id: number; cmd: 'publish'; type: string; data?: unknown }
  // desktop
  | { id: number; cmd: 'freeze'; ms: number } // block the event loop for ms (a frozen page: Debugger.pause)
  | { id: number; cmd: 'prepare-sleep' } // the next SIGSTOP…SIGCONT is a system sleep: monotonic skips it
  | { id: number; cmd: 'mute' } // stop sending (timer and onmessage replies); timers keep running
  | { id: number; cmd: 'unmute' }
  | { id: number; cmd: 'close'; code?: number; reason?: string } // the desktop closes on purpose
  | { id: number; cmd: 'report'; file: string }; // write the error report

export type AgentEvent =
  | { ev: 'ready'; port?: number; pid: number }
  | { ev: 'state'; state: string; t: number; reason?: string }
  | { ev: 'message'; dir: 'sent' | 'received'; cls: string; t: number }
  | { ev: 'log'; msg: string }
  | { ev: 'reply'; id: number; ok: boolean; result?: unknown; error?: string };
