// The one redactor: every command's output (text and JSON) and the desktop's own error report pass through it,
// unless the user asks for --no-redact. Imports nothing, so any layer (and the browser bundle) can use it.
// It removes credentials, not facts: URLs keep their shape, headers keep their names, JSON keeps its keys.
export const REDACTED = '[REDACTED]';

/** Names whose value is a credential: as a JSON/object key, a header, a query parameter or `name=value` text. */
const SECRET_NAMES =
  'authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token|api[_-]?key|apikey|' +
  'token|access[_-]?token|id[_-]?token|refresh[_-]?token|accesstoken|idtoken|refreshtoken|auth[_-]?token|' +
  'password|passwd|pwd|secret|client[_-]?secret|session[_-]?id|sessionid|jwt';

/** Query parameters that carry credentials in URLs (wider than SECRET_NAMES: `sig`, `code`, `auth`, `key`). */
const QUERY_NAMES = `${SECRET_NAMES}|auth|key|sig|signature|code|session`;

const SECRET_KEY = new RegExp(`^(?:${SECRET_NAMES})$`, 'i');
const HEADERS = 'authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token';
const HEADER_NAME = new RegExp(`^(?:${HEADERS})$`, 'i');

const PATTERNS: [RegExp, string][] = [
  // URL userinfo: wss://user:pass@host → wss://[REDACTED]@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s"'<>]+@/gi, `$1${REDACTED}@`],
  // JSON fields: "token": "…"  (also escaped quotes inside captured JSON text)
  [
    new RegExp(`((?:\\\\?")(?:${SECRET_NAMES})(?:\\\\?")\\s*:\\s*(?:\\\\?"))((?:[^"\\\\]|\\\\(?!"))*)`, 'gi'),
    `$1${REDACTED}`,
  ],
  // Header lines: Authorization: …, Cookie: … (to the end of the line)
  [new RegExp(`\\b(${HEADERS})(\\s*:\\s*)([^\\r\\n]*)`, 'gi'), `$1$2${REDACTED}`],
  // Bearer / Basic credentials anywhere
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]+=*/g, `$1$2${REDACTED}`],
  // Query parameters, and the same `name=value` anywhere in free text
  [new RegExp(`(^|[?&;#\\s"',(])((?:${QUERY_NAMES})=)[^&#\\s"'<>]*`, 'gi'), `$1$2${REDACTED}`],
  // `password: hunter2` in message text
  [/\b(password|passwd|pwd|client[_-]?secret)(\s*:\s*)(?!\[REDACTED\])[^\s"',;&]+/gi, `$1$2${REDACTED}`],
  // Bare JWTs
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
];

/** Redact every credential found in `s` (URLs, headers, JSON text, log lines). */
export function redactString(s: string): string {
  let out = s;
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** URLs are strings like any other; the name says what the caller holds. */
export const redactUrl: (url: string) => string = redactString;

/**
 * A deep copy of `value` with every string redacted. Keys are kept; the string value of a key that names a
 * credential (`password`, `token`, `cookie`, …) and the `value` of a `{name: "Cookie", value}` header pair are
 * replaced whole.
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactString(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (isPlainObject(value)) {
    const src = value as Record<string, unknown>;
    const headerPair = typeof src.name === 'string' && HEADER_NAME.test(src.name);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(src)) {
      const whole = typeof v === 'string' && (SECRET_KEY.test(k) || (headerPair && k === 'value'));
      out[k] = whole ? REDACTED : redactDeep(v);
    }
    return out as T;
  }
  return value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
