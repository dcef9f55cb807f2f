// A Socket.IO desktop for the load generator: the real socket.io-client over the WebSocket transport, one Manager
// per desktop (forceNew: no multiplexing), no automatic reconnection (a reconnect would hide a false recovery).
// The heartbeat is the server's: it pings every pingInterval and the client answers pong from its message handler.
// The round trip is measured the same way as for the WxCC desktops: a WebSocket ping on the underlying `ws`
// socket, answered by the server process's `ws`.
import { io, type Socket } from 'socket.io-client';
import type { WebSocket } from 'ws';
import { type BenchConn, onCloseSeen, type Recorder } from './recorder.ts';

export interface SocketIoConnectOptions {
  url: string;
  rec: Recorder;
  localAddress?: string;
  timeoutMs: number;
}

/** The parts of engine.io-client's Socket this harness touches (not in its public typings). */
interface EngineInternals {
  on(event: 'ping', fn: () => void): void;
  on(event: 'close', fn: (reason: string) => void): void;
  transport: { ws?: WebSocket };
  _sendPacket: (...args: unknown[]) => void;
}

export class SocketIoConn implements BenchConn {
  open = false;
  silent = false;
  lastSentAt = 0;
  lastReceivedAt = 0;
  closedAt = 0;
  private pingSentAt = 0;
  private closing = false;
  private socket: Socket | undefined;
  private engine: EngineInternals | undefined;

  constructor(
    readonly idx: number,
    private readonly rec: Recorder,
  ) {}

  async connect(o: SocketIoConnectOptions): Promise<void> {
    const socket = io(o.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: o.timeoutMs,
      localAddress: o.localAddress,
    } as Parameters<typeof io>[1]);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error('no connect within the connect timeout'));
      }, o.timeoutMs + 1000);
      socket.once('welcome', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('connect_error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const engine = socket.io.engine as unknown as EngineInternals;
    this.engine = engine;
    const now = performance.now();
    this.open = true;
    this.lastReceivedAt = now;
    this.lastSentAt = now;
    // engine.io-client sends the pong synchronously, then emits 'ping'.
    engine.on('ping', () => {
      const t = performance.now();
      this.rec.addGap(t - this.lastReceivedAt);
      this.lastReceivedAt = t;
      if (!this.silent) this.lastSentAt = t;
    });
    engine.on('close', (reason: string) => {
      this.open = false;
      if (this.closedAt === 0) this.closedAt = performance.now();
      // 'ping timeout' here is the client's own detection: the desktop-side false recovery.
      if (!this.closing && !this.silent) this.rec.unexpectedClose(reason);
    });
    const ws = engine.transport.ws;
    if (ws)
      onCloseSeen(ws, (at) => {
        if (this.closedAt === 0) this.closedAt = at;
      });
    ws?.on('pong', () => {
      if (this.pingSentAt > 0) {
        this.rec.addRtt(performance.now() - this.pingSentAt);
        this.pingSentAt = 0;
      }
    });
  }

  beat(_now: number): void {
    const ws = this.engine?.transport.ws;
    if (!this.open || this.silent || !ws) return;
    if (this.pingSentAt > 0) this.rec.rttLost++;
    this.pingSentAt = performance.now();
    ws.ping();
  }

  silence(): void {
    this.silent = true;
    // Swallow every outgoing packet (the pongs above all); the socket stays open.
    if (this.engine) this.engine._sendPacket = () => {};
    const ws = this.engine?.transport.ws as unknown as { _autoPong: boolean } | undefined;
    if (ws) ws._autoPong = false;
  }

  close(): void {
    this.closing = true;
    this.socket?.close();
  }
}
