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
}

export class MemoryStore implements NotifStore {
  readonly epoch: string;
  private readonly maxPerAgent: number;
  private readonly maxClients: number;
  private readonly streams = new Map<string, AgentStream>();
  private total = 0;

  constructor(opts: MemoryStoreOptions = {}) {
    this.epoch = opts.epoch ?? randomBytes(6).toString('hex');
    this.maxPerAgent = Math.max(1, opts.maxPerAgent ?? 10000);
    this.maxClients = Math.max(1, opts.maxClientsPerAgent ?? 64);
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

  backlogSize(): number {
    return this.total;
  }

  async close(): Promise<void> {
    this.streams.clear();
    this.total = 0;
  }
}
