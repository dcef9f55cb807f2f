// Per incident, the Notifs connection(s) it touched, as a support engineer quotes them: the 5-tuple, the TLS SNI,
// when it opened, its close frames (code, reason, who sent them) and how it ended, each with the capture's
// frame number (Wireshark's frame.number) beside the time. Describes what the timeline holds; judges nothing.
import type { Timeline } from './timeline.ts';

export interface ConnMoment {
  /** Reference clock, epoch ms. */
  ts: number;
  frame?: number;
}

export interface NotifsConnection {
  source: string;
  conn: string;
  /** `ip:port` (IPv6 in brackets) of the desktop and of Notifs, when the evidence gives them. */
  client?: string;
  server?: string;
  transport?: 'tcp';
  sni?: string;
  host?: string;
  first: ConnMoment;
  last: ConnMoment;
  opened?: ConnMoment & { layer: string };
  closeFrames: (ConnMoment & { by: 'desktop' | 'server' | 'unknown'; code?: number; reason?: string })[];
  ended?: ConnMoment & { how: string; by?: string };
}

const MAX_CLOSES = 4;
/** A connection belongs to an incident when its life comes this close to the incident's window. */
const MARGIN_MS = 30_000;
const MAX_PER_INCIDENT = 8;

/** Every Notifs connection of the timeline, summarised once (events are already on the reference clock). */
export function notifsConnections(tl: Timeline): NotifsConnection[] {
  const byKey = new Map<string, NotifsConnection>();
  for (const e of tl.events) {
    if (!e.conn) continue;
    const key = `${e.source}\u0000${e.conn}`;
    const at: ConnMoment = e.frame !== undefined ? { ts: e.ts, frame: e.frame } : { ts: e.ts };
    let c = byKey.get(key);
    if (!c) {
      c = { source: e.source, conn: e.conn, first: at, last: at, closeFrames: [], ...tuple(e.sourceKind, e.conn) };
      byKey.set(key, c);
    }
    if (e.ts < c.first.ts) c.first = at;
    if (e.ts >= c.last.ts) c.last = at;
    if (e.kind === 'conn-open') {
      if (e.layer === 'tls' && e.host) c.sni = e.host;
      else if (e.host && !c.host) c.host = e.host;
      if (!c.server && e.ip && e.port !== undefined) c.server = hostPort(e.ip, e.port);
      if (!c.opened || e.ts < c.opened.ts) c.opened = { ...at, layer: e.layer };
    } else if (e.kind === 'ws-control' && e.op === 'close') {
      addClose(c, { ...at, by: e.dir === 'c2s' ? 'desktop' : 'server', code: e.code, reason: e.reason });
    } else if (e.kind === 'conn-close') {
      if (e.how === 'ws-close') {
        const by = e.by === 'desktop' || e.by === 'server' ? e.by : 'unknown';
        addClose(c, { ...at, by, code: e.wsCode, reason: e.reason });
      } else if (!c.ended) c.ended = { ...at, how: e.how, ...(e.by ? { by: e.by } : {}) };
    }
  }
  return [...byKey.values()];
}

/** The connections whose life overlaps [start, end] (with a margin), most relevant first, capped. */
export function connectionsDuring(all: NotifsConnection[], start: number, end: number): NotifsConnection[] {
  return all
    .filter((c) => c.first.ts <= end + MARGIN_MS && c.last.ts >= start - MARGIN_MS)
    .sort((a, b) => a.first.ts - b.first.ts)
    .slice(0, MAX_PER_INCIDENT);
}

function addClose(c: NotifsConnection, f: NotifsConnection['closeFrames'][number]): void {
  // A capture shows the frame and its reader may also report the close: one entry per frame.
  const dup = c.closeFrames.some((x) => x.by === f.by && x.code === f.code && Math.abs(x.ts - f.ts) < 1);
  if (dup || c.closeFrames.length >= MAX_CLOSES) return;
  const out: NotifsConnection['closeFrames'][number] = { ts: f.ts, by: f.by };
  if (f.frame !== undefined) out.frame = f.frame;
  if (f.code !== undefined) out.code = f.code;
  if (f.reason) out.reason = f.reason.slice(0, 200);
  c.closeFrames.push(out);
}

/** Captures name a flow `<clientIp>:<clientPort>-<serverIp>:<serverPort>`: that is the TCP 5-tuple. */
function tuple(kind: string, conn: string): Pick<NotifsConnection, 'client' | 'server' | 'transport'> {
  if (kind !== 'capture') return {};
  const m = /^(.+:\d+)-(.+:\d+)$/.exec(conn);
  return m ? { client: m[1], server: m[2], transport: 'tcp' } : {};
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
