// Cisco ASA / FTD syslog lines → device-log events. Message ids (Cisco "Syslog Messages" guide):
//   302013/302015 Built {inbound|outbound} {TCP|UDP} connection, 302014/302016 Teardown (duration, bytes, reason,
//   'from' side), 106015 Deny TCP (no connection) with flags, 106001 Inbound TCP connection denied, 106023 Deny by ACL.
// Other ASA messages are recognised (counted) but not mapped: they do not describe a flow's life.
import type { DeviceLogEvent } from '../events/types.ts';
import { findTime, type YearHint } from './device-time.ts';

export type DeviceLineResult =
  | { kind: 'event'; ev: Omit<DeviceLogEvent, 'source' | 'sourceKind'>; utcOffsetMin?: number }
  | { kind: 'untimed'; ev: Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'> }
  | { kind: 'ignored' }
  /** The vendor's line shape, but its fields could not be read. */
  | { kind: 'bad'; why: string };

// An optional class tag (`%FTD-session-6-302014`) appears on some FTD/ASA releases.
const ASA_RE = /%(ASA|FTD|FWSM|PIX)(?:-[a-z]+)?-(\d)-(\d{6}):?\s*(.*)$/;
const EP = String.raw`([^:\s]+):(\S+?)\/(\d+)`; // interface:ip/port (IPv6 ok: the interface has no colon)
const BUILT_RE = new RegExp(String.raw`^Built (inbound|outbound) (TCP|UDP) connection (\d+) for ${EP}.*? to ${EP}`);
const TEARDOWN_RE = new RegExp(
  String.raw`^Teardown (TCP|UDP) connection (\d+) for ${EP} to ${EP}(?: duration (\d+):(\d\d):(\d\d))?(?: bytes (\d+))?\s*(.*)$`,
);
const DENY_NOCONN_RE =
  /^Deny TCP \(no connection\) from (\S+?)\/(\d+) to (\S+?)\/(\d+) flags (.*?)\s+on interface (\S+)/;
const DENY_INBOUND_RE =
  /^Inbound TCP connection denied from (\S+?)\/(\d+) to (\S+?)\/(\d+) flags (.*?)\s+on interface (\S+)/;
const DENY_ACL_RE = new RegExp(`^Deny (tcp|udp) src ${EP} dst ${EP} by access-group "([^"]*)"`, 'i');

/** The message ids mapped to flow events; every other ASA/FTD message is counted as ignored. */
const MAPPED_IDS = new Set(['302013', '302014', '302015', '302016', '106015', '106001', '106023']);

export const ASA_LINE_RE = /%(?:ASA|FTD|FWSM|PIX)(?:-[a-z]+)?-\d-\d{6}/;

interface Built {
  outbound: boolean;
  clientIf: string;
}

/** Teardown reason words → normalised cause (client = connection initiator). */
export function asaCause(reason: string, resetFromClientSide: boolean | undefined): DeviceLogEvent['cause'] {
  const r = reason.toLowerCase().replace(/\s+/g, ' ');
  if (/^tcp reset ?- ?(i|o)\b/.test(r)) {
    if (resetFromClientSide === undefined) return 'other';
    return resetFromClientSide ? 'reset-client' : 'reset-server';
  }
  if (
    /reset ?- ?appliance|flow (reset|terminated) by ips|closed by inspection|deny terminate|invalid syn|bad retransmission|partial overlap|window size variation|ips fail-close|terminated by tcp intercept|probe/.test(
      r,
    )
  )
    return 'reset-device';
  if (/^tcp fins|fin timeout/.test(r)) return 'fin';
  if (/syn timeout/.test(r)) return 'syn-timeout';
  if (/conn-timeout|idle timeout|flow timed out|pinhole timeout|half-closed timeout/.test(r)) return 'idle-timeout';
  return 'other';
}

export class AsaParser {
  private readonly built = new Map<string, Built>();

  constructor(private readonly hint: YearHint) {}

  static matches(text: string): boolean {
    return ASA_LINE_RE.test(text);
  }

  /** undefined = not an ASA/FTD line. */
  parse(text: string, raw: string): DeviceLineResult | undefined {
    const m = ASA_RE.exec(text);
    if (!m) return undefined;
    const id = m[3];
    const body = m[4];
    if (!MAPPED_IDS.has(id)) return { kind: 'ignored' };
    const time = findTime(text.slice(0, m.index), this.hint);
    let ev: Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'> | undefined;
    if (id === '302013' || id === '302015') {
      const b = BUILT_RE.exec(body);
      if (!b) return { kind: 'bad', why: `%ASA-${id} Built line without the expected endpoints` };
      const outbound = b[1] === 'outbound';
      // "for" is the outside/foreign end, "to" the local end; the initiator is "for" on inbound, "to" on outbound.
      const f = { ifc: b[4], ip: b[5], port: +b[6] };
      const t = { ifc: b[7], ip: b[8], port: +b[9] };
      const src = outbound ? t : f;
      const dst = outbound ? f : t;
      this.remember(b[3], { outbound, clientIf: src.ifc });
      ev = {
        kind: 'device-log',
        vendor: 'cisco-asa',
        action: 'built',
        reason: `Built ${b[1]} ${b[2]}`,
        srcIp: src.ip,
        srcPort: src.port,
        dstIp: dst.ip,
        dstPort: dst.port,
        raw,
      };
    } else if (id === '302014' || id === '302016') {
      const t = TEARDOWN_RE.exec(body);
      if (!t) return { kind: 'bad', why: `%ASA-${id} Teardown line without the expected endpoints` };
      const known = this.built.get(t[2]);
      this.built.delete(t[2]);
      const a = { ifc: t[3], ip: t[4], port: +t[5] };
      const c = { ifc: t[6], ip: t[7], port: +t[8] };
      // Same order as the Built line; without it, the ephemeral-port side is taken as the client.
      const aIsClient = known ? !known.outbound : a.port > c.port;
      const src = aIsClient ? a : c;
      const dst = aIsClient ? c : a;
      let tail = (t[13] ?? '').replace(/\s*\([^)]*\)\s*$/, '').trim();
      let from: string | undefined;
      const fm = / from (\S+)$/.exec(tail);
      if (fm) {
        from = fm[1];
        tail = tail.slice(0, fm.index).trim();
      }
      // Reset-I = from the inside interface, Reset-O = from outside; map to client/server by the client's side.
      let resetFromClient: boolean | undefined;
      const rs = /reset ?- ?(i|o)\b/i.exec(tail);
      if (rs) {
        const rstInside = rs[1].toLowerCase() === 'i';
        const clientInside = known ? known.outbound : !/outside/i.test(src.ifc) || /outside/i.test(dst.ifc);
        resetFromClient = rstInside === clientInside;
      }
      const durationMs = t[9] !== undefined ? ((+t[9] * 60 + +t[10]) * 60 + +t[11]) * 1000 : undefined;
      ev = {
        kind: 'device-log',
        vendor: 'cisco-asa',
        action: 'teardown',
        reason: from ? `${tail} from ${from}` : tail || undefined,
        cause: asaCause(tail, resetFromClient),
        srcIp: src.ip,
        srcPort: src.port,
        dstIp: dst.ip,
        dstPort: dst.port,
        raw,
      };
      if (t[12] !== undefined) ev.bytes = +t[12];
      if (durationMs !== undefined) ev.durationMs = durationMs;
      if (!ev.reason) delete ev.reason;
    } else if (id === '106015' || id === '106001') {
      const d = (id === '106015' ? DENY_NOCONN_RE : DENY_INBOUND_RE).exec(body);
      if (!d) return { kind: 'bad', why: `%ASA-${id} Deny line without the expected endpoints` };
      ev = {
        kind: 'device-log',
        vendor: 'cisco-asa',
        action: 'deny',
        reason: `${id === '106015' ? 'Deny TCP (no connection)' : 'Inbound TCP connection denied'} flags ${d[5]} on interface ${d[6]}`,
        cause: 'deny',
        srcIp: d[1],
        srcPort: +d[2],
        dstIp: d[3],
        dstPort: +d[4],
        raw,
      };
    } else if (id === '106023') {
      const d = DENY_ACL_RE.exec(body);
      if (!d) return { kind: 'ignored' };
      ev = {
        kind: 'device-log',
        vendor: 'cisco-asa',
        action: 'deny',
        reason: `Deny ${d[1]} by access-group "${d[8]}"`,
        cause: 'deny',
        srcIp: d[3],
        srcPort: +d[4],
        dstIp: d[6],
        dstPort: +d[7],
        raw,
      };
    } else {
      return { kind: 'ignored' };
    }
    if (!time) return { kind: 'untimed', ev };
    const out: Omit<DeviceLogEvent, 'source' | 'sourceKind'> = { ...ev, ts: time.ts };
    if (time.uncertain) out.clockUncertain = true;
    return { kind: 'event', ev: out, ...(time.utcOffsetMin !== undefined ? { utcOffsetMin: time.utcOffsetMin } : {}) };
  }

  private remember(id: string, b: Built): void {
    if (this.built.size >= 200_000) {
      const first = this.built.keys().next().value;
      if (first !== undefined) this.built.delete(first);
    }
    this.built.set(id, b);
  }
}
