// Finds the desktop ↔ Notifs connections in each evidence file (seed steps 4–6: "filter to api.wxcc-<dc>").
// A connection is Notifs when: its host is the named one (--host / --dc / any api.wxcc-*.cisco.com), its server
// address is a named or resolved one (--ip / DNS answers for those hosts), its messages look like WxCC/Lifeline
// (keepalive, Welcome, multi-login, resume; the subscription URL), or, encrypted, its TLS records keep the
// keepalive rhythm (small application-data records both ways about every keepalive period).
import type { EvidenceResult, TimelineEvent } from '../events/types.ts';
import { apiHost, isWxccApiHost } from '../protocol/wxcc.ts';
import type { DiagnoseOptions } from './model.ts';

export type NotifsReason = 'host' | 'ip' | 'pattern' | 'rhythm' | 'report' | 'fallback';

export interface NotifsConnections {
  /** Host names taken to be Notifs. */
  hosts: string[];
  /** Server addresses taken to be Notifs (from --ip, DNS answers, matched connections). */
  ips: string[];
  /** Per source file: connection id → why it was taken as Notifs. */
  perSource: Map<string, Map<string, NotifsReason>>;
  notes: string[];
}

const SUBSCRIPTION_PATH = /\/v1\/notification\/subscription\//;
const NOTIFS_CLASSES = new Set(['keepalive', 'welcome', 'multilogin', 'resume']);

/** `"10.0.0.5:51234-[2001:db8::1]:443"` → server `{ip, port}` and client `{ip, port}`. */
export function parseConnKey(
  key: string | undefined,
): { clientIp: string; clientPort: number; serverIp: string; serverPort: number } | undefined {
  if (!key) return undefined;
  const m = /^(\[[^\]]+\]|[^:[\]-]+):(\d+)-(\[[^\]]+\]|[^:[\]-]+):(\d+)$/.exec(key);
  if (!m) return undefined;
  const unb = (s: string) => (s.startsWith('[') ? s.slice(1, -1) : s);
  return { clientIp: unb(m[1]), clientPort: Number(m[2]), serverIp: unb(m[3]), serverPort: Number(m[4]) };
}

function hostOfUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

interface ConnFacts {
  hosts: Set<string>;
  ips: Set<string>;
  urls: string[];
  patterned: boolean;
  tls: { c2s: number[]; s2c: number[] };
}

export function identifyNotifs(results: EvidenceResult[], opts: DiagnoseOptions): NotifsConnections {
  const hosts = new Set<string>();
  if (opts.host) hosts.add(opts.host.toLowerCase());
  if (opts.dc) hosts.add(apiHost(opts.dc));
  const named = hosts.size > 0 || !!opts.ip;
  const ips = new Set<string>();
  if (opts.ip) ips.add(opts.ip);
  const notes: string[] = [];

  // Hosts seen anywhere that look like the WxCC API join the list (only when the user named none).
  const seenHosts = new Set<string>();
  for (const r of results)
    for (const e of r.events) {
      if (e.kind === 'conn-open') {
        const h = (e.host ?? hostOfUrl(e.url))?.toLowerCase();
        if (h) seenHosts.add(h);
      }
      if (e.kind === 'dns-answer') seenHosts.add(e.name.toLowerCase());
    }
  if (!named) for (const h of seenHosts) if (isWxccApiHost(h)) hosts.add(h);

  // DNS answers for those hosts (seed step 5 as seen inside the evidence): their addresses are Notifs.
  for (const r of results)
    for (const e of r.events) {
      if (e.kind !== 'dns-answer') continue;
      const names = [e.name, ...(e.cnames ?? [])].map((n) => n.toLowerCase().replace(/\.$/, ''));
      if (names.some((n) => hosts.has(n))) for (const a of e.addresses) ips.add(a);
    }

  const perSource = new Map<string, Map<string, NotifsReason>>();
  for (const r of results) {
    const chosen = new Map<string, NotifsReason>();
    perSource.set(r.file, chosen);
    const conns = new Map<string, ConnFacts>();
    for (const e of r.events) {
      if (!e.conn) continue;
      let f = conns.get(e.conn);
      if (!f) {
        f = { hosts: new Set(), ips: new Set(), urls: [], patterned: false, tls: { c2s: [], s2c: [] } };
        conns.set(e.conn, f);
        const k = parseConnKey(e.conn);
        if (k) f.ips.add(k.serverIp);
      }
      collect(f, e);
    }
    if (conns.size === 0) continue;
    if (r.kind === 'report') {
      // The desktop's own error report only records its Notifs connection.
      for (const c of conns.keys()) chosen.set(c, 'report');
      continue;
    }
    for (const [c, f] of conns) {
      const reason = classify(f, hosts, ips, opts.keepaliveMs);
      if (reason) chosen.set(c, reason);
    }
    if (chosen.size === 0) {
      for (const c of conns.keys()) chosen.set(c, 'fallback');
      notes.push(
        `${r.file}: no connection could be identified as Notifs (no matching host, address, message pattern or ` +
          `keepalive rhythm); all ${conns.size} connection(s) were analysed.`,
      );
    }
    for (const [c, why] of chosen) if (why !== 'fallback') for (const ip of conns.get(c)!.ips) ips.add(ip);
  }
  return { hosts: [...hosts].sort(), ips: [...ips].sort(), perSource, notes };
}

function collect(f: ConnFacts, e: TimelineEvent): void {
  switch (e.kind) {
    case 'conn-open': {
      const h = (e.host ?? hostOfUrl(e.url))?.toLowerCase();
      if (h) f.hosts.add(h);
      if (e.ip) f.ips.add(e.ip);
      if (e.url) {
        f.urls.push(e.url);
        if (SUBSCRIPTION_PATH.test(e.url)) f.patterned = true;
      }
      break;
    }
    case 'ws-message':
      if (NOTIFS_CLASSES.has(e.cls)) f.patterned = true;
      break;
    case 'tls-record':
      if (e.contentType === 23) f.tls[e.dir].push(e.ts);
      break;
  }
}

function classify(f: ConnFacts, hosts: Set<string>, ips: Set<string>, keepaliveMs: number): NotifsReason | undefined {
  for (const h of f.hosts) if (hosts.has(h)) return 'host';
  for (const ip of f.ips) if (ips.has(ip)) return 'ip';
  if (f.patterned) return 'pattern';
  if (keepsRhythm(f.tls.c2s, keepaliveMs) && keepsRhythm(f.tls.s2c, keepaliveMs)) return 'rhythm';
  return undefined;
}

/** At least 3 records whose median spacing is within ±50 % of the keepalive period. */
function keepsRhythm(ts: number[], keepaliveMs: number): boolean {
  if (ts.length < 3) return false;
  const sorted = [...ts].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) gaps.push(sorted[i] - sorted[i - 1]);
  gaps.sort((a, b) => a - b);
  const med = gaps[gaps.length >> 1];
  return med >= keepaliveMs * 0.5 && med <= keepaliveMs * 1.5;
}

/** Is this event about the Notifs connection (or not tied to any connection)? */
export function isNotifsEvent(e: TimelineEvent, file: string, n: NotifsConnections): boolean {
  if (e.kind === 'device-log') {
    // Without addresses on the line (or without known Notifs addresses) it cannot be told apart: keep it.
    if (n.ips.length === 0 || (e.srcIp === undefined && e.dstIp === undefined))
      return e.dstPort === undefined || e.dstPort === 443 || e.srcPort === 443;
    return (e.dstIp !== undefined && n.ips.includes(e.dstIp)) || (e.srcIp !== undefined && n.ips.includes(e.srcIp));
  }
  if (e.kind === 'conn-fail') {
    // A failed attempt never carried messages: judge it by its host or server address only.
    if (e.host && n.hosts.length > 0) return n.hosts.includes(e.host.toLowerCase());
    const k = parseConnKey(e.conn);
    if (k && n.ips.length > 0) return n.ips.includes(k.serverIp);
    return true;
  }
  if (e.kind === 'dns-answer') return true;
  if (!e.conn) return true;
  return n.perSource.get(file)?.has(e.conn) ?? false;
}
