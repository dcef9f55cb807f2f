// In-memory NotifStore: one ring per agent, bounded. Its epoch is random per process, so a restarted server
// starts new epochs and resuming desktops are told their history is gone (never a silent gap).
import { randomBytes } from 'node:crypto';
import type { NotificationEnvelope } from '../protocol/messages.ts';
import type { StreamInfo, StreamPosition } from '../protocol/stream-position.ts';
import type { NotifStore, StoredNotification } from './store.ts';

interface AgentStream {
  /** Ring buffer; entries[(start + i) % cap] for i < count. */
  entries: (StoredNotification | undefined)[];
  start: number;
  count: number;
  headSeq: number;
  cseq: Map<string, number>;
}

export interface MemoryStoreOptions {
  /** Notifications kept per agent (oldest dropped first). */
  maxPerAgent?: number;
  /** Fixed epoch (tests); random by default. */
  epoch?: string;
  /** Desktops (clientIds) remembered per agent for cseq dedupe. */
  maxClientsPerAgent?: number;
  /** Wall clock for delivered-position TTLs (tests); Date.now by default. */
  now?: () => number;
}

/** Delivered positions kept at most (oldest written first out); each also expires on its own TTL. */
const MAX_DELIVERED = 100_000;

export class MemoryStore implements NotifStore {
  readonly epoch: string;
  private readonly maxPerAgent: number;
  private readonly maxClients: number;
  private readonly streams = new Map<string, AgentStream>();
  private readonly delivered = new Map<string, { pos: StreamPosition; expiresAt: number }>();
  private readonly now: () => number;
  private total = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    this.epoch = opts.epoch ?? randomBytes(6).toString('hex');
    this.maxPerAgent = Math.max(1, opts.maxPerAgent ?? 10000);
    this.maxClients = Math.max(1, opts.maxClientsPerAgent ?? 64);
    this.now = opts.now ?? Date.now;
  }

  private stream(agentId: string): AgentStream {
    let s = this.streams.get(agentId);
    if (!s) {
      s = { entries: [], start: 0, count: 0, headSeq: 0, cseq: new Map() };
      this.streams.set(agentId, s);
    }
    return s;
  }

  private infoOf(s: AgentStream): StreamInfo {
    return { epoch: this.epoch, headSeq: s.headSeq, oldestSeq: s.headSeq - s.count + 1 };
  }

  async info(agentId: string): Promise<StreamInfo> {
    return this.infoOf(this.stream(agentId));
  }

  async append(
    agentId: string,
    type: string,
    data: unknown,
    ts: number,
    meta?: NotificationEnvelope,
  ): Promise<StreamPosition> {
    const s = this.stream(agentId);
    const seq = ++s.headSeq;
    const e: StoredNotification = { seq, type, data, ts };
    if (meta) e.meta = meta;
    if (s.count < this.maxPerAgent) {
      s.entries[(s.start + s.count) % this.maxPerAgent] = e;
      s.count++;
      this.total++;
    } else {
      s.entries[s.start] = e;
      s.start = (s.start + 1) % this.maxPerAgent;
    }
    return { epoch: this.epoch, seq };
  }

  async read(
    agentId: string,
    fromSeq: number,
    limit: number,
  ): Promise<{ epoch: string; entries: StoredNotification[] }> {
    const s = this.stream(agentId);
    const { oldestSeq, headSeq } = this.infoOf(s);
    const out: StoredNotification[] = [];
    const first = Math.max(fromSeq, oldestSeq);
    for (let seq = first; seq <= headSeq && out.length < limit; seq++) {
      const e = s.entries[(s.start + (seq - oldestSeq)) % this.maxPerAgent];
      if (e) out.push(e);
    }
    return { epoch: this.epoch, entries: out };
  }

  async getCseq(agentId: string, clientId: string): Promise<number> {
    return this.streams.get(agentId)?.cseq.get(clientId) ?? 0;
  }

  async setCseq(agentId: string, clientId: string, cseq: number): Promise<void> {
    const m = this.stream(agentId).cseq;
    m.delete(clientId); // re-insert so Map order is least-recently-used first
    m.set(clientId, cseq);
    if (m.size > this.maxClients) m.delete(m.keys().next().value as string);
  }

  async getDelivered(agentId: string, clientType: string): Promise<StreamPosition | undefined> {
    const key = `${agentId}\u0000${clientType}`;
    const d = this.delivered.get(key);
    if (!d) return undefined;
    if (d.expiresAt <= this.now()) {
      this.delivered.delete(key);
      return undefined;
    }
    return { ...d.pos };
  }

  async setDelivered(agentId: string, clientType: string, pos: StreamPosition, ttlMs: number): Promise<void> {
    const key = `${agentId}\u0000${clientType}`;
    const cur = this.delivered.get(key);
    const keep = cur && cur.expiresAt > this.now() && cur.pos.epoch === pos.epoch && cur.pos.seq > pos.seq;
    this.delivered.delete(key); // re-insert: Map order is oldest-written first
    this.delivered.set(key, { pos: keep ? cur.pos : { ...pos }, expiresAt: this.now() + ttlMs });
    if (this.delivered.size > MAX_DELIVERED) this.delivered.delete(this.delivered.keys().next().value as string);
  }

  backlogSize(): number {
    return this.total;
  }

  async close(): Promise<void> {
    this.streams.clear();
    this.delivered.clear();
    this.total = 0;
  }
}
