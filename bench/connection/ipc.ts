// Messages between the orchestrator (run.ts) and its load-generator processes (loadgen.ts), over the fork IPC
// channel. Each command gets exactly one reply.

export type TargetKind = 'wxcc' | 'socketio';

export interface LoadgenConfig {
  kind: TargetKind;
  /** the server's base URL (http://127.0.0.1:PORT) */
  url: string;
  /** global index of this process's first desktop (phases and tokens are spread over all processes) */
  offset: number;
  count: number;
  /** connections started per second by this process */
  ratePerSec: number;
  keepaliveMs: number;
  silenceMs: number;
  connectTimeoutMs: number;
  /** stop starting new desktops after this long (the run continues with those connected) */
  rampBudgetMs: number;
  /** bearer token for desktop i: `{i}` is replaced by the global index */
  tokenTemplate: string;
  /** source addresses to spread connections over (empty: let the kernel choose) */
  sourceAddresses: string[];
}

export type ToLoadgen =
  | { type: 'connect'; config: LoadgenConfig }
  | { type: 'window-start' }
  | { type: 'window-end' }
  | { type: 'silence'; count: number; deadlineMs: number }
  | { type: 'close' };

export interface WindowReport {
  rtt: number[];
  serverGaps: number[];
  rttLost: number;
  open: number;
  /** this load generator's own CPU over the window, percent of one core */
  cpuPercent: number;
}

export interface FailureReport {
  unexpectedCloses: number;
  clientLosses: number;
  closeReasons: Record<string, number>;
}

export type FromLoadgen =
  | {
      type: 'connected';
      ok: number;
      failed: number;
      ms: number;
      retries: number;
      notStarted: number;
      firstError?: string;
    }
  | { type: 'window'; report: WindowReport }
  | {
      type: 'silenced';
      /** per silenced desktop: (time the server dropped it) − (its last send) − silenceMs, ms */
      errors: number[];
      undetected: number;
      failures: FailureReport;
    }
  | { type: 'closed'; failures: FailureReport }
  | { type: 'error'; message: string };
