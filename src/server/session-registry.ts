// Where Notifs keeps what must be shared between nodes besides the backlog: pending subscriptions (a desktop may
// subscribe on one node and open its WebSocket on another, behind a load balancer) and which desktops hold a live
// socket per agent (so a second login is detected whichever node each desktop landed on).
// Two implementations: MemorySessions (one process, the default) and RedisSessions (redis-sessions.ts).
import type { StreamPosition } from '../protocol/stream-position.ts';

export interface SubscriptionRecord {
  id: string;
  agentId: string;
  clientId: string;
  clientType: string;
  allowMultiLogin: boolean;
  resumeFrom?: StreamPosition;
  /** No clientId was given (a client that cannot resume): its delivered position is tracked per client type. */
  trackDelivered?: boolean;
}

/** A live socket that a newer claim displaced; the node holding it closes it. */
export interface Kick {
  nodeId: string;
  /** The displaced socket's id (its subscription id). */
  connId: string;
  /** replaced: the same desktop reconnected; multi-login: another desktop logged in as this agent. */
  reason: 'replaced' | 'multi-login';
}

export interface SessionRegistry {
  readonly nodeId: string;
  /** Keep a subscription until it is taken or `ttlMs` passes. */
  putSubscription(sub: SubscriptionRecord, ttlMs: number): Promise<void>;
  /** Take a subscription (single use): undefined when unknown, expired or already taken. */
  takeSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  /**
   * Register a live socket of this node. Displaces the agent's other live sockets (any node) of the same clientId,
   * and of any clientId unless allowMultiLogin. Returns what it displaced; kicks for other nodes reach them through
   * their onKick.
   */
  claim(agentId: string, connId: string, clientId: string, allowMultiLogin: boolean): Promise<Kick[]>;
  /** The socket is gone. */
  release(agentId: string, connId: string): Promise<void>;
  /** clientIds of the agent's live sockets on any live node. */
  liveClients(agentId: string): Promise<string[]>;
  /** Kicks for this node's sockets made by claims elsewhere. Returns an unsubscribe function. */
  onKick(cb: (k: Kick) => void): () => void;
  /** Resolves once kicks from other nodes can be heard (after onKick). */
  ready?(): Promise<void>;
  close(): Promise<void>;
}

interface Pending {
  sub: SubscriptionRecord;
  expiresAt: number;
}

/** One process: plain maps. `now` is the caller's monotonic clock (ms). */
export class MemorySessions implements SessionRegistry {
  readonly nodeId: string;
  private readonly pending = new Map<string, Pending>();
  /** agentId → connId → clientId */
  private readonly live = new Map<string, Map<string, string>>();
  private readonly sweeper: ReturnType<typeof setInterval>;

  constructor(
    private readonly now: () => number,
    nodeId = 'local',
  ) {
    this.nodeId = nodeId;
    // Unused subscriptions are dropped lazily on take, and by this walk so an abandoned one does not stay forever.
    this.sweeper = setInterval(() => {
      const t = this.now();
      for (const [id, p] of this.pending) if (p.expiresAt < t) this.pending.delete(id);
    }, 5000);
    this.sweeper.unref();
  }

  async putSubscription(sub: SubscriptionRecord, ttlMs: number): Promise<void> {
    this.pending.set(sub.id, { sub, expiresAt: this.now() + ttlMs });
  }

  async takeSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    return p.expiresAt < this.now() ? undefined : p.sub;
  }

  async claim(agentId: string, connId: string, clientId: string, allowMultiLogin: boolean): Promise<Kick[]> {
    let conns = this.live.get(agentId);
    if (!conns) this.live.set(agentId, (conns = new Map()));
    const kicks: Kick[] = [];
    for (const [other, otherClient] of conns) {
      if (otherClient !== clientId && allowMultiLogin) continue;
      conns.delete(other);
      kicks.push({ nodeId: this.nodeId, connId: other, reason: otherClient === clientId ? 'replaced' : 'multi-login' });
    }
    conns.set(connId, clientId);
    return kicks;
  }

  async release(agentId: string, connId: string): Promise<void> {
    const conns = this.live.get(agentId);
    if (!conns) return;
    conns.delete(connId);
    if (conns.size === 0) this.live.delete(agentId);
  }

  async liveClients(agentId: string): Promise<string[]> {
    return [...(this.live.get(agentId)?.values() ?? [])];
  }

  onKick(): () => void {
    return () => {}; // every kick is local and returned by claim()
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.pending.clear();
    this.live.clear();
  }
}
