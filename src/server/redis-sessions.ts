// SessionRegistry on Redis, shared by every Notifs node of one deployment. Keys (prefix default "lifeline:"):
//   <p>sub:<id>      a pending subscription (JSON), PX = its TTL; taken with GETDEL, so it is single use cluster-wide
//   <p>sess:<agent>  hash connId → "<nodeId> <clientId>": the agent's live sockets
//   <p>node:<nodeId> heartbeat, PX = nodeTtlMs, refreshed every heartbeatMs: a node that dies (SIGKILL) stops
//                    refreshing it, and its sessions then count as gone
//   <p>kick          pub/sub channel "<nodeId> <connId> <reason>": displaced sockets, for the node that holds them
// claim() is one Lua script (read the agent's sessions, drop dead nodes' ones, displace, register), so two desktops
// logging in at once on two nodes are ordered by Redis and exactly one of them wins. The scripts touch node keys they
// compute, so this needs one Redis (primary/replica), not Redis Cluster.
import type { Redis } from 'ioredis';
import type { Kick, SessionRegistry, SubscriptionRecord } from './session-registry.ts';

const NODE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

// ARGV: connId, "<node> <client>", clientId, allowMulti (1/0), node-key prefix, kick channel, hash TTL ms
const CLAIM = `
local entries = redis.call('HGETALL', KEYS[1])
local kicks = {}
for i = 1, #entries, 2 do
  local conn, v = entries[i], entries[i + 1]
  local sp = string.find(v, ' ', 1, true) or 0
  local node, client = string.sub(v, 1, sp - 1), string.sub(v, sp + 1)
  if conn ~= ARGV[1] then
    if redis.call('EXISTS', ARGV[5] .. node) == 0 then
      redis.call('HDEL', KEYS[1], conn)
    elseif client == ARGV[3] or ARGV[4] == '0' then
      local reason = 'multi-login'
      if client == ARGV[3] then reason = 'replaced' end
      redis.call('HDEL', KEYS[1], conn)
      local msg = node .. ' ' .. conn .. ' ' .. reason
      redis.call('PUBLISH', ARGV[6], msg)
      kicks[#kicks + 1] = msg
    end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return kicks
`;

// ARGV: node-key prefix
const LIVE = `
local entries = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #entries, 2 do
  local v = entries[i + 1]
  local sp = string.find(v, ' ', 1, true) or 0
  if redis.call('EXISTS', ARGV[1] .. string.sub(v, 1, sp - 1)) == 1 then out[#out + 1] = string.sub(v, sp + 1) end
end
return out
`;

// Returns whether the key existed: 0 after a Redis restart without persistence (or our own long absence).
const HEARTBEAT = `
local had = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return had
`;

export interface RedisSessionsOptions {
  /** The client to use (shared with RedisStore; not closed by close()). */
  client: Redis;
  prefix?: string;
  /** Random when not given. */
  nodeId: string;
  /** Heartbeat period (default 2000 ms) and how long a silent node's sessions still count (default 10 000 ms). */
  heartbeatMs?: number;
  nodeTtlMs?: number;
  /** How long an agent's session hash lives without any claim (default one day). */
  sessionTtlMs?: number;
  onError?: (err: Error) => void;
}

type Scripted = Redis & {
  llClaim(key: string, ...args: (string | number)[]): Promise<string[]>;
  llLive(key: string, nodePrefix: string): Promise<string[]>;
  llHeartbeat(key: string, value: string, ttl: number): Promise<number>;
};

export class RedisSessions implements SessionRegistry {
  readonly nodeId: string;
  private readonly r: Scripted;
  private readonly p: string;
  private readonly nodeTtl: number;
  private readonly sessionTtl: number;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly kickCbs = new Set<(k: Kick) => void>();
  /** This node's live sockets, to register them again if Redis comes back empty. */
  private readonly mine = new Map<string, { agentId: string; clientId: string }>();
  private sub: Redis | undefined;
  private listening: Promise<unknown> = Promise.resolve();
  private beating: Promise<void> | undefined;
  private alive = false;
  /** When every socket of ours was last written to Redis (bulk registration). */
  private registeredAt = Date.now();
  private closed = false;

  constructor(private readonly opts: RedisSessionsOptions) {
    if (!NODE_ID.test(opts.nodeId)) throw new Error(`node id must match ${NODE_ID}: ${JSON.stringify(opts.nodeId)}`);
    this.nodeId = opts.nodeId;
    const r = opts.client as Scripted;
    // defineCommand is per client; the store defines its own scripts on the same client (distinct names).
    if (typeof (r as { llClaim?: unknown }).llClaim !== 'function') {
      r.defineCommand('llClaim', { numberOfKeys: 1, lua: CLAIM });
      r.defineCommand('llLive', { numberOfKeys: 1, lua: LIVE });
      r.defineCommand('llHeartbeat', { numberOfKeys: 1, lua: HEARTBEAT });
    }
    this.r = r;
    this.p = opts.prefix ?? 'lifeline:';
    this.nodeTtl = opts.nodeTtlMs ?? 10000;
    this.sessionTtl = opts.sessionTtlMs ?? 24 * 3600 * 1000;
    this.timer = setInterval(() => void this.beat().catch(() => {}), opts.heartbeatMs ?? 2000);
    this.timer.unref();
    void this.beat().catch(() => {});
  }

  private nodeKey(node = this.nodeId): string {
    return `${this.p}node:${node}`;
  }

  /**
   * Refresh the heartbeat. If Redis had forgotten this node, register its sockets again; and do the same every
   * quarter of the session TTL, so an agent whose socket outlives the TTL (no claim refreshed it) keeps its entry.
   */
  private beat(): Promise<void> {
    this.beating ??= (async () => {
      try {
        const t = Date.now();
        const had = await this.r.llHeartbeat(this.nodeKey(), String(t), this.nodeTtl);
        if ((Number(had) === 0 || t - this.registeredAt > this.sessionTtl / 4) && this.mine.size) {
          const m = this.r.multi();
          for (const [connId, s] of this.mine) {
            m.hset(`${this.p}sess:${s.agentId}`, connId, `${this.nodeId} ${s.clientId}`);
            m.pexpire(`${this.p}sess:${s.agentId}`, this.sessionTtl);
          }
          await m.exec();
          this.registeredAt = t;
        }
        this.alive = true;
      } catch (err) {
        this.opts.onError?.(err as Error);
        throw err;
      } finally {
        this.beating = undefined;
      }
    })();
    return this.beating;
  }

  async putSubscription(sub: SubscriptionRecord, ttlMs: number): Promise<void> {
    await this.r.set(`${this.p}sub:${sub.id}`, JSON.stringify(sub), 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async takeSubscription(id: string): Promise<SubscriptionRecord | undefined> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(id)) return undefined;
    const raw = await this.r.getdel(`${this.p}sub:${id}`);
    if (!raw) return undefined;
    try {
      const s = JSON.parse(raw) as SubscriptionRecord;
      return s && s.id === id && typeof s.agentId === 'string' && typeof s.clientId === 'string' ? s : undefined;
    } catch {
      return undefined; // not ours: treat as unknown rather than trust it
    }
  }

  async claim(agentId: string, connId: string, clientId: string, allowMultiLogin: boolean): Promise<Kick[]> {
    // Ours from now on, so a release() that comes while we wait wins (and the heartbeat never writes it back).
    const entry = { agentId, clientId };
    this.mine.set(connId, entry);
    // Our own heartbeat must exist first, or other nodes would count this session as a dead node's.
    if (!this.alive) await this.beat();
    if (this.mine.get(connId) !== entry) return []; // released meanwhile: do not register a closed socket
    let res: string[];
    try {
      // Sent before any later release's HDEL on the same connection, so Redis sees them in that order.
      res = await this.r.llClaim(
        `${this.p}sess:${agentId}`,
        connId,
        `${this.nodeId} ${clientId}`,
        clientId,
        allowMultiLogin ? '1' : '0',
        `${this.p}node:`,
        `${this.p}kick`,
        this.sessionTtl,
      );
    } catch (err) {
      if (this.mine.get(connId) === entry) this.mine.delete(connId);
      throw err;
    }
    return res.map(parseKick).filter((k): k is Kick => !!k);
  }

  async release(agentId: string, connId: string): Promise<void> {
    this.mine.delete(connId);
    await this.r.hdel(`${this.p}sess:${agentId}`, connId);
  }

  async liveClients(agentId: string): Promise<string[]> {
    return this.r.llLive(`${this.p}sess:${agentId}`, `${this.p}node:`);
  }

  onKick(cb: (k: Kick) => void): () => void {
    this.kickCbs.add(cb);
    if (!this.sub) {
      const sub = this.r.duplicate();
      sub.on('error', () => {}); // the main client reports connection errors
      sub.on('message', (_ch: string, msg: string) => {
        const k = parseKick(msg);
        if (k && k.nodeId === this.nodeId) this.deliver(k);
      });
      // Kicks published while this link was down were never heard: once subscribed again, look for sockets of
      // ours that a claim elsewhere removed meanwhile.
      let readies = 0;
      sub.on('ready', () => {
        if (readies++ === 0) return;
        sub
          .subscribe(`${this.p}kick`)
          .then(() => this.audit())
          .catch((err: Error) => this.opts.onError?.(err));
      });
      this.listening = sub.subscribe(`${this.p}kick`).catch((err: Error) => this.opts.onError?.(err));
      this.sub = sub;
    }
    return () => {
      this.kickCbs.delete(cb);
    };
  }

  private deliver(k: Kick): void {
    this.mine.delete(k.connId);
    for (const f of this.kickCbs) f(k);
  }

  /**
   * Every socket of ours whose session entry is gone was displaced by a claim we did not hear (or Redis forgot it):
   * the agent's live clients say which — the same desktop elsewhere (replaced), another desktop (multi-login), or
   * nobody (Redis lost the entry: register it again).
   */
  async audit(): Promise<Kick[]> {
    const mine = [...this.mine];
    if (!mine.length) return [];
    const m = this.r.multi();
    for (const [connId, s] of mine) m.hget(`${this.p}sess:${s.agentId}`, connId);
    const res = (await m.exec()) ?? [];
    const kicks: Kick[] = [];
    for (let i = 0; i < mine.length; i++) {
      const [connId, s] = mine[i];
      if (res[i]?.[0] || res[i]?.[1] !== null || !this.mine.has(connId)) continue;
      const live = await this.liveClients(s.agentId);
      if (!live.length) {
        await this.r.hset(`${this.p}sess:${s.agentId}`, connId, `${this.nodeId} ${s.clientId}`);
        continue;
      }
      const k: Kick = { nodeId: this.nodeId, connId, reason: live.includes(s.clientId) ? 'replaced' : 'multi-login' };
      kicks.push(k);
      this.deliver(k);
    }
    return kicks;
  }

  async ready(): Promise<void> {
    await this.listening;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.kickCbs.clear();
    this.sub?.disconnect();
    this.sub = undefined;
    // Gone on purpose: peers stop counting our sessions at once instead of after nodeTtl.
    if (this.r.status === 'ready') await this.r.del(this.nodeKey()).catch(() => {});
  }
}

function parseKick(msg: string): Kick | undefined {
  const [nodeId, connId, reason] = msg.split(' ');
  if (!nodeId || !connId || (reason !== 'replaced' && reason !== 'multi-login')) return undefined;
  return { nodeId, connId, reason };
}
