// Secrets never leave a reader: URLs keep their shape but lose token-like query values.
const SECRET_PARAM =
  /^(token|access_token|id_token|auth|authorization|key|apikey|api_key|sig|signature|secret|password|jwt)$/i;

export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hashAt = url.indexOf('#', q);
  const query = url.slice(q + 1, hashAt < 0 ? undefined : hashAt);
  const parts = query.split('&').map((kv) => {
    const eq = kv.indexOf('=');
    if (eq < 0) return kv;
    return SECRET_PARAM.test(kv.slice(0, eq)) ? `${kv.slice(0, eq)}=REDACTED` : kv;
  });
  return url.slice(0, q + 1) + parts.join('&') + (hashAt < 0 ? '' : url.slice(hashAt));
}
