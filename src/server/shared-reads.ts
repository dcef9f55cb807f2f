// Concurrent resumes of one agent (a reconnect storm, several desktops) share one backlog read per range: the
// first caller's store.read is handed to everyone asking for the same (agent, fromSeq) while it is in flight.
import type { NotifStore } from './store.ts';

type ReadResult = ReturnType<NotifStore['read']>;

export class SharedReads {
  private readonly inFlight = new Map<string, ReadResult>();

  constructor(private readonly store: NotifStore) {}

  read(agentId: string, fromSeq: number, limit: number): ReadResult {
    const key = `${agentId}\u0000${fromSeq}\u0000${limit}`;
    let p = this.inFlight.get(key);
    if (!p) {
      p = this.store.read(agentId, fromSeq, limit);
      this.inFlight.set(key, p);
      const drop = () => this.inFlight.delete(key);
      p.then(drop, drop);
    }
    return p;
  }
}
