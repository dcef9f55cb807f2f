// One desktop socket: executes the NotifsConnectionMachine's outputs (send, close, store reads, events) and feeds
// it the socket's input, the store's answers and `now`. A class with one named handler per socket event and per
// output, like desktop/client-core.ts; all protocol decisions are the machine's.
import { WebSocket } from 'ws';
import { CLOSE } from '../protocol/close-codes.ts';
import { encodeMultiLogin } from '../protocol/codec.ts';
import {
  type NotifsConfig,
  NotifsConnectionMachine,
  type NotifsEntry,
  type NotifsOutput,
  type SendOutput,
} from '../protocol/notifs-machine.ts';
import type { DeadlineSweep, Sweepable } from './deadline-sweep.ts';
import type { Hub, HubConn } from './hub.ts';
import type { newCounters } from './metrics.ts';
import type { LogRecord } from './notifs-server.ts';
import type { Kick, SessionRegistry, SubscriptionRecord } from './session-registry.ts';
import type { SharedReads } from './shared-reads.ts';
import type { Sender } from './stall.ts';
import type { NotifStore } from './store.ts';

export interface DriverDeps {
  store: NotifStore;
  sessions: SessionRegistry;
  reads: SharedReads;
  hub: Hub<SocketDriver>;
  sweep: DeadlineSweep<SocketDriver>;
  counters: ReturnType<typeof newCounters>;
  log: (rec: LogRecord) => void;
  now: () => number;
  machine: Partial<NotifsConfig>;
  /** Bytes queued to one socket before it is dropped as a slow consumer (4008). */
  maxBuffered: number;
  /** How long a tracked session's delivered position is remembered (its TTL in the store). */
  deliveredTtlMs: number;
  onDesktopMessage?: (agentId: string, clientId: string, cseq: number, data: unknown) => void;
  /** Wraps this driver's send (the lab's stall switch). */
  wrapSend?: (agentId: string, send: Sender) => Sender;
}

/** Log a store failure; with a connection, close it (1011): the desktop resumes elsewhere or later. */
export function logStoreError(log: (rec: LogRecord) => void, err: unknown, agentId?: string): void {
  log({ level: 'error', event: 'store-error', agentId, message: String((err as Error)?.message ?? err) });
}

export class SocketDriver implements Sweepable, HubConn {
  wheelSlot?: number;
  readonly machine: NotifsConnectionMachine;
  readonly id: string;
  readonly agentId: string;
  private readonly send: Sender;
  /** Its session entry was removed from the registry. */
  private released = false;
  private gone = false;

  constructor(
    readonly ws: WebSocket,
    readonly sub: SubscriptionRecord,
    private readonly deps: DriverDeps,
  ) {
    this.id = sub.id;
    this.agentId = sub.agentId;
    const session = {
      agentId: sub.agentId,
      subscriptionId: sub.id,
      resumeFrom: sub.resumeFrom,
      trackDelivered: sub.trackDelivered === true,
    };
    this.machine = new NotifsConnectionMachine(deps.now(), deps.machine, 0, session);
    const raw: Sender = (out, done) => this.transmit(out, done);
    this.send = deps.wrapSend ? deps.wrapSend(sub.agentId, raw) : raw;
  }

  get closed(): boolean {
    return this.gone || this.machine.closed;
  }

  /** Register, listen, claim the session (kicking what it displaces), then let the machine welcome. */
  async start(): Promise<void> {
    const { deps, sub, ws } = this;
    deps.counters.connectionsOpened++;
    deps.hub.add(this);
    ws.on('message', (raw, isBinary) => this.onMessage(raw.toString(), isBinary));
    ws.on('close', (code, reason) => this.onClose(code, reason.toString()));
    ws.on('error', (err) => this.onError(err));
    try {
      // Multi-login, on whichever node the other sockets are: the same desktop reconnecting replaces its old
      // socket; another desktop displaces it unless allowed.
      const [lastCseq, kicks, delivered] = await Promise.all([
        deps.store.getCseq(sub.agentId, sub.clientId),
        deps.sessions.claim(sub.agentId, sub.id, sub.clientId, sub.allowMultiLogin),
        sub.trackDelivered && !sub.resumeFrom ? deps.store.getDelivered(sub.agentId, sub.clientType) : undefined,
      ]);
      for (const k of kicks) if (k.nodeId === deps.sessions.nodeId) deps.hub.kick(k);
      if (this.closed) return;
      deps.log({
        level: 'info',
        event: 'connect',
        agentId: sub.agentId,
        subscriptionId: sub.id,
        clientType: sub.clientType,
      });
      this.run(this.machine.claimed(deps.now(), lastCseq, delivered));
    } catch (err) {
      this.onStoreError(err);
    }
  }

  // ---- socket events ----
  onMessage(text: string, isBinary: boolean): void {
    if (this.closed || this.machine.state === 'accepted') return; // not claimed yet: as if not open
    if (isBinary) {
      this.deps.counters.protocolErrors++;
      this.close(CLOSE.UNSUPPORTED_DATA, 'binary frames are not part of the protocol');
      return;
    }
    this.run(this.machine.receive(this.deps.now(), text));
  }

  onClose(code: number, reason: string): void {
    this.markGone();
    this.run(this.machine.lastMark(this.deps.now()));
    this.deps.hub.remove(this);
    this.release();
    this.deps.log({ level: 'info', event: 'disconnect', agentId: this.agentId, code, reason: reason.slice(0, 120) });
  }

  onError(err: Error): void {
    this.deps.log({ level: 'warn', event: 'socket-error', agentId: this.agentId, message: err.message });
  }

  // ---- the sweep ----
  nextDeadline(): number {
    return this.machine.nextDeadline();
  }

  onDeadline(now: number): void {
    this.run(this.machine.tick(now));
  }

  // ---- hub calls ----
  appended(epoch: string, entry: NotifsEntry): void {
    this.run(this.machine.appended(this.deps.now(), epoch, entry));
  }

  notice(seq?: number): void {
    this.run(this.machine.notice(this.deps.now(), seq));
  }

  writable(): void {
    this.run(this.machine.writable(this.deps.now()));
  }

  kick(reason: Kick['reason']): void {
    if (reason === 'replaced') {
      this.close(CLOSE.REPLACED, 'replaced by a newer socket of this desktop');
      return;
    }
    this.transmit({ type: 'send', text: encodeMultiLogin(this.agentId), cls: 'resume' });
    this.close(CLOSE.MULTI_LOGIN, 'multi-login');
    this.deps.log({ level: 'info', event: 'multi-login', agentId: this.agentId, kicked: this.sub.clientId });
  }

  close(code: number, reason: string): void {
    const out = this.machine.close(code, reason);
    if (out.length) this.run(out);
    else if (!this.gone) this.closeSocket(code, reason); // the machine closed itself earlier; the socket not yet
  }

  terminate(): void {
    this.markGone();
    this.ws.terminate();
  }

  // ---- executing the machine's outputs ----
  private run(out: NotifsOutput[]): void {
    for (const o of out) {
      if (o.type === 'send') {
        // A held frame ends the batch: the machine has rewound to before it.
        if (!this.onSend(o)) return;
      } else this.handlers[o.type](o as never);
    }
  }

  private onSend(o: SendOutput): boolean {
    const done = o.flush ? () => this.run(this.machine.written(this.deps.now())) : undefined;
    if (!this.send(o, done)) {
      this.run(this.machine.held(this.deps.now(), o));
      return false;
    }
    if (o.cls === 'keepalive') this.deps.counters.keepalivesSent++;
    if (o.cls === 'welcome') this.deps.sweep.schedule(this);
    return true;
  }

  private readonly handlers: {
    [K in Exclude<NotifsOutput['type'], 'send'>]: (o: Extract<NotifsOutput, { type: K }>) => void;
  } = {
    close: (o) => {
      if (o.code === CLOSE.SILENCE_TIMEOUT) {
        this.deps.counters.silenceDrops++;
        this.deps.log({ level: 'info', event: 'silence-drop', agentId: this.agentId, subscriptionId: this.id });
      }
      this.closeSocket(o.code, o.reason);
    },
    info: () => {
      this.deps.store.info(this.agentId).then(
        (info) => this.run(this.machine.streamInfo(this.deps.now(), info)),
        (err) => this.onStoreError(err),
      );
    },
    read: (o) => {
      this.deps.reads.read(this.agentId, o.fromSeq, o.limit).then(
        (r) => this.run(this.machine.entries(this.deps.now(), r.epoch, r.entries)),
        (err) => this.onStoreError(err),
      );
    },
    resumed: ({ result, implicit }) => {
      const { counters, log } = this.deps;
      counters.recoveries++;
      counters.replayed += result.replayed;
      if (!result.recovered) counters.recoveriesIncomplete++;
      log({
        level: result.recovered ? 'info' : 'warn',
        event: 'resume',
        agentId: this.agentId,
        ...(implicit ? { implicit: true, clientType: this.sub.clientType } : {}),
        recovered: result.recovered,
        replayed: result.replayed,
        missing: result.missing,
      });
    },
    mark: ({ position }) => {
      const { store, deliveredTtlMs, log } = this.deps;
      store.setDelivered(this.agentId, this.sub.clientType, position, deliveredTtlMs).catch((err: Error) => {
        log({ level: 'warn', event: 'store-error', agentId: this.agentId, message: `delivered mark: ${err.message}` });
      });
    },
    'behind-backlog': (o) => {
      this.deps.counters.slowDrops++;
      this.deps.log({
        level: 'warn',
        event: 'behind-backlog',
        agentId: this.agentId,
        sentSeq: o.sentSeq,
        next: o.next,
      });
    },
    'keepalive-received': () => {
      this.deps.counters.keepalivesReceived++;
    },
    message: (o) => {
      const { counters, store, onDesktopMessage } = this.deps;
      counters.desktopMessages++;
      store.setCseq(this.agentId, this.sub.clientId, o.cseq).catch((err) => this.onStoreError(err));
      onDesktopMessage?.(this.agentId, this.sub.clientId, o.cseq, o.data);
    },
    'duplicate-message': () => {},
    'protocol-error': (o) => {
      this.deps.counters.protocolErrors++;
      const { code, message } = o.error;
      this.deps.log({ level: 'warn', event: 'protocol-error', agentId: this.agentId, code, message });
    },
  };

  /** The real send: refuses closed sockets and drops slow consumers. */
  private transmit(o: SendOutput, done?: (err?: Error) => void): boolean {
    const ws = this.ws;
    if (this.closed || ws.readyState !== WebSocket.OPEN) {
      done?.(new Error('socket closed'));
      return true;
    }
    // A desktop that stopped reading (or a path that stopped draining) must not grow our memory without bound:
    // drop it; it resumes from its own position when it reconnects, so nothing is lost.
    if (ws.bufferedAmount > this.deps.maxBuffered) {
      this.deps.counters.slowDrops++;
      this.deps.log({ level: 'warn', event: 'slow-consumer', agentId: this.agentId, buffered: ws.bufferedAmount });
      done?.(new Error('slow consumer'));
      this.close(CLOSE.OVERLOADED, 'slow consumer');
      return true;
    }
    ws.send(o.text, done);
    return true;
  }

  private onStoreError(err: unknown): void {
    logStoreError(this.deps.log, err, this.agentId);
    this.close(CLOSE.INTERNAL, 'store error');
  }

  private markGone(): void {
    this.gone = true;
    this.machine.markClosed();
    this.deps.sweep.remove(this);
  }

  /** The socket no longer counts as the agent's session (at close time, not after the close handshake). */
  private release(): void {
    if (this.released) return;
    this.released = true;
    this.deps.sessions.release(this.agentId, this.id).catch(() => {}); // a dead store forgets it (node heartbeat)
  }

  private closeSocket(code: number, reason: string): void {
    if (this.gone) return;
    this.markGone();
    this.release();
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
    // A peer that never answers the close handshake must not hold the socket.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }
}
