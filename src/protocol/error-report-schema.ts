// The desktop error report (the seed's step 1): what Lifeline's desktop client writes and the troubleshooter reads.
// Versioned: a reader must accept every version listed in docs/error-report.md. Bump `version` on any change
// that a version-1 reader would misread; adding optional fields does not need a bump.

export const ERROR_REPORT_SCHEMA = 'lifeline.error-report';
export const ERROR_REPORT_VERSION = 1;

export interface ErrorReportV1 {
  schema: typeof ERROR_REPORT_SCHEMA;
  version: 1;
  /** Wall clock (epoch ms) when the report was written. */
  createdAt: number;
  agentId: string;
  /** Random id of this desktop instance (stable across reconnects). */
  clientId: string;
  runtime: 'node' | 'browser';
  userAgent?: string;
  /** Where the desktop connected: the subscribe URL and the last WebSocket URL (token removed). */
  serverUrl: string;
  config: {
    keepaliveMs: number;
    silenceMs: number;
    recoveryMs: number;
    /** Where the keepalive timer runs: a Web Worker (browser default), the main thread, or Node's event loop. */
    keepaliveTimer: 'worker' | 'main' | 'node';
  };
  /** Clock pair at start: wall (epoch ms) and monotonic (performance.now() ms), to map `m` to wall time. */
  clock: { wallAtStart: number; monoAtStart: number };
  /** The flight recorder ring, oldest first. `dropped` entries fell off the front. */
  entries: ReportEntry[];
  dropped: number;
  /** Summary counters, so a truncated ring still tells totals. */
  totals: {
    sent: number;
    received: number;
    keepalivesSent: number;
    keepalivesReceived: number;
    reconnects: number;
    notificationsDelivered: number;
    duplicatesDropped: number;
  };
  /** Last known stream position. */
  position?: { epoch: string; seq: number };
  /** The last WebSocket URL the desktop connected to (credentials removed). Optional, added in v1. */
  lastWebSocketUrl?: string;
}

interface EntryBase {
  /** Wall clock, epoch ms (Date.now()). */
  t: number;
  /** Monotonic clock, ms (performance.now()); jumps of t−m reveal sleep or clock changes. */
  m: number;
  /** Connection attempt number this entry belongs to (1 = first connect). */
  conn?: number;
}

export type ReportEntry =
  | (EntryBase & {
      kind: 'sent' | 'received';
      /** Message class as in src/events/types.ts MessageClass. */
      type: string;
      size: number;
      /** Stream position for notifications. */
      epoch?: string;
      seq?: number;
      /** Which path sent a keepalive: worker timer, main-thread timer, or the reply from onmessage. */
      via?: 'worker' | 'main' | 'node' | 'onmessage';
    })
  | (EntryBase & { kind: 'state'; from: string; to: string; reason?: string })
  | (EntryBase & {
      kind: 'reconnect';
      attempt: number;
      delayMs: number;
      /** Set when the attempt failed: stage and error text. */
      error?: string;
      stage?: 'subscribe' | 'dns' | 'tcp' | 'tls' | 'ws' | 'unknown';
    })
  | (EntryBase & {
      kind: 'drift';
      timer: 'worker' | 'main' | 'node';
      expectedMs: number;
      actualMs: number;
      lateMs: number;
      /** (t − m) now minus (t − m) at the previous sample. */
      wallJumpMs: number;
    })
  | (EntryBase & {
      kind: 'lifecycle';
      what: 'hidden' | 'visible' | 'freeze' | 'resume' | 'online' | 'offline' | 'discarded' | 'sleep-detected';
    })
  | (EntryBase & {
      kind: 'close';
      code: number;
      reason: string;
      wasClean: boolean;
      by: 'desktop' | 'server' | 'unknown';
    })
  | (EntryBase & { kind: 'resume'; recovered: boolean; replayed: number; missing?: string })
  | (EntryBase & { kind: 'error'; message: string });

export type ErrorReport = ErrorReportV1;
