// HAR (Chrome/Edge DevTools "Save all as HAR", Firefox, Safari, Charles, mitmproxy, Fiddler, our own HarRecorder)
// → timeline events.
// The mapper is sans-IO (one `log.entries[i]` value at a time); `readHar` is the thin streaming driver, so a HAR
// of hundreds of MB never sits in memory whole: only one entry at a time does.
import type { EvidenceResult, Problem, TimelineEvent } from '../events/types.ts';
import { capText, classifyMessage, isLifelineMessage } from '../protocol/classify.ts';
import { wxccDataCentre } from '../protocol/wxcc.ts';
import { streamFile } from './file-source.ts';
import { JsonEntryStream } from './json-entry-stream.ts';

/** What HAR can never show (control frames are not exported; no TCP, no close frames). */
export const HAR_BLIND_TO = ['ws-control', 'ws-close', 'tcp'];

/** Who wrote a HAR (`log.creator.name`, else `log.browser.name`), and what that writer never puts in it. */
export interface HarKind {
  format: string;
  label: string;
  /** Beyond HAR_BLIND_TO. */
  blindTo: string[];
}

// A proxy's HAR shows the proxy's own connection to the server: what happened between the browser and the
// proxy (a drop on the agent's Wi-Fi, the browser's own timings and errors) is not in it.
const PROXY_BLIND = ['browser-to-proxy'];
const HAR_KINDS: { re: RegExp; kind: HarKind }[] = [
  { re: /^webinspector$|chrom|edge/i, kind: { format: 'har-chrome', label: 'Chrome/Edge DevTools', blindTo: [] } },
  { re: /firefox/i, kind: { format: 'har-firefox', label: 'Firefox DevTools', blindTo: ['ws-messages'] } },
  { re: /webkit|safari/i, kind: { format: 'har-safari', label: 'Safari Web Inspector', blindTo: [] } },
  { re: /charles/i, kind: { format: 'har-charles', label: 'Charles Proxy', blindTo: PROXY_BLIND } },
  { re: /mitmproxy/i, kind: { format: 'har-mitmproxy', label: 'mitmproxy', blindTo: PROXY_BLIND } },
  { re: /fiddler/i, kind: { format: 'har-fiddler', label: 'Fiddler', blindTo: PROXY_BLIND } },
  // Our HarRecorder and the lab's writer read Chrome's DevTools protocol: Chrome's blind spots.
  { re: /lifeline/i, kind: { format: 'har-lifeline', label: 'Lifeline (Chrome DevTools protocol)', blindTo: [] } },
];

export function harKind(creatorName: string, browserName: string): HarKind {
  for (const name of [creatorName, browserName]) {
    if (!name) continue;
    const k = HAR_KINDS.find((x) => x.re.test(name));
    if (k) return k.kind;
  }
  return { format: 'har-other', label: creatorName || browserName || 'an unnamed HAR writer', blindTo: [] };
}

interface ConnSummary {
  conn: string;
  url: string;
  host?: string;
  ip?: string;
  status?: number;
  start?: number;
  /** HAR timings of the upgrade (ms; -1 = not applicable), as the browser measured them. */
  timings?: Record<string, number>;
  messages: number;
  /** 'wxcc' when WxCC keepalive/Welcome messages were seen, 'lifeline' when Lifeline positions/resume too. */
  protocol?: 'wxcc' | 'lifeline';
}

/** What every event of one HAR socket carries. */
interface HarBase {
  source: string;
  sourceKind: 'har';
  conn: string;
  offset: number;
}

export class HarMapper {
  readonly events: TimelineEvent[] = [];
  readonly problems: Problem[] = [];
  private readonly connIds = new Map<string, number>();
  private readonly conns: ConnSummary[] = [];
  private readonly hosts = new Set<string>();
  private readonly dcs = new Set<string>();
  private wsEntries = 0;
  private wsWithMessages = 0;
  private otherEntries = 0;
  private lifeline = false;
  private wxcc = false;

  constructor(private readonly file: string) {}

  /** One `log.entries[i]` value, with the byte offset where it starts. */
  entry(value: unknown, offset: number): void {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      this.problem('HAR_BAD_ENTRY', 'entry is not an object', offset, 'warning');
      return;
    }
    const e = value as Record<string, unknown>;
    const req = obj(e.request);
    const res = obj(e.response);
    const url = str(req?.url) ?? '';
    const msgs = e._webSocketMessages;
    const isWs =
      e._resourceType === 'websocket' || /^wss?:\/\//i.test(url) || res?.status === 101 || Array.isArray(msgs);
    const start = parseTime(e.startedDateTime);
    if (!isWs) {
      this.otherEntries++;
      // The subscribe call that precedes the socket: a failure here is a (re)connect failure too.
      if (/\/notification\/subscribe\b/.test(url)) this.failedRequest(e, url, start, offset, 'http');
      return;
    }
    this.wsEntries++;
    if (start === undefined)
      this.problem('HAR_BAD_TIME', `websocket entry has no valid startedDateTime (${url})`, offset, 'warning');
    const summary = this.summarise(e, url, res, start, offset);
    const base = { source: this.file, sourceKind: 'har' as const, conn: summary.conn, offset };
    if (summary.status === 101) this.opened(e, base, summary, start);
    else this.failedRequest(e, url, start, offset, 'ws', summary.conn);
    if (!Array.isArray(msgs)) return;
    this.wsWithMessages++;
    for (let i = 0; i < msgs.length; i++) this.message(obj(msgs[i]), i, base, summary);
  }

  /** The socket's summary (a unique connection id, host, address, status, timings), noting WxCC hosts. */
  private summarise(
    e: Record<string, unknown>,
    url: string,
    res: Record<string, unknown> | undefined,
    start: number | undefined,
    offset: number,
  ): ConnSummary {
    const host = hostOf(url);
    if (host) {
      this.hosts.add(host);
      const dc = wxccDataCentre(host);
      if (dc) {
        this.dcs.add(dc);
        this.wxcc = true;
      }
    }
    const connBase = str(e.connection) ?? `${url}@${str(e.startedDateTime) ?? offset}`;
    const seen = this.connIds.get(connBase) ?? 0;
    this.connIds.set(connBase, seen + 1);
    const conn = seen === 0 ? connBase : `${connBase}#${seen + 1}`;
    const ip = stripBrackets(str(e.serverIPAddress));
    const status = typeof res?.status === 'number' ? res.status : undefined;
    const summary: ConnSummary = { conn, url, messages: 0 };
    if (host) summary.host = host;
    if (ip) summary.ip = ip;
    if (status !== undefined) summary.status = status;
    if (start !== undefined) summary.start = start;
    const timings = obj(e.timings);
    if (timings) {
      summary.timings = {};
      for (const [k, v] of Object.entries(timings))
        if (typeof v === 'number' && Number.isFinite(v)) summary.timings[k] = v;
    }
    this.conns.push(summary);
    return summary;
  }

  /** A 101 answer: the socket opened when the upgrade's timings say it did. */
  private opened(e: Record<string, unknown>, base: HarBase, summary: ConnSummary, start: number | undefined): void {
    if (start === undefined) return;
    const ev: TimelineEvent = {
      ...base,
      kind: 'conn-open',
      ts: start + upgradeDelay(obj(e.timings)),
      layer: 'ws',
      url: summary.url,
    };
    if (summary.host) ev.host = summary.host;
    if (summary.ip) ev.ip = summary.ip;
    const port = portOf(summary.url);
    if (port !== undefined) ev.port = port;
    this.events.push(ev);
  }

  /** One `_webSocketMessages[i]`: an error, a control frame, a binary or a text message. */
  private message(m: Record<string, unknown> | undefined, i: number, base: HarBase, summary: ConnSummary): void {
    const t = typeof m?.time === 'number' && Number.isFinite(m.time) ? m.time * 1000 : undefined;
    if (!m || t === undefined) {
      this.problem(
        'HAR_BAD_MESSAGE',
        `_webSocketMessages[${i}] has no numeric time (${summary.url})`,
        base.offset,
        'warning',
      );
      return;
    }
    const type = m.type;
    const data = typeof m.data === 'string' ? m.data : '';
    const opcode = typeof m.opcode === 'number' ? m.opcode : 1;
    if (type === 'error') {
      this.events.push({ ...base, kind: 'conn-close', ts: t, how: 'error', by: 'unknown', reason: capText(data) });
      return;
    }
    if (type !== 'send' && type !== 'receive') {
      const what = `_webSocketMessages[${i}] has unknown type ${JSON.stringify(type)}`;
      this.problem('HAR_BAD_MESSAGE', what, base.offset, 'warning');
      return;
    }
    const dir = type === 'send' ? ('c2s' as const) : ('s2c' as const);
    if (opcode === 8 || opcode === 9 || opcode === 10) {
      const op = opcode === 8 ? 'close' : opcode === 9 ? 'ping' : 'pong';
      this.events.push({ ...base, kind: 'ws-control', ts: t, dir, op });
      return;
    }
    summary.messages++;
    if (opcode === 2) {
      this.events.push({ ...base, kind: 'ws-message', ts: t, dir, opcode, length: base64Length(data), cls: 'other' });
      return;
    }
    const meaning = classifyMessage(data);
    if (isLifelineMessage(data, meaning)) {
      this.lifeline = true;
      summary.protocol = 'lifeline';
    } else if ((meaning.cls === 'keepalive' || meaning.cls === 'welcome') && !summary.protocol) {
      // The WxCC notification protocol (keepalive JSON / Welcome), on whatever host: a lab, a proxy, Lifeline.
      summary.protocol = 'wxcc';
    }
    const length = Buffer.byteLength(data, 'utf8');
    this.events.push({ ...base, kind: 'ws-message', ts: t, dir, opcode, length, ...meaning, text: capText(data) });
  }

  /** A request that did not get its expected answer → conn-fail, staged by Chrome's net error name. */
  private failedRequest(
    e: Record<string, unknown>,
    url: string,
    start: number | undefined,
    offset: number,
    okStage: 'http' | 'ws',
    conn?: string,
  ): void {
    const res = obj(e.response);
    const status = typeof res?.status === 'number' ? res.status : 0;
    if (okStage === 'http' && status >= 200 && status < 400) return;
    const err = str(res?._error) ?? str(e._error);
    const error = err ?? (status > 0 ? `HTTP ${status} ${str(res?.statusText) ?? ''}`.trim() : 'no response');
    const stage = err ? stageOfNetError(err) : status > 0 ? 'http' : 'unknown';
    const ts = start ?? 0;
    if (start === undefined) return;
    const ev: TimelineEvent = { source: this.file, sourceKind: 'har', offset, kind: 'conn-fail', ts, stage, error };
    if (conn) ev.conn = conn;
    const host = hostOf(url);
    if (host) ev.host = host;
    this.events.push(ev);
  }

  private problem(code: string, message: string, offset: number, severity: 'error' | 'warning'): void {
    if (this.problems.length < 1000) this.problems.push({ code, message, file: this.file, offset, severity });
  }

  /** Finish with the (partial) root the parser kept: names the HAR's writer and what the file is blind to. */
  finish(root: unknown, extraProblems: Problem[]): EvidenceResult {
    const log = obj(obj(root)?.log);
    const creatorName = str(obj(log?.creator)?.name) ?? '';
    const kind = harKind(creatorName, str(obj(log?.browser)?.name) ?? '');
    let blindTo = new Set([...kind.blindTo, ...HAR_BLIND_TO]);
    const problems = [...extraProblems, ...this.problems];
    if (this.wsEntries > this.wsWithMessages) {
      // Firefox (and some other exporters) write the upgrade request but not the frames.
      blindTo = new Set(['ws-messages', ...blindTo]);
      problems.push({
        code: 'HAR_NO_WS_MESSAGES',
        message:
          `${this.wsEntries - this.wsWithMessages} of ${this.wsEntries} WebSocket entries have no _webSocketMessages ` +
          `(${kind.format === 'har-firefox' ? 'Firefox HAR never contains them' : `${kind.label} did not include frames`}): keepalive flow ` +
          `cannot be read from this file; export the HAR from Chrome/Edge DevTools instead`,
        file: this.file,
        severity: 'warning',
      });
    }
    if (this.wsEntries === 0) {
      problems.push({
        code: 'HAR_NO_WEBSOCKET',
        message: `no WebSocket entries among ${this.otherEntries} entries (was DevTools open before the socket connected?)`,
        file: this.file,
        severity: 'warning',
      });
    }
    this.events.sort((a, b) => a.ts - b.ts);
    const meta: EvidenceResult['meta'] = {
      blindTo: [...blindTo],
      creator: creatorName || undefined,
      writer: kind.label,
      entries: this.wsEntries + this.otherEntries,
      websocketEntries: this.wsEntries,
      hosts: [...this.hosts],
      wxcc: this.wxcc || this.dcs.size > 0,
      dataCentres: [...this.dcs],
      lifeline: this.lifeline,
      connections: this.conns,
    };
    if (this.events.length) {
      meta.firstTs = this.events[0].ts;
      meta.lastTs = this.events[this.events.length - 1].ts;
    }
    return { file: this.file, kind: 'har', format: kind.format, events: this.events, problems, meta };
  }
}

/** Sans-IO HAR reader: bytes in (any chunking), EvidenceResult out. */
export class HarStream extends JsonEntryStream {
  constructor(file: string) {
    super(
      file,
      'HAR',
      (p) => p.length === 3 && p[0] === 'log' && p[1] === 'entries' && typeof p[2] === 'number',
      new HarMapper(file),
    );
  }
}

/** Stream a HAR file: entries are mapped as they complete. Never throws for bad input. */
export async function readHar(
  file: string,
  opts: { progress?: (done: number, total: number) => void } = {},
): Promise<EvidenceResult> {
  const s = new HarStream(file);
  const r = await streamFile(file, (chunk) => void s.push(chunk), opts);
  const result = s.end(r.problem ? [r.problem] : []);
  if (r.gzip) result.meta.gzip = true;
  return result;
}

// ---- small helpers ----
function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
function parseTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  if (!Number.isFinite(t)) return undefined;
  // Date.parse drops sub-millisecond digits; keep them (HAR writers give µs).
  const m = /\.(\d{4,})/.exec(v);
  return m ? t + Number(`0.${m[1].slice(3)}`) : t;
}
/** Time from startedDateTime to the 101 response: blocked + dns + connect + send + wait (ssl is inside connect). */
function upgradeDelay(t: Record<string, unknown> | undefined): number {
  if (!t) return 0;
  let sum = 0;
  for (const k of ['blocked', 'dns', 'connect', 'send', 'wait']) {
    const v = t[k];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) sum += v;
  }
  return sum;
}
export function hostOf(url: string): string | undefined {
  try {
    const h = new URL(url).hostname;
    return h ? stripBrackets(h) : undefined;
  } catch {
    return undefined;
  }
}
function portOf(url: string): number | undefined {
  try {
    const u = new URL(url);
    if (u.port) return Number(u.port);
    return u.protocol === 'wss:' || u.protocol === 'https:'
      ? 443
      : u.protocol === 'ws:' || u.protocol === 'http:'
        ? 80
        : undefined;
  } catch {
    return undefined;
  }
}
function stripBrackets(s: string | undefined): string | undefined {
  if (!s) return undefined;
  return s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
}
function base64Length(s: string): number {
  const clean = s.replace(/[^A-Za-z0-9+/]/g, '');
  return Math.floor((clean.length * 3) / 4);
}
/** Chrome net error name → the stage that failed. */
export function stageOfNetError(err: string): 'dns' | 'tcp' | 'tls' | 'http' | 'ws' | 'unknown' {
  const e = err.toUpperCase();
  if (/NAME_NOT_RESOLVED|NAME_RESOLUTION|DNS/.test(e)) return 'dns';
  if (/SSL|CERT|TLS/.test(e)) return 'tls';
  if (
    /CONNECTION_(REFUSED|TIMED_OUT|RESET|CLOSED|FAILED|ABORTED)|ADDRESS_UNREACHABLE|NETWORK_|INTERNET_DISCONNECTED|TIMED_OUT/.test(
      e,
    )
  )
    return 'tcp';
  if (/WS_|WEBSOCKET|UPGRADE|INVALID_HTTP_RESPONSE/.test(e)) return 'ws';
  if (/HTTP|EMPTY_RESPONSE|INVALID_RESPONSE/.test(e)) return 'http';
  return 'unknown';
}
