// The messages on the Notifs socket, as typed values. Wire shapes (JSON text) live in codec.ts and docs/protocol.md.
// WxCC-compatible: keepalive {"keepalive":"true"} both ways, Welcome first, notifications {"type","data"}.
// Lifeline adds: stream positions on notifications (top-level "epoch"/"seq"), resume results in the Welcome,
// and acknowledged desktop → Notifs messages ("DesktopMessage" / "Ack").
import type { ResumeResult, StreamPosition } from './stream-position.ts';

/**
 * WxCC's multi-login notice. Cisco's SDK socket layer stops reconnecting only on a top-level `AGENT_MULTI_LOGIN`
 * (it ignores close codes); the application reads `data.type` `AgentMultiLoginCloseSession`. Lifeline sends
 * `{"type":"AGENT_MULTI_LOGIN","data":{"type":"AgentMultiLoginCloseSession",…}}` and decodes either at the top.
 */
export const MULTI_LOGIN_TYPES = ['AgentMultiLoginCloseSession', 'AGENT_MULTI_LOGIN'] as const;
export const MULTI_LOGIN_WIRE_TYPE = 'AGENT_MULTI_LOGIN';
export const MULTI_LOGIN_APP_TYPE = 'AgentMultiLoginCloseSession';

/**
 * WxCC envelope fields a publisher may set on a notification; passed through at the top level of the message
 * (Cisco's SDK reads `trackingId`). `eventTime` is epoch ms.
 */
export interface NotificationEnvelope {
  trackingId?: string;
  orgId?: string;
  eventTime?: number;
}

export interface WelcomeData {
  agentId: string;
  subscriptionId?: string;
  /** The desktop's stream position right after the Welcome (replayed notifications, if any, follow it). */
  position?: StreamPosition;
  /** Present when the desktop asked to resume. */
  resume?: ResumeResult;
  /** Highest desktop message sequence (cseq) the server has received from this desktop (clientId). */
  ackedCseq?: number;
  /** The server's timers, so a desktop can check they agree. */
  keepaliveMs?: number;
  silenceMs?: number;
}

export type ServerMessage =
  | { kind: 'keepalive' }
  | { kind: 'welcome'; data: WelcomeData }
  | { kind: 'notification'; type: string; data: unknown; position?: StreamPosition }
  | { kind: 'ack'; cseq: number }
  | { kind: 'multilogin'; type: string; data: unknown };

export type DesktopMessage = { kind: 'keepalive' } | { kind: 'message'; cseq: number; data: unknown };

export const DESKTOP_MESSAGE_TYPE = 'DesktopMessage';
export const ACK_TYPE = 'Ack';
export const WELCOME_TYPE = 'Welcome';
