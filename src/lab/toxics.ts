// Sans-IO fault core of the lab proxy: named "toxics" per direction, as pure functions of (chunks, now) → actions.
// No sockets, no timers, no Date.now(): the driver (fault-proxy.ts) feeds bytes and times in, and executes what
// comes out (write, end, reset, close) when its time has come. Unit tests drive it with explicit `now` values.

/** Direction through the proxy: `upstream` = desktop → Notifs (c2s), `downstream` = Notifs → desktop (s2c). */
export type Stream = 'upstream' | 'downstream';

export type ToxicType =
  | 'latency' // delay every chunk by latencyMs ± jitterMs (order kept: TCP cannot reorder)
  | 'bandwidth' // limit to rateKBps
  | 'stall' // hold everything; release it all when the toxic is removed ("delayed")
  | 'blackhole' // drop silently (FIN and RST too); the connection stays open
  | 'reset' // RST to one or both sides afterMs after the toxic is added (or the connection opened)
  | 'limit' // close gracefully (FIN both ways) after `bytes` bytes passed in this direction
  | 'timeout' // close gracefully afterMs after the toxic is added (or the connection opened)
  | 'slicer' // split chunks into sizeBytes pieces, delayMs apart
  | 'refuse' // new connections are accepted and reset at once (a load balancer with no backend); live ones stay
  | 'down'; // the proxy stops listening: connects are refused by the kernel (RST to the SYN); live ones stay

export const TOXIC_TYPES: readonly ToxicType[] = [
  'latency',
  'bandwidth',
  'stall',
  'blackhole',
  'reset',
  'limit',
  'timeout',
  'slicer',
  'refuse',
  'down',
];

/** Which side(s) a reset goes to: the desktop (client) socket, the server socket, or both. */
export type Side = 'desktop' | 'server' | 'both';

export interface ToxicSpec {
  name: string;
  type: ToxicType;
  stream: Stream;
  attributes: {
    latencyMs?: number;
    jitterMs?: number;
    rateKBps?: number;
    afterMs?: number;
    bytes?: number;
    sizeBytes?: number;
    delayMs?: number;
    side?: Side;
  };
}

/** What the pipe asks the driver to do, at time `at` (ms, same clock as the `now` values fed in). */
export type PipeItem =
  | { kind: 'data'; at: number; data: Uint8Array }
  | { kind: 'end'; at: number } // the sender half-closed (FIN): pass it on
  | { kind: 'rst'; at: number } // the sender reset: pass a reset on to the receiver
  | { kind: 'reset'; at: number; side: Side } // the proxy itself resets (middlebox RST)
  | { kind: 'close'; at: number }; // the proxy itself closes both sides gracefully

type Flow = Extract<PipeItem, { kind: 'data' | 'end' | 'rst' }>;

export class ToxicError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ToxicError';
  }
}

const NUM_ATTRS = ['latencyMs', 'jitterMs', 'rateKBps', 'afterMs', 'bytes', 'sizeBytes', 'delayMs'] as const;

/** Validates untrusted JSON (HTTP API, CLI) into a ToxicSpec; throws ToxicError with a stable code. */
export function parseToxicSpec(input: unknown): ToxicSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ToxicError('TOXIC_NOT_OBJECT', 'a toxic is a JSON object {name, type, stream, attributes}');
  }
  const o = input as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || !TOXIC_TYPES.includes(type as ToxicType)) {
    throw new ToxicError('TOXIC_BAD_TYPE', `type must be one of ${TOXIC_TYPES.join(', ')}`);
  }
  const stream = o.stream ?? 'downstream';
  if (stream !== 'upstream' && stream !== 'downstream') {
    throw new ToxicError('TOXIC_BAD_STREAM', 'stream must be "upstream" (desktop→Notifs) or "downstream"');
  }
  const name = o.name ?? `${type}_${stream}`;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
    throw new ToxicError('TOXIC_BAD_NAME', 'name must be 1–64 characters of A-Z a-z 0-9 _ . -');
  }
  const rawAttrs = o.attributes ?? {};
  if (typeof rawAttrs !== 'object' || rawAttrs === null || Array.isArray(rawAttrs)) {
    throw new ToxicError('TOXIC_BAD_ATTRIBUTES', 'attributes must be an object');
  }
  const a = rawAttrs as Record<string, unknown>;
  const attributes: ToxicSpec['attributes'] = {};
  for (const k of NUM_ATTRS) {
    const v = a[k];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1e9) {
      throw new ToxicError('TOXIC_BAD_ATTRIBUTE', `${k} must be a number between 0 and 1e9`);
    }
    attributes[k] = v;
  }
  if (a.side !== undefined) {
    if (a.side !== 'desktop' && a.side !== 'server' && a.side !== 'both') {
      throw new ToxicError('TOXIC_BAD_ATTRIBUTE', 'side must be "desktop", "server" or "both"');
    }
    attributes.side = a.side;
  }
  if (type === 'bandwidth' && !(attributes.rateKBps && attributes.rateKBps > 0)) {
    throw new ToxicError('TOXIC_BAD_ATTRIBUTE', 'bandwidth needs rateKBps > 0');
  }
  if (type === 'slicer' && !(attributes.sizeBytes && attributes.sizeBytes >= 1)) {
    throw new ToxicError('TOXIC_BAD_ATTRIBUTE', 'slicer needs sizeBytes >= 1');
  }
  if (type === 'limit' && attributes.bytes === undefined) {
    throw new ToxicError('TOXIC_BAD_ATTRIBUTE', 'limit needs bytes');
  }
  if (type === 'timeout' && attributes.afterMs === undefined) {
    throw new ToxicError('TOXIC_BAD_ATTRIBUTE', 'timeout needs afterMs');
  }
  return { name, type: type as ToxicType, stream, attributes };
}

/** One toxic applied to one direction of one connection. */
interface Stage {
  readonly spec: ToxicSpec;
  /** An item entering this stage at `now` (item.at >= now is its earliest release time). */
  input(item: Flow, now: number): PipeItem[];
  /** Timed actions the toxic schedules by itself (reset/close after a delay). */
  scheduled(now: number, openedAt: number): PipeItem[];
  /** Items held back, released because the toxic was removed. */
  release(now: number): Flow[];
  /** Bytes the toxic holds back right now (stall). */
  heldBytes?(): number;
}

type StageBase = Pick<Stage, 'spec' | 'scheduled' | 'release'>;
type Attributes = ToxicSpec['attributes'];

function latencyStage(base: StageBase, a: Attributes, rng: () => number): Stage {
  let last = -Infinity;
  return {
    ...base,
    input(item) {
      const jitter = a.jitterMs ? (rng() * 2 - 1) * a.jitterMs : 0;
      // Never earlier than the previous chunk: one TCP stream cannot reorder.
      last = Math.max(last, item.at + Math.max(0, (a.latencyMs ?? 0) + jitter));
      return [{ ...item, at: last }];
    },
  };
}

function bandwidthStage(base: StageBase, a: Attributes): Stage {
  let free = -Infinity;
  const bytesPerMs = (a.rateKBps ?? 1) * 1.024;
  return {
    ...base,
    input(item) {
      const start = Math.max(free, item.at);
      const len = item.kind === 'data' ? item.data.length : 0;
      free = start + len / bytesPerMs;
      return [{ ...item, at: free }];
    },
  };
}

function stallStage(base: StageBase): Stage {
  const held: Flow[] = [];
  return {
    ...base,
    input(item) {
      held.push(item);
      return [];
    },
    release(now) {
      return held.splice(0).map((i) => ({ ...i, at: Math.max(i.at, now) }));
    },
    heldBytes: () => held.reduce((n, i) => n + (i.kind === 'data' ? i.data.length : 0), 0),
  };
}

function limitStage(base: StageBase, a: Attributes): Stage {
  let left = a.bytes ?? 0;
  let closed = false;
  return {
    ...base,
    input(item) {
      if (closed) return [];
      if (item.kind !== 'data') return [item];
      if (item.data.length < left) {
        left -= item.data.length;
        return [item];
      }
      closed = true;
      const out: PipeItem[] = [];
      if (left > 0) out.push({ ...item, data: item.data.subarray(0, left) });
      left = 0;
      out.push({ kind: 'close', at: item.at });
      return out;
    },
  };
}

function slicerStage(base: StageBase, a: Attributes): Stage {
  const size = Math.max(1, Math.floor(a.sizeBytes ?? 1));
  const gap = a.delayMs ?? 0;
  let last = -Infinity;
  return {
    ...base,
    input(item) {
      if (item.kind !== 'data') {
        last = Math.max(last, item.at);
        return [{ ...item, at: last }];
      }
      const out: PipeItem[] = [];
      for (let off = 0; off < item.data.length; off += size) {
        last = Math.max(last + gap, item.at);
        out.push({ kind: 'data', at: last, data: item.data.subarray(off, off + size) });
      }
      return out;
    },
  };
}

const pass = (item: Flow): PipeItem[] => [item];

/** One maker per toxic type: each stage keeps its own state in its closure. */
const STAGE_MAKERS: Record<ToxicType, (base: StageBase, a: Attributes, rng: () => number) => Stage> = {
  latency: latencyStage,
  bandwidth: bandwidthStage,
  stall: stallStage,
  blackhole: (base) => ({ ...base, input: () => [] }),
  refuse: (base) => ({ ...base, input: pass }),
  down: (base) => ({ ...base, input: pass }),
  reset: (base, a) => ({
    ...base,
    input: pass,
    scheduled: (now, openedAt) => [
      { kind: 'reset', at: Math.max(now, openedAt) + (a.afterMs ?? 0), side: a.side ?? 'both' },
    ],
  }),
  timeout: (base, a) => ({
    ...base,
    input: pass,
    scheduled: (now, openedAt) => [{ kind: 'close', at: Math.max(now, openedAt) + (a.afterMs ?? 0) }],
  }),
  limit: limitStage,
  slicer: slicerStage,
};

function makeStage(spec: ToxicSpec, rng: () => number): Stage {
  const base: StageBase = { spec, scheduled: () => [], release: () => [] };
  return STAGE_MAKERS[spec.type](base, spec.attributes, rng);
}

/**
 * One direction of one proxied connection: bytes in → toxic chain → scheduled items out.
 * The driver calls `push`/`end`/`rst` as the sender's socket reports, then `poll(now)` for what is due, and arms a
 * timer for `nextAt()`.
 */
export class DirectionPipe {
  private stages: Stage[] = [];
  private queue: PipeItem[] = [];
  /** Release time of the last flow item queued: flow items never overtake each other (one TCP stream). */
  private lastFlowAt = -Infinity;

  constructor(
    readonly stream: Stream,
    private readonly openedAt: number,
    private readonly rng: () => number = Math.random,
  ) {}

  get toxics(): ToxicSpec[] {
    return this.stages.map((s) => s.spec);
  }

  add(spec: ToxicSpec, now: number): void {
    if (spec.stream !== this.stream) return;
    const stage = makeStage(spec, this.rng);
    this.stages.push(stage);
    this.enqueue(stage.scheduled(now, this.openedAt));
  }

  /** Removes a toxic; what it held (stall) continues through the toxics after it. */
  remove(name: string, now: number): boolean {
    const idx = this.stages.findIndex((s) => s.spec.name === name);
    if (idx < 0) return false;
    const [stage] = this.stages.splice(idx, 1);
    // Scheduled actions of this toxic that have not fired yet are cancelled with it.
    if (stage.spec.type === 'reset' || stage.spec.type === 'timeout') {
      this.queue = this.queue.filter((i) => i.kind !== (stage.spec.type === 'reset' ? 'reset' : 'close'));
    }
    for (const item of stage.release(now)) this.feed(item, idx, now);
    return true;
  }

  push(data: Uint8Array, now: number): void {
    if (data.length > 0) this.feed({ kind: 'data', at: now, data }, 0, now);
  }

  end(now: number): void {
    this.feed({ kind: 'end', at: now }, 0, now);
  }

  rst(now: number): void {
    this.feed({ kind: 'rst', at: now }, 0, now);
  }

  /** Items due at `now`, in order. */
  poll(now: number): PipeItem[] {
    let n = 0;
    while (n < this.queue.length && this.queue[n].at <= now) n++;
    return this.queue.splice(0, n);
  }

  /** When the next item is due, or undefined when nothing is queued. */
  nextAt(): number | undefined {
    return this.queue.length > 0 ? this.queue[0].at : undefined;
  }

  /** Bytes currently held or delayed, for the API and tests. */
  get queuedBytes(): number {
    let n = 0;
    for (const i of this.queue) if (i.kind === 'data') n += i.data.length;
    for (const s of this.stages) n += s.heldBytes?.() ?? 0;
    return n;
  }

  private feed(item: Flow, from: number, now: number): void {
    let items: PipeItem[] = [item];
    for (let i = from; i < this.stages.length && items.length > 0; i++) {
      const next: PipeItem[] = [];
      for (const it of items) {
        if (it.kind === 'data' || it.kind === 'end' || it.kind === 'rst') next.push(...this.stages[i].input(it, now));
        else next.push(it);
      }
      items = next;
    }
    this.enqueue(items);
  }

  private enqueue(items: PipeItem[]): void {
    for (const item of items) {
      if (item.kind === 'data' || item.kind === 'end' || item.kind === 'rst') {
        item.at = Math.max(item.at, this.lastFlowAt);
        this.lastFlowAt = item.at;
      }
      // Stable insert by time.
      let i = this.queue.length;
      while (i > 0 && this.queue[i - 1].at > item.at) i--;
      this.queue.splice(i, 0, item);
    }
  }
}
