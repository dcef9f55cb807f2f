// FortiGate key=value traffic logs → device-log events. FortiOS writes one log when a session ENDS: `action=`
// close (FIN), timeout (aged out), client-rst / server-rst, deny; a non-TCP session (UDP, ICMP…) that ends ends
// with `accept`. Only `start` (logtraffic-start) marks a session's start; `accept` on TCP is read as a start too.
// Time: `eventtime=` (epoch, s/ms/µs/ns by firmware) is exact; otherwise `date= time=` with `tz=` when present.
// When both are there and disagree, the line says so (a note), and eventtime is used.
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

/** `proto` is the IP protocol number when the line has one (6 = TCP). */
export function fortiAction(
  a: string,
  proto?: number,
): { action: DeviceLogEvent['action']; cause?: DeviceLogEvent['cause'] } {
  switch (a.toLowerCase()) {
    case 'accept':
      // The end-of-session log of a UDP/ICMP/… session: FortiOS has no close reason for them.
      if (proto !== undefined && proto !== 6) return { action: 'teardown', cause: 'other' };
      return { action: 'built' };
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
    const proto = int(kv.get('proto'));
    const { action, cause } = fortiAction(act, proto);
    const ev: Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'> = {
      kind: 'device-log',
      vendor: 'fortigate',
      action,
      reason: action === 'teardown' && act.toLowerCase() === 'accept' ? 'accept (end of a non-TCP session)' : act,
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
    return this.timed(kv, text, ev);
  }

  private timed(kv: Map<string, string>, text: string, ev: Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'>) {
    const tzText = kv.get('tz');
    const tz = zoneOffset(tzText);
    const date = kv.get('date');
    const time = kv.get('time');
    const local = date && time ? findTime(`${date} ${time}${tzText ? ` ${tzText}` : ''}`, this.hint) : undefined;
    const et = int(kv.get('eventtime'));
    if (et !== undefined && et > 0) {
      const ts = epochToMs(et);
      const out: DeviceLineResult = {
        kind: 'event',
        ev: { ...ev, ts },
        ...(tz !== undefined ? { utcOffsetMin: tz } : {}),
      };
      const note = local ? clockNote(local.ts - ts, local.uncertain) : undefined;
      if (note) out.note = note;
      return out;
    }
    const tt = local ?? findTime(text, this.hint);
    if (!tt) return { kind: 'untimed' as const, ev };
    const out: Omit<DeviceLogEvent, 'source' | 'sourceKind'> = { ...ev, ts: tt.ts };
    if (tt.uncertain) out.clockUncertain = true;
    return {
      kind: 'event' as const,
      ev: out,
      ...(tt.utcOffsetMin !== undefined ? { utcOffsetMin: tt.utcOffsetMin } : {}),
    };
  }
}

/**
 * date=/time= (the device's wall clock, read as UTC when no tz= says otherwise) minus eventtime, in ms → a note
 * when they disagree by more than the whole second date/time is cut to. A whole quarter-hour without tz= is the
 * device's zone; with tz= (or any other difference) the device's clock settings contradict each other.
 */
export function clockNote(diffMs: number, noZone: boolean): { code: string; message: string } | undefined {
  if (Math.abs(diffMs) < 1500) return undefined;
  const s = Math.round(diffMs / 1000);
  const quarter = Math.abs(s - Math.round(s / 900) * 900) <= 1;
  if (noZone && quarter) {
    const min = Math.round(s / 60);
    const zone = `UTC${min < 0 ? '-' : '+'}${Math.floor(Math.abs(min) / 60)}:${String(Math.abs(min) % 60).padStart(2, '0')}`;
    return {
      code: 'DEVICE_TIME_ZONE_IMPLIED',
      message: `date=/time= are ${span(s)} ${s > 0 ? 'ahead of' : 'behind'} eventtime and no tz= is given: the device's clock is local time at ${zone}; eventtime (UTC) is used`,
    };
  }
  return {
    code: 'DEVICE_TIME_DISAGREE',
    message: `date=/time=${noZone ? '' : ' with tz='} disagree with eventtime by ${span(s)} (${s > 0 ? 'ahead' : 'behind'}): the device's time settings contradict each other; eventtime is used`,
  };
}

function span(sec: number): string {
  const a = Math.abs(sec);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  const s = a % 60;
  const parts = [h ? `${h} h` : '', m ? `${m} min` : '', s || (!h && !m) ? `${s} s` : ''].filter(Boolean);
  return parts.join(' ');
}

function int(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,20}$/.test(s)) return undefined;
  return Number(s);
}
