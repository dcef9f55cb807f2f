// Linux `conntrack -E` event lines → device-log events.
//   [NEW] tcp      6 120 SYN_SENT src=A dst=B sport=P dport=Q [UNREPLIED] src=B dst=A sport=Q dport=P
//   [1700000000.123456]	 [DESTROY] tcp      6 src=A dst=B sport=P dport=Q ... [ASSURED]   (with -o timestamp)
// conntrack does not say why a flow was destroyed; the last state seen for that flow does (TIME_WAIT → FIN,
// CLOSE → RST, ESTABLISHED → timed out or flushed, SYN_SENT → SYN timeout). Without `-o timestamp` lines carry no
// time at all: they are counted, not placed on the timeline.
import type { DeviceLogEvent } from '../events/types.ts';
import type { DeviceLineResult } from './device-asa.ts';

const CT_RE = /^\s*(?:\[(\d+(?:\.\d+)?)\]\s*)?\[(NEW|UPDATE|DESTROY)\]\s+(.*)$/;

export class ConntrackParser {
  private readonly lastState = new Map<string, string>();

  static matches(text: string): boolean {
    return CT_RE.test(text) && /\bsrc=/.test(text);
  }

  parse(text: string, raw: string): DeviceLineResult | undefined {
    const m = CT_RE.exec(text);
    if (!m || !/\bsrc=/.test(m[3])) return undefined;
    const type = m[2];
    const toks = m[3].trim().split(/\s+/);
    // [ipv4 2] proto protonum [timeout] [STATE] key=value… [FLAGS]
    let i = 0;
    if (/^ipv[46]$/.test(toks[0] ?? '')) i += 2;
    const proto = toks[i++] ?? '';
    i++; // protocol number
    let state: string | undefined;
    const kv: Record<string, string[]> = {};
    const flags: string[] = [];
    for (; i < toks.length; i++) {
      const t = toks[i];
      const eq = t.indexOf('=');
      if (eq > 0) (kv[t.slice(0, eq)] ??= []).push(t.slice(eq + 1));
      else if (/^\[[A-Z_]+\]$/.test(t)) flags.push(t.slice(1, -1));
      else if (/^[A-Z][A-Z_]+$/.test(t)) state = t;
    }
    const srcIp = kv.src?.[0];
    const dstIp = kv.dst?.[0];
    const sport = kv.sport?.[0];
    const dport = kv.dport?.[0];
    const key = `${proto} ${srcIp}:${sport}>${dstIp}:${dport}`;
    const prev = this.lastState.get(key);
    let action: DeviceLogEvent['action'];
    let cause: DeviceLogEvent['cause'] | undefined;
    let reason: string;
    if (type === 'NEW') {
      action = 'built';
      reason = `NEW ${proto}${state ? ` ${state}` : ''}`;
      if (state) this.remember(key, state);
    } else if (type === 'UPDATE') {
      action = 'other';
      reason = `UPDATE ${proto}${state ? ` ${state}` : ''}`;
      if (state) this.remember(key, state);
    } else {
      action = 'teardown';
      this.lastState.delete(key);
      cause = causeFromState(prev, proto);
      reason = `DESTROY ${proto}${prev ? ` after ${prev}` : ''}`;
    }
    const ev: Omit<DeviceLogEvent, 'source' | 'sourceKind' | 'ts'> = {
      kind: 'device-log',
      vendor: 'conntrack',
      action,
      reason,
      raw,
    };
    if (cause) ev.cause = cause;
    if (srcIp) ev.srcIp = srcIp;
    if (dstIp) ev.dstIp = dstIp;
    if (sport && /^\d+$/.test(sport)) ev.srcPort = +sport;
    if (dport && /^\d+$/.test(dport)) ev.dstPort = +dport;
    const bytes = (kv.bytes ?? []).filter((b) => /^\d+$/.test(b)).map(Number);
    if (bytes.length) ev.bytes = bytes.reduce((a, b) => a + b, 0);
    const dt = kv['delta-time']?.[0];
    if (dt && /^\d+$/.test(dt) && type === 'DESTROY') ev.durationMs = +dt * 1000;
    if (m[1] === undefined) return { kind: 'untimed', ev };
    // `-o timestamp` is the kernel's wall clock in epoch seconds: exact, zone-free.
    return { kind: 'event', ev: { ...ev, ts: Number(m[1]) * 1000 } };
  }

  private remember(key: string, state: string): void {
    if (this.lastState.size >= 200_000 && !this.lastState.has(key)) {
      const first = this.lastState.keys().next().value;
      if (first !== undefined) this.lastState.delete(first);
    }
    this.lastState.set(key, state);
  }
}

function causeFromState(prev: string | undefined, proto: string): DeviceLogEvent['cause'] {
  if (proto !== 'tcp') return prev ? 'idle-timeout' : 'other';
  switch (prev) {
    case 'TIME_WAIT':
    case 'FIN_WAIT':
    case 'CLOSE_WAIT':
    case 'LAST_ACK':
      return 'fin';
    case 'CLOSE':
      return 'other'; // an RST was seen, but conntrack does not say from which side
    case 'ESTABLISHED':
      return 'idle-timeout';
    case 'SYN_SENT':
    case 'SYN_SENT2':
    case 'SYN_RECV':
      return 'syn-timeout';
    default:
      return 'other';
  }
}
