// JSON text ⇄ typed messages for both directions. Never throws on input: decode returns {ok:false, error} with a
// stable code and the close code the receiver should use. Encoding is canonical (fixed key order) so captures of
// Lifeline traffic are easy to read and compare with WxCC's.
import { CLOSE } from './close-codes.ts';
import {
  ACK_TYPE,
  DESKTOP_MESSAGE_TYPE,
  type DesktopMessage,
  MULTI_LOGIN_APP_TYPE,
  MULTI_LOGIN_TYPES,
  MULTI_LOGIN_WIRE_TYPE,
  type NotificationEnvelope,
  type ServerMessage,
  WELCOME_TYPE,
  type WelcomeData,
} from './messages.ts';
import { isPosition, type Missing, type StreamPosition } from './stream-position.ts';

export type CodecErrorCode = 'too-big' | 'bad-json' | 'not-object' | 'unknown-type' | 'bad-field';

export interface CodecError {
  code: CodecErrorCode;
  message: string;
  /** Close code a receiver should use when it refuses the message. */
  closeCode: number;
}

export type Decoded<T> = { ok: true; msg: T } | { ok: false; error: CodecError };

/** Default maximum text message size (characters; UTF-16 units ≤ bytes, so a byte limit at the socket is stricter). */
export const DEFAULT_MAX_MESSAGE = 64 * 1024;

export const KEEPALIVE_TEXT = '{"keepalive":"true"}';

const fail = (code: CodecErrorCode, message: string): { ok: false; error: CodecError } => ({
  ok: false,
  error: {
    code,
    message,
    closeCode:
      code === 'too-big'
        ? CLOSE.MESSAGE_TOO_BIG
        : code === 'bad-json' || code === 'not-object'
          ? CLOSE.BAD_JSON
          : CLOSE.UNKNOWN_TYPE,
  },
});

function parseObject(text: string, max: number): { ok: true; obj: Record<string, unknown> } | ReturnType<typeof fail> {
  if (typeof text !== 'string') return fail('bad-json', 'message is not text');
  if (text.length > max) return fail('too-big', `message of ${text.length} chars exceeds the limit of ${max}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return fail('bad-json', `not JSON: ${(err as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return fail('not-object', 'JSON is not an object');
  return { ok: true, obj: v as Record<string, unknown> };
}

const isKeepalive = (o: Record<string, unknown>): boolean =>
  (o.keepalive === 'true' || o.keepalive === true) && o.type === undefined;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Decode a Notifs → desktop message. */
export function decodeServerMessage(text: string, max = DEFAULT_MAX_MESSAGE): Decoded<ServerMessage> {
  const p = parseObject(text, max);
  if (!p.ok) return p;
  const o = p.obj;
  if (isKeepalive(o)) return { ok: true, msg: { kind: 'keepalive' } };
  if (typeof o.type !== 'string' || o.type.length === 0) return fail('unknown-type', 'object has no "type" string');
  const type = o.type;
  if (type === WELCOME_TYPE) {
    const d = o.data as Record<string, unknown> | undefined;
    if (!d || typeof d !== 'object' || typeof d.agentId !== 'string') {
      return fail('bad-field', 'Welcome needs data.agentId');
    }
    const data: WelcomeData = { agentId: d.agentId };
    if (typeof d.subscriptionId === 'string') data.subscriptionId = d.subscriptionId;
    if (d.position !== undefined) {
      if (!isPosition(d.position)) return fail('bad-field', 'Welcome data.position is not {epoch, seq}');
      data.position = { epoch: d.position.epoch, seq: d.position.seq };
    }
    if (d.resume !== undefined) {
      const r = d.resume as Record<string, unknown>;
      if (
        !r ||
        typeof r !== 'object' ||
        typeof r.recovered !== 'boolean' ||
        !isCount(r.replayed) ||
        !isPosition(r.requested)
      ) {
        return fail('bad-field', 'Welcome data.resume needs {requested, recovered, replayed}');
      }
      data.resume = { requested: r.requested, recovered: r.recovered, replayed: r.replayed };
      if (Array.isArray(r.missing)) {
        const ok = r.missing.filter(
          (x): x is Missing =>
            !!x &&
            typeof x === 'object' &&
            typeof x.reason === 'string' &&
            typeof x.epoch === 'string' &&
            isCount(x.fromSeq),
        );
        if (ok.length !== r.missing.length)
          return fail('bad-field', 'Welcome data.resume.missing has malformed entries');
        data.resume.missing = ok;
      }
    }
    if (d.ackedCseq !== undefined) {
      if (!isCount(d.ackedCseq)) return fail('bad-field', 'Welcome data.ackedCseq is not a count');
      data.ackedCseq = d.ackedCseq;
    }
    if (isCount(d.keepaliveMs)) data.keepaliveMs = d.keepaliveMs;
    if (isCount(d.silenceMs)) data.silenceMs = d.silenceMs;
    return { ok: true, msg: { kind: 'welcome', data } };
  }
  if (type === ACK_TYPE) {
    const d = o.data as Record<string, unknown> | undefined;
    if (!d || typeof d !== 'object' || !isCount(d.cseq)) return fail('bad-field', 'Ack needs data.cseq');
    return { ok: true, msg: { kind: 'ack', cseq: d.cseq } };
  }
  if ((MULTI_LOGIN_TYPES as readonly string[]).includes(type)) {
    return { ok: true, msg: { kind: 'multilogin', type, data: o.data } };
  }
  const hasEpoch = o.epoch !== undefined;
  const hasSeq = o.seq !== undefined;
  if (hasEpoch || hasSeq) {
    const pos = { epoch: o.epoch, seq: o.seq };
    if (!isPosition(pos)) return fail('bad-field', `notification "${type}" has a malformed epoch/seq`);
    return { ok: true, msg: { kind: 'notification', type, data: o.data, position: pos } };
  }
  // A plain WxCC notification: no position, delivered without dedupe.
  return { ok: true, msg: { kind: 'notification', type, data: o.data } };
}

/** Decode a desktop → Notifs message. */
export function decodeDesktopMessage(text: string, max = DEFAULT_MAX_MESSAGE): Decoded<DesktopMessage> {
  const p = parseObject(text, max);
  if (!p.ok) return p;
  const o = p.obj;
  if (isKeepalive(o)) return { ok: true, msg: { kind: 'keepalive' } };
  if (o.type === DESKTOP_MESSAGE_TYPE) {
    if (!isCount(o.cseq) || o.cseq === 0) return fail('bad-field', 'DesktopMessage needs cseq ≥ 1');
    return { ok: true, msg: { kind: 'message', cseq: o.cseq, data: o.data } };
  }
  if (typeof o.type === 'string') return fail('unknown-type', `unknown message type "${o.type.slice(0, 64)}"`);
  return fail('unknown-type', 'neither a keepalive nor a typed message');
}

export function encodeKeepalive(): string {
  return KEEPALIVE_TEXT;
}

export function encodeWelcome(data: WelcomeData): string {
  return JSON.stringify({ type: WELCOME_TYPE, data });
}

export function encodeNotification(
  type: string,
  data: unknown,
  position?: StreamPosition,
  envelope?: NotificationEnvelope,
): string {
  const env = envelope
    ? { trackingId: envelope.trackingId, orgId: envelope.orgId, eventTime: envelope.eventTime } // fixed key order
    : {};
  return position
    ? JSON.stringify({ type, data, ...env, epoch: position.epoch, seq: position.seq })
    : JSON.stringify({ type, data, ...env });
}

export function encodeAck(cseq: number): string {
  return JSON.stringify({ type: ACK_TYPE, data: { cseq } });
}

/** The SDK-compatible form: top-level AGENT_MULTI_LOGIN, the application's type inside data. */
export function encodeMultiLogin(agentId: string, reason = 'another desktop logged in as this agent'): string {
  return JSON.stringify({ type: MULTI_LOGIN_WIRE_TYPE, data: { type: MULTI_LOGIN_APP_TYPE, agentId, reason } });
}

export function encodeDesktopMessage(cseq: number, data: unknown): string {
  return JSON.stringify({ type: DESKTOP_MESSAGE_TYPE, cseq, data });
}

/** Cheap class for the flight recorder (src/events/types.ts MessageClass), from an already decoded message. */
export function serverMessageClass(
  m: ServerMessage,
): 'keepalive' | 'welcome' | 'notification' | 'resume' | 'multilogin' {
  switch (m.kind) {
    case 'keepalive':
      return 'keepalive';
    case 'welcome':
      return 'welcome';
    case 'ack':
      return 'resume';
    case 'multilogin':
      return 'multilogin';
    default:
      return 'notification';
  }
}
