// CORS for browser desktops served from another origin (Cisco's SDK runs in the app's page): an allow-list of
// exact origins. A listed origin gets itself back in Access-Control-Allow-Origin (never `*`: the calls carry a
// bearer token) with Vary: Origin; any other origin gets no Access-Control-* header, so the browser refuses.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request headers the SDK sends on subscribe (lower case, as browsers list them in a preflight). */
export const CORS_ALLOW_HEADERS = ['authorization', 'content-type', 'trackingid', 'x-organization-id'];
export const CORS_ALLOW_METHODS = ['POST', 'OPTIONS'];
const MAX_AGE_S = 600;

/** A valid allow-list entry: scheme://host[:port], nothing else. Returns the canonical origin or an error text. */
export function parseOrigin(text: string): { origin: string } | { error: string } {
  if (text === '*' || text === 'null') return { error: `"${text}" is not allowed: list exact origins` };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { error: `"${text}" is not an origin (scheme://host[:port])` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { error: `"${text}": only http and https origins` };
  if (`${u.protocol}//${u.host}` !== text.replace(/\/$/, '') || u.username || u.password) {
    return { error: `"${text}" has a path, query or credentials: an origin is scheme://host[:port]` };
  }
  return { origin: u.origin };
}

export class CorsPolicy {
  private readonly allowed: Set<string>;

  /** Throws on an entry that is not an exact origin (`*`, a path, another scheme). */
  constructor(origins: readonly string[] = []) {
    this.allowed = new Set(
      origins.map((text) => {
        const r = parseOrigin(text);
        if ('error' in r) throw new Error(`CORS origin ${r.error}`);
        return r.origin;
      }),
    );
  }

  get enabled(): boolean {
    return this.allowed.size > 0;
  }

  /** The request's Origin when it is on the list. */
  private listed(req: IncomingMessage): string | undefined {
    const o = req.headers.origin;
    return typeof o === 'string' && this.allowed.has(o) ? o : undefined;
  }

  /** Headers for an actual (non-preflight) reply; call before writeHead. */
  apply(req: IncomingMessage, res: ServerResponse): void {
    if (!this.enabled) return;
    res.setHeader('vary', 'Origin');
    const o = this.listed(req);
    if (o) {
      res.setHeader('access-control-allow-origin', o);
      res.setHeader('access-control-allow-credentials', 'true');
    }
  }

  /** Answer a preflight: 204 with the allow headers for a listed origin, 403 without any for the rest. */
  preflight(req: IncomingMessage, res: ServerResponse): void {
    const o = this.listed(req);
    if (!o) {
      res.writeHead(403, { vary: 'Origin', 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ code: 'cors-origin-refused', message: 'origin not on the --cors-origin list' }));
      return;
    }
    res.writeHead(204, {
      vary: 'Origin',
      'access-control-allow-origin': o,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': CORS_ALLOW_METHODS.join(', '),
      'access-control-allow-headers': CORS_ALLOW_HEADERS.join(', '),
      'access-control-max-age': String(MAX_AGE_S),
    });
    res.end();
  }
}
