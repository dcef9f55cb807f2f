// This node's live sockets, by connection id (= subscription id) and by agent: registration, kicks from the
// session registry (a newer login here or on another node), operator disconnects, and fan-out of appends.
// Like Centrifugo's Hub: it knows connections, not sockets; each connection is a SocketDriver.
import type { NotifsEntry } from '../protocol/notifs-machine.ts';
import type { Kick } from './session-registry.ts';

/** What the hub needs from one connection (socket-driver.ts implements it). */
export interface HubConn {
  readonly id: string;
  readonly agentId: string;
  readonly closed: boolean;
  kick(reason: Kick['reason']): void;
  close(code: number, reason: string): void;
  /** TCP-level kill, no close frame. */
  terminate(): void;
  appended(epoch: string, entry: NotifsEntry): void;
  notice(seq?: number): void;
  writable(): void;
}

export class Hub<C extends HubConn = HubConn> {
  private readonly byId = new Map<string, C>();
  private readonly byAgent = new Map<string, Set<C>>();

  add(c: C): void {
    let set = this.byAgent.get(c.agentId);
    if (!set) this.byAgent.set(c.agentId, (set = new Set()));
    set.add(c);
    this.byId.set(c.id, c);
  }

  remove(c: C): void {
    const set = this.byAgent.get(c.agentId);
    set?.delete(c);
    if (set && set.size === 0) this.byAgent.delete(c.agentId);
    if (this.byId.get(c.id) === c) this.byId.delete(c.id);
  }

  /** Open connections (all, or one agent's). */
  count(agentId?: string): number {
    if (agentId !== undefined) return this.byAgent.get(agentId)?.size ?? 0;
    return this.byId.size;
  }

  agent(agentId: string): C[] {
    return [...(this.byAgent.get(agentId) ?? [])];
  }

  all(): C[] {
    return [...this.byId.values()];
  }

  /** A registry kick for one of this node's connections. */
  kick(k: Kick): void {
    const c = this.byId.get(k.connId);
    if (c && !c.closed) c.kick(k.reason);
  }

  /** Operator/fault-lab disconnect of one agent's sockets: a close frame with `code`, or a TCP-level kill. */
  disconnect(agentId: string, how: { code: number; reason: string; terminate?: boolean }): number {
    const conns = this.agent(agentId);
    for (const c of conns) {
      if (how.terminate) c.terminate();
      else c.close(how.code, how.reason);
    }
    return conns.length;
  }

  /** A local append: each of the agent's sockets sends it (or pumps). */
  appended(agentId: string, epoch: string, entry: NotifsEntry): void {
    for (const c of this.agent(agentId)) c.appended(epoch, entry);
  }

  /** An append by another process (shared store): the agent's sockets behind `seq` catch up. */
  notice(agentId: string, seq: number): void {
    for (const c of this.agent(agentId)) c.notice(seq);
  }

  /** Notices may have been missed: every socket looks at its stream again. */
  resync(): void {
    for (const c of this.all()) c.notice();
  }
}
