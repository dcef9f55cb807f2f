// Messages between the storm orchestrator (run.ts) and its load-generator processes (loadgen.ts), over the fork
// IPC channel. Each command gets exactly one reply. Times inside replies are milliseconds relative to the moment
// the load generator received the command (its performance.now() origin is its own).
import type { BackoffPolicy } from './desktop.ts';

export interface ConnectCmd {
  type: 'connect';
  /** node base URLs; desktop i uses nodes[(i + shift) % nodes.length] */
  nodes: string[];
  /** global index of this process's first desktop, and how many it runs */
  offset: number;
  count: number;
  /** agent id prefix (one agent per desktop) */
  agentPrefix: string;
  /** kept-alive HTTP connections per node in this process */
  poolPerNode: number;
  /** connects in flight at once during the initial ramp */
  maxInFlight: number;
  keepaliveMs: number;
  policy: BackoffPolicy;
  deadlineMs: number;
}

export type ToLoadgen =
  | ConnectCmd
  | {
      type: 'publish';
      perAgent: number;
      /** agent i's notifications go to nodes[(i + shift) % n] */
      shift: number;
      concurrency: number;
      /** wait until every connected desktop has seen this many notifications in total (0 = don't wait) */
      waitReceived: number;
      timeoutMs: number;
    }
  | { type: 'drop' }
  | { type: 'resume'; shift: number; expectReplay: number; timeoutMs: number }
  | { type: 'latency'; ratePerSec: number; durationMs: number; shift: number; maxInFlight: number }
  | { type: 'close' };

export interface ConnectReply {
  type: 'connected';
  ok: number;
  failed: number;
  refusals: number;
  ms: number;
  firstError?: string;
}

export interface PublishReply {
  type: 'published';
  published: number;
  errors: number;
  firstError?: string;
  /** all publishes answered */
  ms: number;
  /** every desktop saw waitReceived notifications (NaN when not waited for or timed out) */
  deliveredMs: number;
  undelivered: number;
}

export interface ResumeReply {
  type: 'resumed';
  /** per desktop, ms from the command: subscribe answered 200, Welcome, all replays in (NaN when not reached) */
  subscribedMs: number[];
  welcomeMs: number[];
  settledMs: number[];
  /** per desktop: 429 answers and ms spent backing off before retrying them */
  refusals: number[];
  backoffMs: number[];
  recovered: number;
  /** desktops whose resume failed or did not finish in time, by reason */
  failures: Record<string, number>;
  replayedReceived: number;
  duplicates: number;
  cpuPercent: number;
  firstError?: string;
}

export interface LatencyReply {
  type: 'latency';
  /** publish call → desktop receipt, ms */
  samples: number[];
  /** publish call → HTTP answer, ms */
  publishMs: number[];
  published: number;
  errors: number;
  /** sends skipped because maxInFlight publishes were still unanswered (the rate was not held) */
  skipped: number;
  lost: number;
  cpuPercent: number;
  firstError?: string;
}

export type FromLoadgen =
  | ConnectReply
  | PublishReply
  | ResumeReply
  | LatencyReply
  | { type: 'dropped'; dropped: number }
  | { type: 'closed' }
  | { type: 'error'; message: string };
