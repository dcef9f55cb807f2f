// NotifStore on Redis streams (ioredis). Survives a Notifs restart: desktops resuming after one get a complete
// replay instead of "epoch-changed". Keys (prefix default "lifeline:"), per agent:
//   <p>epoch:<agent>  "<generation>.<random>", set on first use and whenever the generation changed
//   <p>head:<agent>   INCR counter: the last seq appended
//   <p>stream:<agent> stream with explicit ids "<seq>-0", fields t (type), d (JSON data), ts, m (JSON envelope, when given); MAXLEN ~ (approximate:
//                     Redis frees whole stream nodes, so a few dozen more than the bound may stay; info() counts
//                     what is really there, so a resume's "trimmed" range is still exact) or exact with exactTrim
//   <p>cseq:<agent>   hash clientId → highest desktop cseq received (expires after a week of silence)
//   <p>dlv:<agent>|<clientType>  "<epoch> <seq>": last position delivered to that client type (PX = the window)
// and global:
//   <p>backlog        total retained entries (for /metrics)
//   <p>wseq           INCR per append: how many writes this Redis has acknowledged
//   <p>gen            random generation; every epoch starts with it
//   <p>op:<id>        one append's answer for 60 s, so a command ioredis sends again is not stored twice
// Append and info are Lua scripts, so seq assignment and XADD are atomic across several Notifs processes; the
// append script PUBLISHes "<seq> <wseq> <agent>" on <p>appended so every Notifs process can push to its own sockets.
//
// Why wseq and gen: a Redis that comes back *older* (restarted from an RDB snapshot, AOF without fsync always, a
// failover to a lagging replica, or no persistence at all) would keep the epochs and hand out seqs again that
// desktops already saw with other content — a silent loss. Every node remembers the highest wseq it has witnessed
// (its appends and everyone's PUBLISHes) and passes it to each script; a Redis whose wseq is lower has lost
// acknowledged writes, so the script first starts a new generation. Each agent's epoch is then replaced on its
// next touch (its old stream and head dropped), and desktops are told "epoch-changed" from their own position.
// With witnessFile the count also survives a restart of the node itself.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { NotificationEnvelope } from '../protocol/messages.ts';
import type { StreamInfo, StreamPosition } from '../protocol/stream-position.ts';
import type { NotifStore, StoredNotification } from './store.ts';

// KEYS: 1 epoch, 2 head, 3 stream, 4 backlog, 5 gen, 6 wseq. ARGV: 1 new generation, 2 new epoch suffix,
// 3 highest wseq the caller witnessed.
const FENCE_AND_EPOCH = `
local g = redis.call('GET', KEYS[5])
local w = tonumber(redis.call('GET', KEYS[6]) or '0')
local seen = tonumber(ARGV[3])
if (not g) or w < seen then
  g = ARGV[1]
  redis.call('SET', KEYS[5], g)
  if w < seen then redis.call('SET', KEYS[6], seen); w = seen end
end
local e = redis.call('GET', KEYS[1])
if (not e) or string.sub(e, 1, #g + 1) ~= g .. '.' then
  if e then
    local n = redis.call('XLEN', KEYS[3])
    if n > 0 then redis.call('DECRBY', KEYS[4], n) end
    redis.call('DEL', KEYS[3], KEYS[2])
  end
  e = g .. '.' .. ARGV[2]
  redis.call('SET', KEYS[1], e)
end
`;

// ARGV 4.. : max, type, data, ts, channel, agentId, trim ('~' or '='), meta (JSON envelope, '' for none)
// KEYS[7]: this call's op key. ioredis sends a command again when the connection dropped before its reply; if Redis
// had already run it, the op key holds the answer, so the notification is not stored twice (the fault tests saw it).
const APPEND = `
local done = redis.call('GET', KEYS[7])
if done then
  local e, seq, ws = string.match(done, '^(%S+) (%d+) (%d+)$')
  return {e, tonumber(seq), tonumber(redis.call('GET', KEYS[4]) or '0'), tonumber(ws)}
end
${FENCE_AND_EPOCH}
local seq = redis.call('INCR', KEYS[2])
local before = redis.call('XLEN', KEYS[3])
if ARGV[11] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[10], ARGV[4], seq .. '-0', 't', ARGV[5], 'd', ARGV[6], 'ts', ARGV[7], 'm', ARGV[11])
else
  redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[10], ARGV[4], seq .. '-0', 't', ARGV[5], 'd', ARGV[6], 'ts', ARGV[7])
end
local after = redis.call('XLEN', KEYS[3])
local total = redis.call('INCRBY', KEYS[4], after - before)
local ws = redis.call('INCR', KEYS[6])
redis.call('PUBLISH', ARGV[8], seq .. ' ' .. ws .. ' ' .. ARGV[9])
redis.call('SET', KEYS[7], e .. ' ' .. seq .. ' ' .. ws, 'PX', 60000)
return {e, seq, total, ws}
`;

const INFO = `${FENCE_AND_EPOCH}
local head = tonumber(redis.call('GET', KEYS[2]) or '0')
local len = redis.call('XLEN', KEYS[3])
return {e, head, len, w}
`;

const SET_CSEQ = `
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`;

// KEYS[1]: <p>dlv:<agent>|<clientType>  ARGV: epoch, seq, ttl ms. Never moves back within an epoch.
const SET_DELIVERED = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local e, s = string.match(cur, '^(%S+) (%d+)$')
  if e == ARGV[1] and tonumber(s) > tonumber(ARGV[2]) then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
return 1
`;

export interface RedisStoreOptions {
  /** An ioredis client to use (not closed by close()), or options/URL for one the store owns. */
  client?: Redis;
  url?: string;
  redis?: RedisOptions;
  prefix?: string;
  /** Notifications kept per agent. */
  maxPerAgent?: number;
  /** Trim to exactly maxPerAgent (default: approximately, `MAXLEN ~`, which is cheaper and keeps at least that many). */
  exactTrim?: boolean;
  /** How often the /metrics backlog figure is refreshed. */
  backlogRefreshMs?: number;
  /** Connection errors (ioredis reconnects by itself; calls fail meanwhile). Called once per distinct message. */
  onError?: (err: Error) => void;
  /**
   * A file where the highest write count this node witnessed is kept (written at most once a second, and on close),
   * so that after a restart of every node a Redis that went back in time is still recognised.
   */
  witnessFile?: string;
}

type Scripted = Redis & {
  llAppend(...keysAndArgs: (string | number)[]): Promise<[string, number, number, number]>;
  llSetDelivered(key: string, epoch: string, seq: number, ttlMs: number): Promise<number>;
  llInfo(...keysAndArgs: (string | number)[]): Promise<[string, number, number, number]>;
  llSetCseq(k: string, clientId: string, cseq: number, ttl: number): Promise<number>;
};

export class RedisStore implements NotifStore {
  private readonly r: Scripted;
  private readonly owned: boolean;
  private readonly p: string;
  private readonly max: number;
  private readonly trim: '=' | '~';
  private backlog = 0;
  /** Highest wseq this process has seen Redis acknowledge (the fence against a Redis gone back in time). */
  private witnessed = 0;
  private saved = 0;
  private readonly witnessFile: string | undefined;
  private saver: ReturnType<typeof setInterval> | undefined;
  private readonly onError: ((err: Error) => void) | undefined;
  private sub: Redis | undefined;
  private readonly watchers = new Set<(agentId: string, seq: number) => void>();
  private readonly resyncs = new Set<() => void>();
  private listening: Promise<unknown> = Promise.resolve();
  private readonly refresh: ReturnType<typeof setInterval>;

  constructor(opts: RedisStoreOptions = {}) {
    this.owned = !opts.client;
    this.onError = opts.onError;
    const client = opts.client ?? (opts.url ? new Redis(opts.url, opts.redis ?? {}) : new Redis(opts.redis ?? {}));
    let last = '';
    client.on('error', (err: Error) => {
      if (err.message === last) return;
      last = err.message;
      opts.onError?.(err);
    });
    client.on('ready', () => {
      last = '';
    });
    client.defineCommand('llAppend', { numberOfKeys: 7, lua: APPEND });
    client.defineCommand('llInfo', { numberOfKeys: 6, lua: INFO });
    client.defineCommand('llSetCseq', { numberOfKeys: 1, lua: SET_CSEQ });
    client.defineCommand('llSetDelivered', { numberOfKeys: 1, lua: SET_DELIVERED });
    this.r = client as Scripted;
    this.p = opts.prefix ?? 'lifeline:';
    this.max = Math.max(1, opts.maxPerAgent ?? 10000);
    this.trim = opts.exactTrim ? '=' : '~';
    this.refresh = setInterval(() => void this.refreshBacklog(), opts.backlogRefreshMs ?? 5000);
    this.refresh.unref();
    this.witnessFile = opts.witnessFile;
    if (this.witnessFile) {
      this.witnessed = readWitness(this.witnessFile, opts.onError);
      this.saved = this.witnessed;
      this.saver = setInterval(() => this.saveWitness(), 1000);
      this.saver.unref();
    }
  }

  /** Atomic (temp file + rename), only when the count moved; a failure is reported and retried next time. */
  private saveWitness(): void {
    if (!this.witnessFile || this.witnessed === this.saved) return;
    const tmp = `${this.witnessFile}.tmp`;
    try {
      writeFileSync(tmp, `${this.witnessed}\n`);
      renameSync(tmp, this.witnessFile);
      this.saved = this.witnessed;
    } catch (err) {
      this.onError?.(err as Error);
    }
  }

  private k(kind: string, agentId: string): string {
    return `${this.p}${kind}:${agentId}`;
  }

  private async refreshBacklog(): Promise<void> {
    try {
      this.backlog = Number((await this.r.get(`${this.p}backlog`)) ?? 0);
    } catch {
      // keep the last known figure; the store's own calls report errors
    }
  }

  /** KEYS and the fence ARGV every script starts with. */
  private fenced(agentId: string, op = false): (string | number)[] {
    // Fresh ids in case the script must start a generation or an epoch; the whole is unique, so it also names the
    // append's op key. One RNG call.
    const fresh = randomBytes(10).toString('hex');
    return [
      this.k('epoch', agentId),
      this.k('head', agentId),
      this.k('stream', agentId),
      `${this.p}backlog`,
      `${this.p}gen`,
      `${this.p}wseq`,
      ...(op ? [`${this.p}op:${fresh}`] : []),
      fresh.slice(0, 8),
      fresh.slice(8),
      this.witnessed,
    ];
  }

  private witness(wseq: unknown): void {
    const w = Number(wseq);
    if (Number.isSafeInteger(w) && w > this.witnessed) this.witnessed = w;
  }

  async info(agentId: string): Promise<StreamInfo> {
    const [epoch, head, len, wseq] = await this.r.llInfo(...this.fenced(agentId));
    this.witness(wseq);
    const headSeq = Number(head);
    return { epoch: String(epoch), headSeq, oldestSeq: headSeq - Number(len) + 1 };
  }

  async append(
    agentId: string,
    type: string,
    data: unknown,
    ts: number,
    meta?: NotificationEnvelope,
  ): Promise<StreamPosition> {
    const [epoch, seq, total, wseq] = await this.r.llAppend(
      ...this.fenced(agentId, true),
      this.max,
      type,
      JSON.stringify(data ?? null),
      ts,
      `${this.p}appended`,
      agentId,
      this.trim,
      meta ? JSON.stringify(meta) : '',
    );
    this.witness(wseq);
    this.backlog = Number(total);
    return { epoch: String(epoch), seq: Number(seq) };
  }

  async read(
    agentId: string,
    fromSeq: number,
    limit: number,
  ): Promise<{ epoch: string; entries: StoredNotification[] }> {
    const res = await this.r
      .multi()
      .get(this.k('epoch', agentId))
      .xrange(this.k('stream', agentId), `${Math.max(1, fromSeq)}-0`, '+', 'COUNT', Math.max(1, limit))
      .exec();
    if (!res) throw new Error('redis transaction aborted');
    for (const [err] of res) if (err) throw err;
    const epoch = res[0][1] as string | null;
    const rows = (res[1][1] as [string, string[]][]) ?? [];
    const entries: StoredNotification[] = [];
    for (const [id, fields] of rows) {
      const f: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
      let data: unknown = null;
      try {
        data = JSON.parse(f.d ?? 'null');
      } catch {
        data = f.d; // written by something else: hand over the raw text rather than lose it
      }
      const e: StoredNotification = {
        seq: Number(id.split('-')[0]),
        type: f.t ?? 'Notification',
        data,
        ts: Number(f.ts ?? 0),
      };
      const meta = f.m ? parseMeta(f.m) : undefined;
      if (meta) e.meta = meta;
      entries.push(e);
    }
    // No epoch yet means an empty, never-used stream; any entries would contradict that, so report none.
    return epoch ? { epoch, entries } : { epoch: (await this.info(agentId)).epoch, entries: [] };
  }

  async getCseq(agentId: string, clientId: string): Promise<number> {
    return Number((await this.r.hget(this.k('cseq', agentId), clientId)) ?? 0);
  }

  async setCseq(agentId: string, clientId: string, cseq: number): Promise<void> {
    await this.r.llSetCseq(this.k('cseq', agentId), clientId, cseq, 7 * 24 * 3600);
  }

  async getDelivered(agentId: string, clientType: string): Promise<StreamPosition | undefined> {
    const v = await this.r.get(`${this.k('dlv', agentId)}|${clientType}`);
    const m = v ? /^(\S+) (\d+)$/.exec(v) : null;
    return m ? { epoch: m[1], seq: Number(m[2]) } : undefined;
  }

  async setDelivered(agentId: string, clientType: string, pos: StreamPosition, ttlMs: number): Promise<void> {
    const key = `${this.k('dlv', agentId)}|${clientType}`;
    await this.r.llSetDelivered(key, pos.epoch, pos.seq, Math.max(1, Math.round(ttlMs)));
  }

  /** Appends by any process on this Redis (PUBLISHed by the append script on `<prefix>appended`). */
  watch(onAppend: (agentId: string, seq: number) => void, onResync?: () => void): () => void {
    this.watchers.add(onAppend);
    if (onResync) this.resyncs.add(onResync);
    if (!this.sub) {
      const sub = this.r.duplicate();
      sub.on('error', () => {}); // the main client reports connection errors
      // Appends published while the subscriber was reconnecting were never heard: once subscribed again, tell the
      // watchers to look at every stream they serve (a rare, bounded catch-up instead of a poll).
      let readies = 0;
      sub.on('ready', () => {
        if (readies++ === 0) return;
        sub.subscribe(`${this.p}appended`).then(
          () => {
            for (const f of this.resyncs) f();
          },
          () => {},
        );
      });
      sub.on('message', (_ch: string, msg: string) => {
        // "<seq> <wseq> <agent>" (agent ids have no spaces)
        const i = msg.indexOf(' ');
        const j = msg.indexOf(' ', i + 1);
        const seq = Number(msg.slice(0, i));
        const agentId = msg.slice(j + 1);
        if (i < 1 || j < 0 || !Number.isSafeInteger(seq)) return;
        this.witness(msg.slice(i + 1, j));
        for (const w of this.watchers) w(agentId, seq);
      });
      this.listening = sub.subscribe(`${this.p}appended`).catch(() => {});
      this.sub = sub;
    }
    return () => {
      this.watchers.delete(onAppend);
      if (onResync) this.resyncs.delete(onResync);
    };
  }

  async ready(): Promise<void> {
    await this.listening;
  }

  backlogSize(): number {
    return this.backlog;
  }

  available(): boolean {
    return this.r.status === 'ready';
  }

  /** The client, for the session registry of the same deployment (RedisSessions). */
  get client(): Redis {
    return this.r;
  }

  async close(): Promise<void> {
    clearInterval(this.refresh);
    clearInterval(this.saver);
    this.saveWitness();
    this.watchers.clear();
    this.resyncs.clear();
    this.sub?.disconnect();
    this.sub = undefined;
    if (!this.owned) return;
    if (this.r.status === 'ready') await this.r.quit().catch(() => this.r.disconnect());
    else this.r.disconnect(); // never connected (or reconnecting): nothing to flush
  }
}

/** The count a witness file holds; 0 when there is none yet, and 0 (reported) when it is not a count. */
function readWitness(file: string, onError?: (err: Error) => void): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onError?.(err as Error);
    return 0;
  }
  const n = Number(text.trim());
  if (Number.isSafeInteger(n) && n >= 0) return n;
  onError?.(new Error(`${file}: not a write count (${JSON.stringify(text.slice(0, 40))}); starting from 0`));
  return 0;
}

/** The stored envelope, or nothing when the field is not ours (written by something else). */
function parseMeta(text: string): NotificationEnvelope | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as NotificationEnvelope) : undefined;
  } catch {
    return undefined;
  }
}
