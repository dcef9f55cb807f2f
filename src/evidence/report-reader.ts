// Lifeline desktop error report (src/protocol/error-report-schema.ts) → timeline events.
// Version 1 is read fully. An unknown version is reported as an error Problem, and every entry that still looks
// like a version-1 entry is read anyway (better a partial timeline than none). A cut-off report keeps every entry
// that completed before the cut.
import type { DesktopStateEvent, EvidenceResult, MessageClass, Problem, TimelineEvent } from '../events/types.ts';
import { ERROR_REPORT_SCHEMA, ERROR_REPORT_VERSION } from '../protocol/error-report-schema.ts';
import { streamFile } from './file-source.ts';
import { JsonEntryStream } from './json-entry-stream.ts';

const CLASSES = new Set<MessageClass>(['keepalive', 'welcome', 'notification', 'resume', 'multilogin', 'other']);
const LIFECYCLE = new Set([
  'hidden',
  'visible',
  'freeze',
  'resume',
  'online',
  'offline',
  'discarded',
  'sleep-detected',
]);
const MAX_META_LIST = 200;

type Rec = Record<string, unknown>;

export class ReportMapper {
  readonly events: TimelineEvent[] = [];
  readonly problems: Problem[] = [];
  private readonly entries: { value: unknown; offset: number }[] = [];
  private readonly resumes: Rec[] = [];
  private readonly errors: { t: number; message: string; conn?: string }[] = [];
  private reconnectAttempts = 0;

  constructor(private readonly file: string) {}

  entry(value: unknown, offset: number): void {
    this.entries.push({ value, offset });
  }

  finish(rootIn: unknown, extra: Problem[]): EvidenceResult {
    const root = isRec(rootIn) ? rootIn : {};
    const problems = [...extra];
    if (root.schema !== ERROR_REPORT_SCHEMA) {
      problems.push(
        this.p(
          'REPORT_BAD_SCHEMA',
          `schema is ${JSON.stringify(root.schema)}, expected "${ERROR_REPORT_SCHEMA}"`,
          'error',
        ),
      );
    }
    const version = root.version;
    if (version !== ERROR_REPORT_VERSION) {
      problems.push(
        this.p(
          'REPORT_UNKNOWN_VERSION',
          `report version ${JSON.stringify(version)} is not one this reader knows (${ERROR_REPORT_VERSION}); ` +
            'reading the entries that look like version-1 entries, the rest is skipped — upgrade lifeline',
          'error',
        ),
      );
    }
    const serverUrl = typeof root.serverUrl === 'string' ? root.serverUrl : undefined;
    // The socket's own URL (optional field) names the Notifs host better than the subscribe URL.
    const wsUrl = typeof root.lastWebSocketUrl === 'string' ? root.lastWebSocketUrl : undefined;
    const host = (wsUrl ? safeHost(wsUrl) : undefined) ?? (serverUrl ? safeHost(serverUrl) : undefined);
    const clock = isRec(root.clock) ? root.clock : undefined;
    const wallAtStart = num(clock?.wallAtStart);
    const monoAtStart = num(clock?.monoAtStart);
    for (const { value, offset } of this.entries)
      this.mapEntry(value, offset, { serverUrl, host, wallAtStart, monoAtStart });
    problems.push(...this.problems);
    const dropped = num(root.dropped);
    if (dropped && dropped > 0) {
      problems.push(
        this.p(
          'REPORT_RING_DROPPED',
          `the flight recorder dropped ${dropped} older entries: the timeline starts late (totals still count them)`,
          'warning',
        ),
      );
    }
    this.events.sort((a, b) => a.ts - b.ts);
    const meta: EvidenceResult['meta'] = {
      blindTo: ['tcp', 'ws-control'],
      reportVersion: version,
      agentId: root.agentId,
      clientId: root.clientId,
      runtime: root.runtime,
      userAgent: root.userAgent,
      serverUrl,
      lastWebSocketUrl: wsUrl,
      host,
      config: root.config,
      totals: root.totals,
      position: root.position,
      createdAt: root.createdAt,
      dropped,
      reconnectAttempts: this.reconnectAttempts,
      resumes: this.resumes,
      errors: this.errors,
      clock: clock ? { wallAtStart, monoAtStart } : undefined,
    };
    if (this.events.length) {
      meta.firstTs = this.events[0].ts;
      meta.lastTs = this.events[this.events.length - 1].ts;
    }
    return {
      file: this.file,
      kind: 'report',
      format: `lifeline-report-v${typeof version === 'number' ? version : '?'}`,
      events: this.events,
      problems,
      meta,
    };
  }

  private mapEntry(v: unknown, offset: number, ctx: EntryContext): void {
    if (!isRec(v)) {
      this.problems.push(this.p('REPORT_BAD_ENTRY', 'entry is not an object', 'warning', offset));
      return;
    }
    // Wall time; fall back to the monotonic clock mapped through the start pair.
    let ts = num(v.t);
    const m = num(v.m);
    if (ts === undefined && m !== undefined && ctx.wallAtStart !== undefined && ctx.monoAtStart !== undefined)
      ts = ctx.wallAtStart + (m - ctx.monoAtStart);
    if (ts === undefined) {
      this.problems.push(
        this.p('REPORT_BAD_ENTRY', `entry of kind ${JSON.stringify(v.kind)} has no time`, 'warning', offset),
      );
      return;
    }
    const connN = num(v.conn);
    const base: Base = {
      ts,
      source: this.file,
      sourceKind: 'report' as const,
      offset,
      ...(connN !== undefined ? { conn: `conn-${connN}` } : {}),
    };
    const handler = typeof v.kind === 'string' ? ENTRY_HANDLERS.get(v.kind) : undefined;
    if (handler) handler.call(this, v, base, ctx);
    else
      this.problems.push(
        this.p('REPORT_UNKNOWN_ENTRY', `unknown entry kind ${JSON.stringify(v.kind)}`, 'warning', offset),
      );
  }

  /** A message the desktop sent or received (its class, size and stream position; never its text). */
  onMessage(v: Rec, base: Base): void {
    const type = typeof v.type === 'string' ? v.type : 'other';
    const cls = CLASSES.has(type as MessageClass) ? (type as MessageClass) : 'other';
    const ev: TimelineEvent = {
      ...base,
      kind: 'ws-message',
      dir: v.kind === 'sent' ? 'c2s' : 's2c',
      opcode: 1,
      length: num(v.size) ?? 0,
      cls,
    };
    if (cls === 'other' && type !== 'other') ev.type = type;
    const seq = num(v.seq);
    if (v.kind === 'received') {
      // A stream position; on sent entries `seq` is the desktop's own message number (cseq), not a position.
      if (typeof v.epoch === 'string') ev.epoch = v.epoch;
      if (seq !== undefined) ev.seq = seq;
    }
    const notes = [
      typeof v.via === 'string' ? `via ${v.via}` : '',
      v.kind === 'sent' && seq !== undefined ? `cseq ${seq}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    if (notes) ev.text = notes;
    this.events.push(ev);
  }

  /** A state change of the desktop's machine; `connected` also opens a connection on the timeline. */
  onState(v: Rec, base: Base, ctx: EntryContext): void {
    const to = typeof v.to === 'string' ? v.to : '';
    const state = normaliseState(to);
    if (!state) {
      this.problems.push(
        this.p('REPORT_UNKNOWN_STATE', `unknown desktop state ${JSON.stringify(to)}`, 'warning', base.offset),
      );
      return;
    }
    const reason = typeof v.reason === 'string' ? v.reason : undefined;
    const ev: DesktopStateEvent = { ...base, kind: 'desktop-state', state, ...(reason ? { reason } : {}) };
    this.events.push(ev);
    if (state === 'connected') {
      const open: TimelineEvent = { ...base, kind: 'conn-open', layer: 'ws' };
      if (ctx.host) open.host = ctx.host;
      if (ctx.serverUrl) open.url = ctx.serverUrl;
      this.events.push(open);
    }
  }

  /** A reconnect attempt; one that failed is a connection failure at its stage. */
  onReconnect(v: Rec, base: Base, ctx: EntryContext): void {
    this.reconnectAttempts++;
    if (typeof v.error !== 'string' || !v.error) return;
    const stage = v.stage === 'subscribe' ? 'http' : STAGES.has(v.stage as string) ? (v.stage as ConnStage) : 'unknown';
    const ev: TimelineEvent = { ...base, kind: 'conn-fail', stage, error: v.error };
    if (ctx.host) ev.host = ctx.host;
    this.events.push(ev);
  }

  onDrift(v: Rec, base: Base): void {
    const timer = v.timer === 'worker' ? 'worker' : v.timer === 'onmessage' ? 'onmessage' : 'main';
    this.events.push({
      ...base,
      kind: 'desktop-drift',
      timer,
      expectedMs: num(v.expectedMs) ?? 0,
      actualMs: num(v.actualMs) ?? 0,
      lateMs: num(v.lateMs) ?? 0,
      wallJumpMs: num(v.wallJumpMs) ?? 0,
    });
  }

  onLifecycle(v: Rec, base: Base): void {
    if (typeof v.what !== 'string' || !LIFECYCLE.has(v.what)) {
      this.problems.push(
        this.p('REPORT_BAD_ENTRY', `unknown lifecycle event ${JSON.stringify(v.what)}`, 'warning', base.offset),
      );
      return;
    }
    this.events.push({ ...base, kind: 'desktop-lifecycle', what: v.what as 'hidden' });
  }

  onClose(v: Rec, base: Base): void {
    const code = num(v.code);
    const by = v.by === 'desktop' || v.by === 'server' ? v.by : 'unknown';
    // No clean close handshake (1006 and friends) means the socket died underneath.
    const how = v.wasClean === false || code === 1006 ? 'error' : 'ws-close';
    const ev: TimelineEvent = { ...base, kind: 'conn-close', how, by };
    if (code !== undefined) ev.wsCode = code;
    if (typeof v.reason === 'string' && v.reason) ev.reason = v.reason;
    this.events.push(ev);
  }

  onResume(v: Rec, base: Base): void {
    if (this.resumes.length < MAX_META_LIST)
      this.resumes.push({
        t: base.ts,
        conn: base.conn,
        recovered: v.recovered,
        replayed: v.replayed,
        missing: v.missing,
      });
  }

  onError(v: Rec, base: Base): void {
    if (this.errors.length < MAX_META_LIST)
      this.errors.push({
        t: base.ts,
        message: String(v.message ?? '').slice(0, 512),
        ...(base.conn ? { conn: base.conn } : {}),
      });
  }

  private p(code: string, message: string, severity: 'error' | 'warning', offset?: number): Problem {
    return { code, message, file: this.file, severity, ...(offset !== undefined ? { offset } : {}) };
  }
}

type ConnStage = 'dns' | 'tcp' | 'tls' | 'http' | 'ws' | 'unknown';

/** What every event of one entry shares. */
interface Base {
  ts: number;
  source: string;
  sourceKind: 'report';
  offset: number;
  conn?: string;
}

/** The report's header facts an entry may need. */
interface EntryContext {
  serverUrl?: string;
  host?: string;
  wallAtStart?: number;
  monoAtStart?: number;
}

type EntryHandler = (this: ReportMapper, v: Rec, base: Base, ctx: EntryContext) => void;

/** The entry kinds of a Lifeline error report and who reads each. */
const ENTRY_HANDLERS = new Map<string, EntryHandler>([
  ['sent', ReportMapper.prototype.onMessage],
  ['received', ReportMapper.prototype.onMessage],
  ['state', ReportMapper.prototype.onState],
  ['reconnect', ReportMapper.prototype.onReconnect],
  ['drift', ReportMapper.prototype.onDrift],
  ['lifecycle', ReportMapper.prototype.onLifecycle],
  ['close', ReportMapper.prototype.onClose],
  ['resume', ReportMapper.prototype.onResume],
  ['error', ReportMapper.prototype.onError],
]);
const STAGES = new Set(['dns', 'tcp', 'tls', 'http', 'ws', 'unknown']);

/** The desktop's state names → the contract's five; tolerant of synonyms. */
function normaliseState(s: string): DesktopStateEvent['state'] | undefined {
  const l = s.toLowerCase();
  if (l === 'connecting' || l === 'connected' || l === 'recovering' || l === 'lost' || l === 'closed') return l;
  if (/recover|reconnect/.test(l)) return 'recovering';
  if (/lost|gave.?up|failed/.test(l)) return 'lost';
  if (/clos|stopp|idle|disconnected/.test(l)) return 'closed';
  if (/^(open|online|live|ready)/.test(l)) return 'connected';
  if (/connect|subscrib|welcom/.test(l)) return 'connecting';
  return undefined;
}

function isRec(v: unknown): v is Rec {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function safeHost(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/** Sans-IO report reader: bytes in (any chunking), EvidenceResult out. */
export class ReportStream extends JsonEntryStream {
  constructor(file: string) {
    super(
      file,
      'REPORT',
      (p) => p.length === 2 && p[0] === 'entries' && typeof p[1] === 'number',
      new ReportMapper(file),
    );
  }
}

export async function readReport(
  file: string,
  opts: { progress?: (done: number, total: number) => void } = {},
): Promise<EvidenceResult> {
  const s = new ReportStream(file);
  const r = await streamFile(file, (c) => void s.push(c), opts);
  return s.end(r.problem ? [r.problem] : []);
}
