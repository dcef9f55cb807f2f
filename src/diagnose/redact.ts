// Redacts secrets from any text that ends up in a report: Authorization/Cookie values, Bearer tokens, JWTs,
// token-like query parameters and JSON fields. Applied to every string of the diagnosis unless --no-redact.
export const REDACTED = '[REDACTED]';

const SECRET_KEYS =
  'authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[_-]?key|token|access[_-]?token|id[_-]?token|refresh[_-]?token|accesstoken|idtoken|refreshtoken|password|secret|client[_-]?secret|session[_-]?id|jwt';

const PATTERNS: [RegExp, string][] = [
  // JSON fields: "token": "…"  (also escaped quotes inside captured JSON text)
  [
    new RegExp(`((?:\\\\?")(?:${SECRET_KEYS})(?:\\\\?")\\s*:\\s*(?:\\\\?"))((?:[^"\\\\]|\\\\(?!"))*)`, 'gi'),
    `$1${REDACTED}`,
  ],
  // Header lines: Authorization: …, Cookie: …
  [/\b(authorization|proxy-authorization|cookie|set-cookie)(\s*:\s*)([^\r\n]*)/gi, `$1$2${REDACTED}`],
  // Bearer / Basic credentials anywhere
  [/\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]+=*/g, `$1$2${REDACTED}`],
  // Query parameters
  // Query parameters (and the same `name=value` anywhere in free text)
  [
    /(^|[?&;#\s"',])((?:token|access_token|id_token|refresh_token|auth|jwt|sig|signature|apikey|api_key|key|code|session)=)[^&#\s"'<>]*/gi,
    `$1$2${REDACTED}`,
  ],
  // Bare JWTs
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
];

export function redactString(s: string): string {
  let out = s;
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

/** A deep copy of `value` with every string redacted (object keys are kept). */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactString(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
