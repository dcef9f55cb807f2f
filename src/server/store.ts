// Where Notifs keeps each agent's notification backlog and each desktop's acknowledged message counter.
// Two implementations: memory (memory-store.ts) and Redis streams (redis-store.ts): one stream key per agent
// (XADD with explicit id `<seq>-0` and MAXLEN, XRANGE for replay), an epoch key per agent set once (SET NX), and a
// hash of clientId → cseq. Every method is async so the Redis one fits without changing callers.
import type { NotificationEnvelope } from '../protocol/messages.ts';
import type { StreamInfo, StreamPosition } from '../protocol/stream-position.ts';

export interface StoredNotification {
  seq: number;
  type: string;
  data: unknown;
  /** Wall clock (epoch ms) when published. */
  ts: number;
  /** Envelope fields given at publish (absent when none). */
  meta?: NotificationEnvelope;
}

export interface NotifStore {
  /** Epoch, head and oldest retained seq of the agent's stream (created empty on first use). */
  info(agentId: string): Promise<StreamInfo>;
  /** Append one notification; returns its position. Trims the oldest beyond the per-agent bound. */
  append(
    agentId: string,
    type: string,
    data: unknown,
    ts: number,
    meta?: NotificationEnvelope,
  ): Promise<StreamPosition>;
  /** Up to `limit` retained notifications with seq ≥ fromSeq, ascending, and the epoch they belong to. */
  read(agentId: string, fromSeq: number, limit: number): Promise<{ epoch: string; entries: StoredNotification[] }>;
  /** Highest desktop message sequence received from this desktop (0 if none). */
  getCseq(agentId: string, clientId: string): Promise<number>;
  setCseq(agentId: string, clientId: string, cseq: number): Promise<void>;
  /**
   * The last position delivered to this agent's desktops of one client type, for clients that cannot resume
   * (Cisco's SDK sends no position): undefined when none was recorded within its TTL.
   */
  getDelivered(agentId: string, clientType: string): Promise<StreamPosition | undefined>;
  /** Record a delivered position for `ttlMs`. Within one epoch it never moves back (a lower seq only refreshes). */
  setDelivered(agentId: string, clientType: string, pos: StreamPosition, ttlMs: number): Promise<void>;
  /**
   * Optional: be told when any process appends (shared stores). Notifs then pushes to its local sockets of that
   * agent, so several Notifs processes on one store all deliver live. `onResync`: notices may have been missed
   * (the store's notice channel reconnected); look at every stream again. Returns an unsubscribe function.
   */
  watch?(onAppend: (agentId: string, seq: number) => void, onResync?: () => void): () => void;
  /** Resolves once appends by other processes can be heard (after watch). */
  ready?(): Promise<void>;
  /** Optional: false while a shared store is unreachable (readiness, /metrics). Absent means always. */
  available?(): boolean;
  /** Total retained notifications over all agents (for /metrics). */
  backlogSize(): number;
  close(): Promise<void>;
}
