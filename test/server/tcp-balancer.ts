// A TCP load balancer for fault tests: listens on 127.0.0.1:0 and hands each new client connection to the next
// target port, round robin. Per connection, not per request: a desktop's subscribe (HTTP, possibly on a kept-alive
// connection) and its WebSocket upgrade (always a new connection) usually land on different Notifs nodes, which is
// exactly what scale-out must survive. cut() drops proxied connections (all, or one node's) so desktops move.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

interface Proxied {
  client: Socket;
  upstream: Socket;
  target: number;
}

export interface BalancerStats {
  /** Connections handed to each target port (ever). */
  perTarget: Map<number, number>;
  /** Connections refused because no target was set. */
  noTarget: number;
  /** Connections whose target refused or failed (the client's connection was dropped). */
  upstreamFailed: number;
  /**
   * Notifs WebSocket upgrades whose subscription was answered by the same node / another node (learnt by peeking
   * at the subscribe answers and the upgrade request lines; other traffic is not inspected).
   */
  sameNodeUpgrades: number;
  crossNodeUpgrades: number;
}

const UPGRADE = /^GET \/v1\/notification\/subscription\/([0-9A-Za-z_-]{8,128})[ ?]/;
const SUBSCRIBED = /"subscriptionId":"([0-9A-Za-z_-]{8,128})"/g;

export class TcpBalancer {
  private targets: number[] = [];
  private next = 0;
  private readonly live = new Set<Proxied>();
  readonly stats: BalancerStats = {
    perTarget: new Map(),
    noTarget: 0,
    upstreamFailed: 0,
    sameNodeUpgrades: 0,
    crossNodeUpgrades: 0,
  };
  /** Subscription id → the target that answered the subscribe (until its upgrade is seen; bounded). */
  private readonly subscribedAt = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targets: number[] = []): Promise<TcpBalancer> {
    let self: TcpBalancer | undefined;
    const server = createServer({ pauseOnConnect: true }, (client) => self?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    self = new TcpBalancer(server, (server.address() as { port: number }).port);
    self.setTargets(targets);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Replace the set of targets new connections go to (existing connections are kept). */
  setTargets(ports: number[]): void {
    this.targets = [...ports];
  }

  getTargets(): number[] {
    return [...this.targets];
  }

  /** Open proxied connections (all, or those to one target). */
  connections(targetPort?: number): number {
    let n = 0;
    for (const p of this.live) if (targetPort === undefined || p.target === targetPort) n++;
    return n;
  }

  /**
   * Stop passing server → client bytes on the current connections (all, or one target's): what the server sends
   * piles up here, like a stalled path. New connections are not held. Returns how many were held; cut() ends them.
   */
  hold(targetPort?: number): number {
    let n = 0;
    for (const p of this.live) {
      if (targetPort !== undefined && p.target !== targetPort) continue;
      n++;
      p.upstream.unpipe(p.client);
      p.upstream.pause();
    }
    return n;
  }

  /** Destroy proxied connections (all, or those to one target): the client sees its connection end and reconnects. */
  cut(targetPort?: number): number {
    let n = 0;
    for (const p of [...this.live]) {
      if (targetPort !== undefined && p.target !== targetPort) continue;
      n++;
      this.drop(p);
    }
    return n;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private drop(p: Proxied): void {
    this.live.delete(p);
    kill(p.client);
    kill(p.upstream);
  }

  private accept(client: Socket): void {
    client.on('error', () => {}); // drops are the point here; 'close' does the bookkeeping
    if (this.targets.length === 0) {
      this.stats.noTarget++;
      kill(client);
      return;
    }
    const target = this.targets[this.next++ % this.targets.length];
    this.stats.perTarget.set(target, (this.stats.perTarget.get(target) ?? 0) + 1);
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    const p: Proxied = { client, upstream, target };
    this.live.add(p);
    let connected = false;
    upstream.on('error', () => {
      // A dead node (connection refused) or a killed one (reset): drop the client side too, the client retries.
      if (!connected) this.stats.upstreamFailed++;
      this.drop(p);
    });
    // A clean close of one side (after its FIN, which pipe already passed on as end()) lets the other side flush
    // and close on its own (bounded); a close after an error drops the other side at once.
    const onClose = (other: Socket) => (hadError: boolean) => {
      if (!this.live.has(p)) return;
      if (hadError) return this.drop(p);
      if (client.destroyed && upstream.destroyed) {
        this.live.delete(p);
        return;
      }
      other.end();
      setTimeout(() => this.live.has(p) && this.drop(p), 2000).unref();
    };
    client.on('close', onClose(upstream));
    upstream.on('close', onClose(client));
    this.peek(client, upstream, target);
    upstream.once('connect', () => {
      connected = true;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }

  /** Learn which node answered each subscribe and which one got its upgrade (HTTP heads only, not socket traffic). */
  private peek(client: Socket, upstream: Socket, target: number): void {
    client.once('data', (first: Buffer) => {
      const head = first.toString('latin1', 0, Math.min(first.length, 512));
      const up = UPGRADE.exec(head);
      if (up) {
        const at = this.subscribedAt.get(up[1]);
        if (at === undefined) return;
        this.subscribedAt.delete(up[1]);
        if (at === target) this.stats.sameNodeUpgrades++;
        else this.stats.crossNodeUpgrades++;
        return;
      }
      if (!head.startsWith('POST ')) return;
      let carry = ''; // an id split across two chunks
      upstream.on('data', (d: Buffer) => {
        const text = carry + d.toString('latin1');
        for (const m of text.matchAll(SUBSCRIBED)) {
          if (this.subscribedAt.size > 10000) this.subscribedAt.clear();
          this.subscribedAt.set(m[1], target);
        }
        carry = text.slice(-160);
      });
    });
  }
}

/**
 * Drop one side at once. Plain destroy() (the peer sees the connection end without an HTTP answer or a WebSocket
 * close frame, i.e. 1006), not resetAndDestroy(): on Node 20.20 sockets closed with resetAndDestroy() left the
 * process spinning at 100 % CPU in Environment::CleanupHandles after the tests, never exiting.
 */
function kill(s: Socket): void {
  if (!s.destroyed) s.destroy();
}
