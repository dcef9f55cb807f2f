// What one load-generator process observes about its connections. Samples are only kept while `measuring`
// (the steady-state window); failures are counted from the first connection on, since a false recovery during
// ramp-up is still a false recovery.

export class Recorder {
  measuring = false;
  /** keepalive round trips, ms */
  readonly rtt: number[] = [];
  /** gaps between consecutive server heartbeats seen by one desktop, ms */
  readonly serverGaps: number[] = [];
  /** sockets that closed while nobody asked them to (not silenced, not torn down) */
  unexpectedCloses = 0;
  /** desktops that went silenceMs without any server message (a desktop would start recovery) */
  clientLosses = 0;
  /** subscribes answered 429 (server-side rate limit) and retried */
  subscribeRetries = 0;
  /** round-trip probes still unanswered when the next one was due */
  rttLost = 0;
  readonly closeReasons = new Map<string, number>();

  addRtt(ms: number): void {
    if (this.measuring) this.rtt.push(ms);
  }

  addGap(ms: number): void {
    if (this.measuring) this.serverGaps.push(ms);
  }

  unexpectedClose(reason: string): void {
    this.unexpectedCloses++;
    this.closeReasons.set(reason, (this.closeReasons.get(reason) ?? 0) + 1);
  }

  reset(): void {
    this.rtt.length = 0;
    this.serverGaps.length = 0;
    this.rttLost = 0;
  }
}

/** One simulated desktop, whatever the server. Times are performance.now() of the load-generator process. */
export interface BenchConn {
  readonly idx: number;
  open: boolean;
  /** true once silence() was called: it sends nothing any more but keeps the socket open */
  silent: boolean;
  /** when it last sent anything the server counts as a sign of life */
  lastSentAt: number;
  lastReceivedAt: number;
  /** when the server's close reached this desktop (Close frame or TCP end; 0 until then) */
  closedAt: number;
  /** a desktop's 4 s job: send its keepalive (if the protocol has client keepalives) and a round-trip probe */
  beat(now: number): void;
  /** stop sending anything, keep the socket open: the server must detect the silence */
  silence(): void;
  /** planned teardown (not counted as a failure) */
  close(): void;
}

/**
 * Calls `cb` once when the server's decision to close reaches this `ws` socket: its Close frame arrives, or the TCP
 * connection ends first. `ws` only emits 'close' after the whole close handshake (two more trips through the
 * server's event loop), which would charge the handshake to silence detection. Uses ws's receiver's 'conclude'
 * event (ws 8 internals; falls back to 'close' alone if it is absent).
 */
export function onCloseSeen(ws: import('ws').WebSocket, cb: (at: number) => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    cb(performance.now());
  };
  const receiver = (ws as unknown as { _receiver?: import('node:events').EventEmitter })._receiver;
  receiver?.once('conclude', once);
  ws.once('close', once);
}
