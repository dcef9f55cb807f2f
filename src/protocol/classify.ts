// What a WebSocket text message means at the application level (WxCC and Lifeline), for every reader.
// Only describes; never judges. Cheap on non-JSON text (no parse attempted unless it looks like an object).
import type { MessageClass } from '../events/types.ts';

export interface MessageMeaning {
  cls: MessageClass;
  type?: string;
  epoch?: string;
  seq?: number;
}

/** Lifeline-only shapes: stream positions, Ack / DesktopMessage, a Welcome carrying resume/position/ackedCseq. */
export function isLifelineMessage(text: string, m: MessageMeaning): boolean {
  if (m.epoch !== undefined || m.seq !== undefined || m.cls === 'resume') return true;
  if (m.type === 'DesktopMessage') return true;
  return m.cls === 'welcome' && /"(resume|position|ackedCseq)"\s*:/.test(text);
}

/** Lifeline's own control messages (resume protocol); matched case-insensitively. */
const RESUME_TYPES = new Set(['resume', 'resumed', 'ack', 'resume-failed', 'resumefailed', 'replay', 'replayed']);

/** Longest text we try to parse as JSON: classification needs only the top-level fields. */
const MAX_PARSE = 1 << 20;

export function classifyMessage(text: string): MessageMeaning {
  const t = text.trimStart();
  if (!t.startsWith('{') || text.length > MAX_PARSE) return { cls: 'other' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { cls: 'other' };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { cls: 'other' };
  const o = v as Record<string, unknown>;
  const pos = position(o);
  // WxCC and Lifeline keepalive: {"keepalive":"true"} (tolerate a boolean too).
  if (o.keepalive === 'true' || o.keepalive === true) return { cls: 'keepalive', ...pos };
  const type = typeof o.type === 'string' ? o.type : undefined;
  if (type === undefined) return { cls: 'other', ...pos };
  const lower = type.toLowerCase();
  if (lower === 'welcome') return { cls: 'welcome', type, ...pos };
  if (/multi.?login/.test(lower)) return { cls: 'multilogin', type, ...pos };
  // "ack" is a common word (Zeek's broker sends {"type":"ack"}): Lifeline's Ack carries data.cseq.
  if (RESUME_TYPES.has(lower) && (lower !== 'ack' || hasCseq(o.data))) return { cls: 'resume', type, ...pos };
  return { cls: 'notification', type, ...pos };
}

function hasCseq(d: unknown): boolean {
  return !!d && typeof d === 'object' && Number.isInteger((d as Record<string, unknown>).cseq);
}

/** Lifeline stream position: top-level `epoch`/`seq`, or `position: {epoch, seq}`, or the same inside `data`. */
function position(o: Record<string, unknown>): { epoch?: string; seq?: number } {
  const from = (x: unknown): { epoch?: string; seq?: number } | undefined => {
    if (!x || typeof x !== 'object') return undefined;
    const r = x as Record<string, unknown>;
    const epoch = typeof r.epoch === 'string' ? r.epoch : typeof r.epoch === 'number' ? String(r.epoch) : undefined;
    const seq = typeof r.seq === 'number' && Number.isFinite(r.seq) ? r.seq : undefined;
    if (epoch === undefined && seq === undefined) return undefined;
    const out: { epoch?: string; seq?: number } = {};
    if (epoch !== undefined) out.epoch = epoch;
    if (seq !== undefined) out.seq = seq;
    return out;
  };
  const data = o.data && typeof o.data === 'object' ? (o.data as Record<string, unknown>) : undefined;
  return from(o) ?? from(o.position) ?? from(data) ?? from(data?.position) ?? {};
}

/** Cap text kept on events (the contract says 512 chars). */
export function capText(s: string, max = 512): string {
  return s.length <= max ? s : s.slice(0, max);
}
