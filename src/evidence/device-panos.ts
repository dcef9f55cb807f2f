// Palo Alto PAN-OS traffic logs (syslog CSV or a CSV export) → device-log events.
// Columns by position per the PAN-OS "Traffic Log Fields" format (0 = FUTURE_USE/syslog header, 1 Receive Time,
// 3 Type, 4 Subtype, 6 Generated Time, 7/8 addresses, 24/25 ports, 31 Bytes, 36 Elapsed Time, 46 Session End
// Reason), or by name when the file has a header line (web UI export, custom formats).
import type { DeviceLogEvent } from '../events/types.ts';
import type { DeviceLineResult } from './device-asa.ts';
import { findTime, type YearHint } from './device-time.ts';

type Col =
  | 'type'
  | 'subtype'
  | 'gen'
  | 'recv'
  | 'src'
  | 'dst'
  | 'sport'
  | 'dport'
  | 'bytes'
  | 'elapsed'
  | 'end'
  | 'action';

const DEFAULT_COLS: Record<Col, number> = {
  recv: 1,
  type: 3,
  subtype: 4,
  gen: 6,
  src: 7,
  dst: 8,
  sport: 24,
  dport: 25,
  action: 30,
  bytes: 31,
  elapsed: 36,
  end: 46,
};

/** Header names (lower-case, letters/digits only) → column. */
const ALIASES: Record<string, Col> = {
  receivetime: 'recv',
  type: 'type',
  threatcontenttype: 'subtype',
  subtype: 'subtype',
  contenttype: 'subtype',
  generatetime: 'gen',
  generatedtime: 'gen',
  timegenerated: 'gen',
  sourceaddress: 'src',
  src: 'src',
  sourceip: 'src',
  destinationaddress: 'dst',
  dst: 'dst',
  destinationip: 'dst',
  sourceport: 'sport',
  sport: 'sport',
  destinationport: 'dport',
  dport: 'dport',
  action: 'action',
  bytes: 'bytes',
  elapsedtime: 'elapsed',
  elapsedtimesec: 'elapsed',
  elapsed: 'elapsed',
  sessionendreason: 'end',
};

/** Parse one CSV record (RFC 4180 quotes; no embedded newlines in log lines). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i <= n) {
    if (line[i] === '"') {
      let v = '';
      i++;
      while (i < n) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            v += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push(v);
      const c = line.indexOf(',', i);
      i = c < 0 ? n + 1 : c + 1;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        break;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
    if (out.length > 1000) break;
  }
  return out;
}

export function panCause(reason: string): DeviceLogEvent['cause'] {
  switch (reason.toLowerCase()) {
    case 'tcp-fin':
      return 'fin';
    case 'tcp-rst-from-client':
      return 'reset-client';
    case 'tcp-rst-from-server':
      return 'reset-server';
    case 'aged-out':
      return 'idle-timeout';
    case 'policy-deny':
      return 'deny';
    case 'threat':
    case 'decoder':
    case 'resources-unavailable':
    case 'decrypt-cert-validation':
    case 'decrypt-unsupport-param':
    case 'decrypt-error':
    case 'tcp-reuse':
      return 'reset-device';
    default:
      return 'other';
  }
}

const HEADER_RE = /session.?end.?reason/i;
const PAN_OTHER_RE =
  /,\d{4}[/-]\d\d[/-]\d\d[ T]\d\d:\d\d:\d\d[^,]*,[^,]*,(THREAT|SYSTEM|CONFIG|HIPMATCH|USERID|GLOBALPROTECT|AUTHENTICATION|DECRYPTION|TUNNEL|CORRELATION|IPTAG|SCTP|GTP),/;

export class PanParser {
  private cols: Record<Col, number> = { ...DEFAULT_COLS };
  private header = false;

  constructor(private readonly hint: YearHint) {}

  static matches(text: string): boolean {
    return /,TRAFFIC,(start|end|drop|deny),/i.test(text) || (HEADER_RE.test(text) && text.includes(','));
  }

  parse(text: string, raw: string): DeviceLineResult | undefined {
    if (HEADER_RE.test(text) && !/,TRAFFIC,/i.test(text)) {
      this.useHeader(splitCsv(text));
      return { kind: 'ignored' };
    }
    // Other PAN-OS log types (threat, system, config, …) are the vendor's lines but not flows.
    if (PAN_OTHER_RE.test(text)) return { kind: 'ignored' };
    if (!/,TRAFFIC,/i.test(text) && !this.header) return undefined;
    const f = splitCsv(text);
    const get = (c: Col): string => (f[this.cols[c]] ?? '').trim();
    if (get('type').toUpperCase() !== 'TRAFFIC') {
      return this.header && f.length > 8 ? { kind: 'ignored' } : undefined;
    }
    const sub = get('subtype').toLowerCase();
    const endReason = get('end');
    const action: DeviceLogEvent['action'] =
      sub === 'start' ? 'built' : sub === 'end' ? 'teardown' : sub === 'drop' || sub === 'deny' ? 'deny' : 'other';
    const ev: Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'> = {
      kind: 'device-log',
      vendor: 'palo-alto',
      action,
      raw,
    };
    if (action === 'teardown' && endReason) {
      ev.reason = endReason;
      ev.cause = panCause(endReason);
    } else if (action === 'deny') {
      ev.reason = `${sub} (${get('action') || 'deny'})`;
      ev.cause = 'deny';
    } else if (endReason && endReason !== 'n/a') ev.reason = endReason;
    const src = get('src');
    const dst = get('dst');
    if (src) ev.srcIp = src;
    if (dst) ev.dstIp = dst;
    const sp = toInt(get('sport'));
    const dp = toInt(get('dport'));
    if (sp !== undefined) ev.srcPort = sp;
    if (dp !== undefined) ev.dstPort = dp;
    const bytes = toInt(get('bytes'));
    if (bytes !== undefined) ev.bytes = bytes;
    const el = toInt(get('elapsed'));
    if (el !== undefined && action === 'teardown') ev.durationMs = el * 1000;
    // Generated time is when the session event happened on the dataplane; receive time is the management plane's.
    const time = findTime(get('gen'), this.hint) ?? findTime(get('recv'), this.hint) ?? findTime(f[0] ?? '', this.hint);
    if (!time) return { kind: 'untimed', ev };
    const out: Omit<DeviceLogEvent, 'source' | 'sourceKind'> = { ...ev, ts: time.ts };
    if (time.uncertain) out.clockUncertain = true;
    return { kind: 'event', ev: out, ...(time.utcOffsetMin !== undefined ? { utcOffsetMin: time.utcOffsetMin } : {}) };
  }

  private useHeader(names: string[]): void {
    const cols = { ...DEFAULT_COLS };
    const seen = new Set<Col>();
    names.forEach((name, i) => {
      const c = ALIASES[name.toLowerCase().replace(/[^a-z0-9]/g, '')];
      if (c && !seen.has(c)) {
        cols[c] = i;
        seen.add(c);
      }
    });
    this.cols = cols;
    this.header = true;
  }
}

function toInt(s: string): number | undefined {
  if (!/^\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}
