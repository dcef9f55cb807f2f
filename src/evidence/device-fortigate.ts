// FortiGate key=value traffic logs → device-log events. `action=` values: accept/start (session start),
// close (FIN), timeout (session aged out), client-rst / server-rst, deny. Time: `eventtime=` (epoch, s/ms/µs/ns by
// firmware) is exact; otherwise `date= time=` with `tz=` when present.
import type { DeviceLogEvent } from '../events/types.ts';
import type { DeviceLineResult } from './device-asa.ts';
import { epochToMs, findTime, type YearHint, zoneOffset } from './device-time.ts';

const KV_RE = /([A-Za-z_][\w-]*)=("(?:[^"\\]|\\.)*"|[^\s]*)/g;

export function parseKv(line: string): Map<string, string> {
  const out = new Map<string, string>();
  KV_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  let guard = 0;
  while ((m = KV_RE.exec(line)) !== null && guard++ < 500) {
    let v = m[2];
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    if (!out.has(m[1])) out.set(m[1], v);
  }
  return out;
}

export function fortiAction(a: string): { action: DeviceLogEvent['action']; cause?: DeviceLogEvent['cause'] } {
  switch (a.toLowerCase()) {
    case 'accept':
    case 'start':
      return { action: 'built' };
    case 'close':
      return { action: 'teardown', cause: 'fin' };
    case 'timeout':
      return { action: 'teardown', cause: 'idle-timeout' };
    case 'client-rst':
      return { action: 'teardown', cause: 'reset-client' };
    case 'server-rst':
      return { action: 'teardown', cause: 'reset-server' };
    case 'deny':
    case 'blocked':
    case 'dropped':
      return { action: 'deny', cause: 'deny' };
    default:
      return { action: 'other', cause: 'other' };
  }
}

export class FortiParser {
  constructor(private readonly hint: YearHint) {}

  static matches(text: string): boolean {
    return /\blogid="?\d{6,}/.test(text) && /\baction=/.test(text) && /\b(type="?traffic|devname=|devid=)/.test(text);
  }

  parse(text: string, raw: string): DeviceLineResult | undefined {
    if (!/\blogid=/.test(text) || !/\b(type|devid|devname)=/.test(text)) return undefined;
    const kv = parseKv(text);
    if ((kv.get('type') ?? '').toLowerCase() !== 'traffic' || !kv.has('action')) return { kind: 'ignored' };
    const act = kv.get('action') ?? '';
    const { action, cause } = fortiAction(act);
    const ev: Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'> = {
      kind: 'device-log',
      vendor: 'fortigate',
      action,
      reason: act,
      raw,
    };
    if (cause) ev.cause = cause;
    const srcIp = kv.get('srcip');
    const dstIp = kv.get('dstip');
    if (srcIp) ev.srcIp = srcIp;
    if (dstIp) ev.dstIp = dstIp;
    const sp = int(kv.get('srcport'));
    const dp = int(kv.get('dstport'));
    if (sp !== undefined) ev.srcPort = sp;
    if (dp !== undefined) ev.dstPort = dp;
    const sent = int(kv.get('sentbyte'));
    const rcvd = int(kv.get('rcvdbyte'));
    if (sent !== undefined || rcvd !== undefined) ev.bytes = (sent ?? 0) + (rcvd ?? 0);
    const dur = int(kv.get('duration'));
    if (dur !== undefined && action === 'teardown') ev.durationMs = dur * 1000;
    const tz = zoneOffset(kv.get('tz'));
    const et = int(kv.get('eventtime'));
    if (et !== undefined && et > 0) {
      const out: Omit<DeviceLogEvent, 'source' | 'sourceKind'> = { ...ev, ts: epochToMs(et) };
      return { kind: 'event', ev: out, ...(tz !== undefined ? { utcOffsetMin: tz } : {}) };
    }
    const date = kv.get('date');
    const time = kv.get('time');
    const t =
      date && time ? findTime(`${date} ${time}${kv.get('tz') ? ` ${kv.get('tz')}` : ''}`, this.hint) : undefined;
    const tt = t ?? findTime(text, this.hint);
    if (!tt) return { kind: 'untimed', ev };
    const out: Omit<DeviceLogEvent, 'source' | 'sourceKind'> = { ...ev, ts: tt.ts };
    if (tt.uncertain) out.clockUncertain = true;
    return { kind: 'event', ev: out, ...(tt.utcOffsetMin !== undefined ? { utcOffsetMin: tt.utcOffsetMin } : {}) };
  }
}

function int(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,20}$/.test(s)) return undefined;
  return Number(s);
}
