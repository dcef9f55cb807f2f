// WebSocket close codes Lifeline uses, and whether the desktop should reconnect after each.
// Rule of thumb: 40xx = transient (reconnect with backoff), 44xx = the desktop must not retry (retrying cannot help
// or would fight another session). Documented in docs/protocol.md; keep the two in step.

export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  UNSUPPORTED_DATA: 1003,
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY: 1008,
  TOO_BIG: 1009,
  INTERNAL: 1011,
  /** No message from the peer within the silence timeout (either side uses it). */
  SILENCE_TIMEOUT: 4000,
  /** Server shutting down or restarting. */
  SERVER_SHUTDOWN: 4001,
  /** Subscription unknown or expired: subscribe again. */
  SUBSCRIPTION_EXPIRED: 4002,
  /** The same desktop (same clientId) opened a newer socket; this one is obsolete. */
  REPLACED: 4003,
  /** Server overloaded or rate limited: back off and retry. */
  OVERLOADED: 4008,
  /** The desktop detected a wall-clock jump (sleep) and is replacing a probably half-open socket. */
  SLEEP_DETECTED: 4010,
  /** The desktop gave up waiting for the Welcome. */
  CONNECT_TIMEOUT: 4011,
  /** Not JSON, or not an object. */
  BAD_JSON: 4400,
  /** Token invalid or revoked. */
  UNAUTHORIZED: 4401,
  /** Subscription belongs to another agent. */
  FORBIDDEN: 4403,
  /** Another desktop logged in as this agent (after AgentMultiLoginCloseSession). */
  MULTI_LOGIN: 4409,
  /** Message larger than the limit. */
  MESSAGE_TOO_BIG: 4413,
  /** JSON with an unknown `type` or malformed fields. */
  UNKNOWN_TYPE: 4422,
} as const;

/** Who may send a code: Notifs only, the desktop only, either side, or nobody (1006 is reported locally). */
export type CloseSender = 'notifs' | 'desktop' | 'either' | 'local';

interface CloseInfo {
  name: string;
  reconnect: boolean;
  /** Who may send it. A code arriving from the other side is an echo of the peer's close (RFC 6455 §5.5.1). */
  by: CloseSender;
  meaning: string;
}

const TABLE: Record<number, CloseInfo> = {
  1000: {
    name: 'normal',
    by: 'either',
    reconnect: true,
    meaning: 'normal closure (from the server: reconnect; desktops close with it when the user quits)',
  },
  1001: { name: 'going-away', by: 'either', reconnect: true, meaning: 'endpoint going away' },
  1003: { name: 'unsupported-data', by: 'notifs', reconnect: false, meaning: 'binary or unsupported data' },
  1006: { name: 'abnormal', by: 'local', reconnect: true, meaning: 'connection dropped without a close frame' },
  1007: { name: 'invalid-payload', by: 'notifs', reconnect: false, meaning: 'invalid UTF-8 text' },
  1008: { name: 'policy', by: 'notifs', reconnect: false, meaning: 'policy violation' },
  1009: { name: 'too-big', by: 'notifs', reconnect: false, meaning: 'frame larger than the limit (ws maxPayload)' },
  1011: { name: 'internal-error', by: 'notifs', reconnect: true, meaning: 'server internal error' },
  4000: {
    name: 'silence-timeout',
    by: 'either',
    reconnect: true,
    meaning: 'no message from the peer within the silence timeout',
  },
  4001: { name: 'server-shutdown', by: 'notifs', reconnect: true, meaning: 'server shutting down or restarting' },
  4002: {
    name: 'subscription-expired',
    by: 'notifs',
    reconnect: true,
    meaning: 'subscription unknown or expired; subscribe again',
  },
  4003: {
    name: 'replaced',
    by: 'notifs',
    reconnect: false,
    meaning: 'a newer socket of the same desktop replaced this one',
  },
  4008: { name: 'overloaded', by: 'notifs', reconnect: true, meaning: 'server overloaded or rate limited; back off' },
  4010: {
    name: 'sleep-detected',
    by: 'desktop',
    reconnect: true,
    meaning: 'desktop saw a wall-clock jump (sleep) and reconnects',
  },
  4011: { name: 'connect-timeout', by: 'desktop', reconnect: true, meaning: 'desktop gave up waiting for the Welcome' },
  4400: { name: 'bad-json', by: 'notifs', reconnect: false, meaning: 'message is not a JSON object' },
  4401: { name: 'unauthorized', by: 'notifs', reconnect: false, meaning: 'token invalid or revoked' },
  4403: { name: 'forbidden', by: 'notifs', reconnect: false, meaning: 'subscription belongs to another agent' },
  4409: { name: 'multi-login', by: 'notifs', reconnect: false, meaning: 'another desktop logged in as this agent' },
  4413: { name: 'message-too-big', by: 'notifs', reconnect: false, meaning: 'message larger than the limit' },
  4422: { name: 'unknown-type', by: 'notifs', reconnect: false, meaning: 'unknown message type or malformed fields' },
};

export function closeInfo(code: number): CloseInfo {
  return (
    TABLE[code] ?? {
      name: `code-${code}`,
      by: 'either',
      // Unknown private codes in the "must not retry" band stay there; everything else is treated as transient.
      reconnect: !(code >= 4400 && code < 4500),
      meaning: 'unknown close code',
    }
  );
}

export function shouldReconnect(code: number): boolean {
  return closeInfo(code).reconnect;
}

/** The codes of Lifeline's table that only Notifs may send. */
export function notifsOnlyCodes(): number[] {
  return Object.entries(TABLE)
    .filter(([, info]) => info.by === 'notifs')
    .map(([code]) => Number(code));
}
