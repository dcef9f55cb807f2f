// The lab's TCP fault proxy: desktop ⇄ proxy ⇄ Notifs, with toxics per direction added and removed at run time.
// Thin driver around the sans-IO core in toxics.ts: it owns the sockets and one timer per direction, feeds bytes in
// with the current time, and executes the items that fall due (write, FIN, RST, close).
import { EventEmitter } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import net from 'node:net';
import { DirectionPipe, type PipeItem, type Stream, ToxicError, type ToxicSpec } from './toxics.ts';

export interface Endpoint {
  host: string;
  port: number;
}

export interface FaultProxyOptions {
  /** Where the desktop connects (port 0 = pick a free one). */
  listen: Endpoint;
  /** The Notifs server. */
  upstream: Endpoint;
  /** Clock (ms), injectable for tests of the driver; defaults to performance.now()-based wall time. */
  now?: () => number;
  rng?: () => number;
}

export interface ProxyConnectionInfo {
  id: number;
  openedAt: number;
  desktop: string;
  bytesUp: number;
  bytesDown: number;
  queuedUp: number;
  queuedDown: number;
}

/** Events: 'connection' (info), 'refused' (remote), 'action' ({conn, stream, item}) — for lab logs and tests. */
export class FaultProxy extends EventEmitter {
  private server: net.Server | undefined;
  private readonly toxics: ToxicSpec[] = [];
  private readonly conns = new Map<number, ProxiedConnection>();
  private nextId = 1;
  private deviceLog: WriteStream | undefined;
  /** Pending stop/start of the listener ('down' toxic); `settled()` waits for it. */
  private listenChange: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly rng: () => number;
  listenPort = 0;

  constructor(readonly opts: FaultProxyOptions) {
    super();
    this.now = opts.now ?? (() => performance.timeOrigin + performance.now());
    this.rng = opts.rng ?? Math.random;
  }

  async start(): Promise<Endpoint> {
    await this.listen(this.opts.listen.port);
    return { host: this.opts.listen.host, port: this.listenPort };
  }

  private async listen(port: number): Promise<void> {
    const server = net.createServer({ allowHalfOpen: true }, (sock) => this.accept(sock));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.listenPort = (server.address() as net.AddressInfo).port;
  }

  /** Resolves when a stop/start of the listener caused by a 'down' toxic has happened. */
  settled(): Promise<void> {
    return this.listenChange;
  }

  private setDown(down: boolean): void {
    this.listenChange = this.listenChange.then(async () => {
      if (down && this.server) {
        const server = this.server;
        this.server = undefined;
        // close() stops accepting at once; live connections are untouched (the callback waits for them).
        server.close();
      } else if (!down && !this.server) {
        await this.listen(this.listenPort);
      }
    });
  }

  /**
   * Writes the proxy's own firewall-style log (Cisco ASA syslog lines, seed step 7): a Built line per connection and
   * a Teardown line with the reason — "TCP FINs", "TCP Reset-I" (desktop reset), "TCP Reset-O" (Notifs reset),
   * "Flow closed by inspection" when a reset toxic fired (the middlebox's own doing), "Conn-timeout" for timeout.
   */
  async startDeviceLog(file: string): Promise<void> {
    const out = createWriteStream(file);
    await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject));
    this.deviceLog = out;
  }

  /** One ASA-style line, stamped with the proxy's wall clock in UTC. */
  logDevice(line: string): void {
    this.deviceLog?.write(`${new Date(this.now()).toISOString()} lab-proxy : ${line}\n`);
  }

  listToxics(): ToxicSpec[] {
    return this.toxics.map((t) => ({ ...t, attributes: { ...t.attributes } }));
  }

  /** Adds a toxic to every live connection and to every future one. */
  addToxic(spec: ToxicSpec): void {
    if (this.toxics.some((t) => t.name === spec.name)) {
      throw new ToxicError('TOXIC_EXISTS', `a toxic named ${spec.name} already exists`);
    }
    this.toxics.push(spec);
    if (spec.type === 'down') this.setDown(true);
    const now = this.now();
    for (const c of this.conns.values()) c.addToxic(spec, now);
  }

  /** Removes a toxic everywhere; what it held (stall) is released. Returns false if there was none. */
  removeToxic(name: string): boolean {
    const idx = this.toxics.findIndex((t) => t.name === name);
    if (idx < 0) return false;
    const [removed] = this.toxics.splice(idx, 1);
    if (removed.type === 'down' && !this.toxics.some((t) => t.type === 'down')) this.setDown(false);
    const now = this.now();
    for (const c of this.conns.values()) c.removeToxic(name, now);
    return true;
  }

  clearToxics(): void {
    for (const t of this.listToxics()) this.removeToxic(t.name);
  }

  connections(): ProxyConnectionInfo[] {
    return [...this.conns.values()].map((c) => c.info());
  }

  /** Resets every live connection (both sides), e.g. to start a scenario from a clean state. */
  resetAll(): void {
    for (const c of this.conns.values()) c.destroy(true, 'Flow closed by inspection');
  }

  /** Ends the device log (connections torn down by the lab's own shutdown are not part of the evidence). */
  async stopDeviceLog(): Promise<void> {
    const log = this.deviceLog;
    this.deviceLog = undefined;
    if (log) await new Promise<void>((resolve) => log.end(() => resolve()));
  }

  async close(): Promise<void> {
    await this.stopDeviceLog();
    for (const c of this.conns.values()) c.destroy(true);
    this.conns.clear();
    await this.listenChange.catch(() => {});
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(desktop: net.Socket): void {
    if (this.toxics.some((t) => t.type === 'refuse')) {
      this.emit('refused', `${desktop.remoteAddress}:${desktop.remotePort}`);
      desktop.on('error', () => {});
      desktop.resetAndDestroy();
      return;
    }
    const id = this.nextId++;
    const conn = new ProxiedConnection(id, desktop, this.opts.upstream, this.now, this.rng, (stream, item) =>
      this.emit('action', { conn: id, stream, item }),
    );
    this.conns.set(id, conn);
    // The firewall's view: the desktop and the address it connected to (this proxy's listen address, which is
    // "Notifs" for the desktop and in its capture).
    const up = { host: desktop.localAddress ?? this.opts.listen.host, port: this.listenPort };
    const d = { ip: desktop.remoteAddress ?? '?', port: desktop.remotePort ?? 0 };
    const outside = `outside:${up.host}/${up.port}`;
    const inside = `inside:${d.ip}/${d.port}`;
    this.logDevice(
      `%ASA-6-302013: Built outbound TCP connection ${id} for ${outside} (${up.host}/${up.port}) to ${inside} (${d.ip}/${d.port})`,
    );
    conn.onDone = (reason) => {
      this.conns.delete(id);
      const secs = Math.max(0, Math.round((this.now() - conn.openedAt) / 1000));
      const dur = `${Math.floor(secs / 3600)}:${String(Math.floor(secs / 60) % 60).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}`;
      const info = conn.info();
      this.logDevice(
        `%ASA-6-302014: Teardown TCP connection ${id} for ${outside} to ${inside} duration ${dur} bytes ${info.bytesUp + info.bytesDown} ${reason}`,
      );
    };
    const now = this.now();
    for (const t of this.toxics) conn.addToxic(t, now);
    this.emit('connection', conn.info());
  }
}

class ProxiedConnection {
  private readonly server: net.Socket;
  private readonly up: DirectionPipe;
  private readonly down: DirectionPipe;
  private readonly timers: Record<Stream, NodeJS.Timeout | undefined> = { upstream: undefined, downstream: undefined };
  readonly openedAt: number;
  /** First reason the connection is ending, for the device log. */
  private endReason: string | undefined;
  private bytesUp = 0;
  private bytesDown = 0;
  private done = false;
  onDone: (reason: string) => void = () => {};

  constructor(
    readonly id: number,
    private readonly desktop: net.Socket,
    upstream: Endpoint,
    private readonly now: () => number,
    rng: () => number,
    private readonly onAction: (stream: Stream, item: PipeItem) => void,
  ) {
    this.openedAt = now();
    this.up = new DirectionPipe('upstream', this.openedAt, rng);
    this.down = new DirectionPipe('downstream', this.openedAt, rng);
    this.server = net.connect({ port: upstream.port, host: upstream.host, allowHalfOpen: true });
    this.server.setNoDelay(true);
    desktop.setNoDelay(true);
    // allowHalfOpen: a FIN in one direction is passed on as an item, so toxics can hold or drop it.
    this.wire(desktop, this.up, 'upstream');
    this.wire(this.server, this.down, 'downstream');
  }

  info(): ProxyConnectionInfo {
    return {
      id: this.id,
      openedAt: this.openedAt,
      desktop: `${this.desktop.remoteAddress}:${this.desktop.remotePort}`,
      bytesUp: this.bytesUp,
      bytesDown: this.bytesDown,
      queuedUp: this.up.queuedBytes,
      queuedDown: this.down.queuedBytes,
    };
  }

  addToxic(spec: ToxicSpec, now: number): void {
    this.pipe(spec.stream).add(spec, now);
    this.pump(spec.stream);
  }

  removeToxic(name: string, now: number): void {
    this.up.remove(name, now);
    this.down.remove(name, now);
    this.pump('upstream');
    this.pump('downstream');
  }

  destroy(reset: boolean, reason?: string): void {
    if (this.done) return;
    this.done = true;
    this.endReason ??= reason;
    for (const s of ['upstream', 'downstream'] as const) clearTimeout(this.timers[s]);
    for (const sock of [this.desktop, this.server]) {
      if (reset && !sock.destroyed) sock.resetAndDestroy();
      else sock.destroy();
    }
    this.onDone(this.endReason ?? (reset ? 'Flow closed by inspection' : 'TCP FINs'));
  }

  private pipe(stream: Stream): DirectionPipe {
    return stream === 'upstream' ? this.up : this.down;
  }

  private wire(from: net.Socket, pipe: DirectionPipe, stream: Stream): void {
    const to = stream === 'upstream' ? this.server : this.desktop;
    from.on('data', (chunk: Buffer) => {
      if (stream === 'upstream') this.bytesUp += chunk.length;
      else this.bytesDown += chunk.length;
      pipe.push(chunk, this.now());
      this.pump(stream);
    });
    from.on('end', () => {
      this.endReason ??= 'TCP FINs';
      pipe.end(this.now());
      this.pump(stream);
    });
    from.on('error', () => {
      this.endReason ??= stream === 'upstream' ? 'TCP Reset-I' : 'TCP Reset-O';
      // A reset (or a failed connect to Notifs) is passed on as a reset to the other side, through the toxics
      // (a black hole swallows it, like a dead path would).
      pipe.rst(this.now());
      this.pump(stream);
    });
    from.on('close', () => {
      if (this.desktop.destroyed && this.server.destroyed) this.destroy(false);
    });
    to.on('drain', () => {
      if (from.isPaused()) from.resume();
    });
  }

  private pump(stream: Stream): void {
    if (this.done) return;
    const pipe = this.pipe(stream);
    const to = stream === 'upstream' ? this.server : this.desktop;
    const from = stream === 'upstream' ? this.desktop : this.server;
    const now = this.now();
    for (const item of pipe.poll(now)) {
      this.onAction(stream, item);
      switch (item.kind) {
        case 'data':
          if (!to.destroyed && to.writable && !to.write(item.data)) from.pause();
          break;
        case 'end':
          if (!to.destroyed) to.end();
          break;
        case 'rst':
          if (!to.destroyed) to.resetAndDestroy();
          if (this.desktop.destroyed && this.server.destroyed) this.destroy(false);
          break;
        case 'reset':
          this.endReason = 'Flow closed by inspection';
          if (item.side === 'both') {
            this.destroy(true);
            return;
          }
          {
            const target = item.side === 'desktop' ? this.desktop : this.server;
            if (!target.destroyed) target.resetAndDestroy();
          }
          break;
        case 'close':
          this.endReason = 'Conn-timeout';
          this.desktop.end();
          this.server.end();
          break;
      }
    }
    clearTimeout(this.timers[stream]);
    this.timers[stream] = undefined;
    const next = pipe.nextAt();
    if (next !== undefined) {
      this.timers[stream] = setTimeout(() => this.pump(stream), Math.max(0, Math.ceil(next - this.now())));
    }
  }
}
