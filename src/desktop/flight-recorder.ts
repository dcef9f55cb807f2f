// The desktop's flight recorder: a bounded ring of everything that happened on the connection, plus totals that
// survive the ring's truncation. Its report is the error report of docs/error-report.md
// (src/protocol/error-report-schema.ts). Isomorphic: no Node or DOM APIs.
import { ERROR_REPORT_SCHEMA, type ErrorReportV1, type ReportEntry } from '../protocol/error-report-schema.ts';
import type { StreamPosition } from '../protocol/stream-position.ts';

/** An entry without its clock fields; the recorder stamps `t` and `m`. */
export type EntryInput = ReportEntry extends infer E ? (E extends ReportEntry ? Omit<E, 't' | 'm'> : never) : never;

export interface RecorderClock {
  wall(): number;
  mono(): number;
}

export interface RecorderInfo {
  agentId: string;
  clientId: string;
  runtime: 'node' | 'browser';
  userAgent?: string;
  serverUrl: string;
  config: ErrorReportV1['config'];
}

export class FlightRecorder {
  private readonly ring: (ReportEntry | undefined)[];
  private start = 0;
  private count = 0;
  dropped = 0;
  readonly totals: ErrorReportV1['totals'] = {
    sent: 0,
    received: 0,
    keepalivesSent: 0,
    keepalivesReceived: 0,
    reconnects: 0,
    notificationsDelivered: 0,
    duplicatesDropped: 0,
  };
  readonly clockAtStart: { wallAtStart: number; monoAtStart: number };
  lastWebSocketUrl: string | undefined;

  constructor(
    readonly capacity: number,
    private readonly clock: RecorderClock,
    private readonly info: RecorderInfo,
  ) {
    this.capacity = Math.max(16, Math.floor(capacity));
    this.ring = new Array(this.capacity);
    this.clockAtStart = { wallAtStart: clock.wall(), monoAtStart: clock.mono() };
  }

  record(e: EntryInput): ReportEntry {
    const entry = { t: this.clock.wall(), m: round3(this.clock.mono()), ...e } as ReportEntry;
    if (entry.kind === 'sent') {
      this.totals.sent++;
      if (entry.type === 'keepalive') this.totals.keepalivesSent++;
    } else if (entry.kind === 'received') {
      this.totals.received++;
      if (entry.type === 'keepalive') this.totals.keepalivesReceived++;
    } else if (entry.kind === 'reconnect' && entry.error === undefined) this.totals.reconnects++;
    if (this.count < this.capacity) {
      this.ring[(this.start + this.count) % this.capacity] = entry;
      this.count++;
    } else {
      this.ring[this.start] = entry;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
    return entry;
  }

  entries(): ReportEntry[] {
    const out: ReportEntry[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.start + i) % this.capacity]!);
    return out;
  }

  report(position?: StreamPosition): ErrorReportV1 {
    const r: ErrorReportV1 = {
      schema: ERROR_REPORT_SCHEMA,
      version: 1,
      createdAt: this.clock.wall(),
      agentId: this.info.agentId,
      clientId: this.info.clientId,
      runtime: this.info.runtime,
      serverUrl: this.info.serverUrl,
      config: { ...this.info.config },
      clock: { ...this.clockAtStart },
      entries: this.entries(),
      dropped: this.dropped,
      totals: { ...this.totals },
    };
    if (this.info.userAgent) r.userAgent = this.info.userAgent;
    if (this.lastWebSocketUrl) r.lastWebSocketUrl = this.lastWebSocketUrl;
    if (position) r.position = { ...position };
    return r;
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** Credentials never go into the report: the one redactor (src/redact.ts) cleans every URL it records. */
export { redactUrl } from '../redact.ts';
