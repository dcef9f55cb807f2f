// Cisco ASA / FTD syslog lines → device-log events. Message ids (Cisco "Syslog Messages" guide):
//   302013/302015 Built {inbound|outbound} {TCP|UDP} connection, 302014/302016 Teardown (duration, bytes, reason,
//   'from' side), 106015 Deny TCP (no connection) with flags, 106001 Inbound TCP connection denied, 106023 Deny by ACL.
// Other ASA messages are recognised (counted) but not mapped: they do not describe a flow's life.
import { isIP } from 'node:net';
import type { DeviceLogEvent } from '../events/types.ts';
import { findTime, type YearHint } from './device-time.ts';

export type DeviceLineResult =
  | {
      kind: 'event';
      ev: Omit<DeviceLogEvent, 'source' | 'sourceKind'>;
      utcOffsetMin?: number;
      /** Something about this line worth saying once per file (same code and message are counted together). */
      note?: { code: string; message: string };
    }
  | { kind: 'untimed'; ev: Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'> }
  | { kind: 'ignored' }
  /** The vendor's line shape, but its fields could not be read. */
  | { kind: 'bad'; why: string };

// An optional class tag (`%FTD-session-6-302014`) appears on some FTD/ASA releases.
const ASA_RE = /%(ASA|FTD|FWSM|PIX)(?:-[a-z]+)?-(\d)-(\d{6}):?\s*(.*)$/;
// One endpoint as Cisco's guide writes it: `interface:address/port`, then any parenthesised annotations — the
// mapped address `(203.0.113.2/51234)`, an identity-firewall user or FQDN `(LOCAL\alice)`, `(host.example)`, a
// security group `(9999:name)`. The interface may itself hold colons (`v1:outside`, the context prefix) or
// spaces (`NP Identity Ifc`), so the address is split off afterwards by what parses as an IP.
const ADDR = String.raw`((?:NP Identity Ifc:)?[^\s/()]+)`;
const ANNOT = String.raw`((?:\s?\([^()]*\))*)`;
const EP = String.raw`${ADDR}\/(\d+)${ANNOT}`;
const EP_OPT_PORT = String.raw`${ADDR}(?:\/(\d+))?${ANNOT}`;
const BUILT_RE = new RegExp(String.raw`^Built (inbound|outbound) (TCP|UDP) connection (\d+) for ${EP} to ${EP}`);
const TEARDOWN_RE = new RegExp(
  String.raw`^Teardown (TCP|UDP) connection (\d+) for ${EP} to ${EP}(?:\s+duration (\d+):(\d\d):(\d\d))?(?:\s+bytes (\d+))?\s*(.*)$`,
);
const DENY_NOCONN_RE = new RegExp(
  String.raw`^Deny TCP \(no connection\) from ${EP} to ${EP} flags (.*?)\s+on interface (\S+)`,
);
const DENY_INBOUND_RE = new RegExp(
  String.raw`^Inbound TCP connection denied from ${EP} to ${EP} flags (.*?)\s+on interface (\S+)`,
);
// 106023: ICMP and other protocols have no ports; `(type 3, code 0)` or `type 3, code 0,` may precede "by".
const DENY_ACL_RE = new RegExp(
  String.raw`^Deny (protocol \d+|\S+) src ${EP_OPT_PORT} dst ${EP_OPT_PORT}.*? by access[-_]group "([^"]*)"`,
  'i',
);

/** The message ids mapped to flow events; every other ASA/FTD message is counted as ignored. */
const MAPPED_IDS = new Set(['302013', '302014', '302015', '302016', '106015', '106001', '106023']);

export const ASA_LINE_RE = /%(?:ASA|FTD|FWSM|PIX)(?:-[a-z]+)?-\d-\d{6}/;

interface Built {
  outbound: boolean;
  clientIf: string;
}

interface Endpoint {
  ifc?: string;
  ip: string;
  port?: number;
}

/**
 * `interface:address` (or a bare address when `withIfc` is false) and a port → an endpoint, or why it is
 * impossible (an address that is no IP, a port past 65535): such a line is reported, never half-read.
 */
export function asaEndpoint(tok: string, port: string | undefined, withIfc: boolean): Endpoint | string {
  let ep: Endpoint | undefined;
  if (!withIfc) {
    if (isIP(tok)) ep = { ip: tok };
  } else {
    for (let i = tok.indexOf(':'); i >= 0 && !ep; i = tok.indexOf(':', i + 1)) {
      if (isIP(tok.slice(i + 1))) ep = { ifc: tok.slice(0, i), ip: tok.slice(i + 1) };
    }
  }
  if (!ep) {
    const shown = withIfc && tok.includes(':') ? tok.slice(tok.lastIndexOf(':') + 1) : tok;
    const hint = /[g-z]/i.test(shown) ? " (a name from the ASA's `names` table? log with `no names`)" : '';
    return `impossible address "${shown.slice(0, 80)}"${hint}`;
  }
  if (port !== undefined) {
    const n = Number(port);
    if (n > 65535) return `impossible port ${port.slice(0, 12)} for ${ep.ip}`;
    ep.port = n;
  }
  return ep;
}

/** Teardown reason words → normalised cause (client = connection initiator). */
export function asaCause(reason: string, resetBy: 'client' | 'server' | undefined): DeviceLogEvent['cause'] {
  const r = reason.toLowerCase().replace(/\s+/g, ' ');
  if (
    /reset ?- ?appliance|flow (reset|terminated) by ips|closed by inspection|deny terminate|invalid syn|bad retransmission|partial overlap|window size variation|ips fail-close|terminated by tcp intercept|probe/.test(
      r,
    )
  )
    return 'reset-device';
  if (/^tcp reset(?: ?- ?[io])?\b/.test(r)) return resetBy ? `reset-${resetBy}` : 'other';
  if (/^tcp fins|fin timeout/.test(r)) return 'fin';
  if (/syn timeout/.test(r)) return 'syn-timeout';
  if (/conn-timeout|idle timeout|flow timed out|pinhole timeout|half-closed timeout/.test(r)) return 'idle-timeout';
  return 'other';
}

type FlowEv = Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'>;

/** Same interface name, allowing the `context:` prefix some multi-context devices put before it. */
function sameIfc(ifc: string | undefined, name: string): boolean {
  if (!ifc) return false;
  const a = ifc.toLowerCase();
  const b = name.toLowerCase();
  return a === b || a.endsWith(`:${b}`);
}

/** Two endpoints from a regex match (address, port, annotations per endpoint), or why one is impossible. */
function endpoints(m: RegExpExecArray, first: number, withIfc: boolean): [Endpoint, Endpoint] | string {
  const a = asaEndpoint(m[first], m[first + 1], withIfc);
  if (typeof a === 'string') return a;
  const b = asaEndpoint(m[first + 3], m[first + 4], withIfc);
  if (typeof b === 'string') return b;
  return [a, b];
}

function flow(src: Endpoint, dst: Endpoint, rest: Omit<FlowEv, 'kind' | 'vendor'>): FlowEv {
  const ev: FlowEv = { kind: 'device-log', vendor: 'cisco-asa', ...rest, srcIp: src.ip, dstIp: dst.ip };
  if (src.port !== undefined) ev.srcPort = src.port;
  if (dst.port !== undefined) ev.dstPort = dst.port;
  return ev;
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
    if (!MAPPED_IDS.has(id)) return { kind: 'ignored' };
    const r = this.body(id, m[4], raw);
    if (r === undefined) return { kind: 'ignored' };
    if (typeof r === 'string') return { kind: 'bad', why: `%${m[1]}-${id}: ${r}` };
    const time = findTime(text.slice(0, m.index), this.hint);
    if (!time) return { kind: 'untimed', ev: r };
    const out: Omit<DeviceLogEvent, 'source' | 'sourceKind'> = { ...r, ts: time.ts };
    if (time.uncertain) out.clockUncertain = true;
    return { kind: 'event', ev: out, ...(time.utcOffsetMin !== undefined ? { utcOffsetMin: time.utcOffsetMin } : {}) };
  }

  /** The message text → an event, a reason it cannot be read (string), or undefined (not a flow, e.g. no ports). */
  private body(id: string, body: string, raw: string): FlowEv | string | undefined {
    if (id === '302013' || id === '302015') return this.builtLine(body, raw);
    if (id === '302014' || id === '302016') return this.teardownLine(body, raw);
    if (id === '106015' || id === '106001') {
      const d = (id === '106015' ? DENY_NOCONN_RE : DENY_INBOUND_RE).exec(body);
      if (!d) return 'Deny line without the expected endpoints';
      const eps = endpoints(d, 1, false);
      if (typeof eps === 'string') return eps;
      const what = id === '106015' ? 'Deny TCP (no connection)' : 'Inbound TCP connection denied';
      return flow(eps[0], eps[1], {
        action: 'deny',
        reason: `${what} flags ${d[7]} on interface ${d[8]}`,
        cause: 'deny',
        raw,
      });
    }
    const d = DENY_ACL_RE.exec(body);
    if (!d) return /^Deny /.test(body) ? 'Deny line without the expected endpoints' : undefined;
    const eps = endpoints(d, 2, true);
    if (typeof eps === 'string') return eps;
    return flow(eps[0], eps[1], {
      action: 'deny',
      reason: `Deny ${d[1]} by access-group "${d[8]}"`,
      cause: 'deny',
      raw,
    });
  }

  private builtLine(body: string, raw: string): FlowEv | string {
    const b = BUILT_RE.exec(body);
    if (!b) return 'Built line without the expected endpoints';
    const eps = endpoints(b, 4, true);
    if (typeof eps === 'string') return eps;
    const outbound = b[1] === 'outbound';
    // "for" is the outside/foreign end, "to" the local end; the initiator is "for" on inbound, "to" on outbound.
    const [f, t] = eps;
    const src = outbound ? t : f;
    const dst = outbound ? f : t;
    this.remember(b[3], { outbound, clientIf: src.ifc ?? '' });
    return flow(src, dst, { action: 'built', reason: `Built ${b[1]} ${b[2]}`, raw });
  }

  private teardownLine(body: string, raw: string): FlowEv | string {
    const t = TEARDOWN_RE.exec(body);
    if (!t) return 'Teardown line without the expected endpoints';
    const eps = endpoints(t, 3, true);
    if (typeof eps === 'string') return eps;
    const [a, c] = eps;
    const known = this.built.get(t[2]);
    this.built.delete(t[2]);
    // Same order as the Built line; without it, the ephemeral-port side is taken as the client.
    const aIsClient = known ? !known.outbound : (a.port ?? 0) > (c.port ?? 0);
    const src = aIsClient ? a : c;
    const dst = aIsClient ? c : a;
    let tail = (t[13] ?? '').replace(/\s*\([^)]*\)\s*$/, '').trim();
    let from: string | undefined;
    const fm = / from (.+)$/.exec(tail);
    if (fm) {
      from = fm[1];
      tail = tail.slice(0, fm.index).trim();
    }
    const ev = flow(src, dst, {
      action: 'teardown',
      reason: from ? `${tail} from ${from}` : tail || undefined,
      cause: asaCause(tail, resetSide(tail, from, src, dst, known)),
      raw,
    });
    if (t[12] !== undefined) ev.bytes = +t[12];
    if (t[9] !== undefined) ev.durationMs = ((+t[9] * 60 + +t[10]) * 60 + +t[11]) * 1000;
    if (!ev.reason) delete ev.reason;
    return ev;
  }

  private remember(id: string, b: Built): void {
    if (this.built.size >= 200_000) {
      const first = this.built.keys().next().value;
      if (first !== undefined) this.built.delete(first);
    }
    this.built.set(id, b);
  }
}

/**
 * Which end sent a reset. The guide's "from teardown-initiator" names the interface the reset came from; without
 * it, Reset-I = from the inside interface, Reset-O = from outside, mapped through the client's side.
 */
function resetSide(
  tail: string,
  from: string | undefined,
  src: Endpoint,
  dst: Endpoint,
  known: Built | undefined,
): 'client' | 'server' | undefined {
  if (!/reset\b(?! ?- ?appliance)/i.test(tail)) return undefined;
  if (from && sameIfc(src.ifc, from) !== sameIfc(dst.ifc, from)) return sameIfc(src.ifc, from) ? 'client' : 'server';
  const rs = /reset ?- ?(i|o)\b/i.exec(tail);
  if (!rs) return undefined;
  const rstInside = rs[1].toLowerCase() === 'i';
  const clientInside = known ? known.outbound : !/outside/i.test(src.ifc ?? '') || /outside/i.test(dst.ifc ?? '');
  return rstInside === clientInside ? 'client' : 'server';
}
