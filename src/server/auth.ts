// Bearer tokens → agent ids. Four modes (docs/server.md):
//   tokens: a JSON file {token: agentId}; "@admin" as the value marks an admin (publish) token.
//   secret: HMAC-signed tokens `v1.<base64url(agentId)>.<base64url(HMAC-SHA256(secret, "v1."+b64))>`; nothing to
//           distribute but the secret; `lifeline serve --print-token AGENT` mints one.
//   dev:    the token names the agent (`agent:<id>` or just `<id>`); `admin` is the admin token. Loopback only.
//   jwt:    an identity provider's access token, verified offline against its JWKS (jwt-auth.ts); one claim is the
//           agent id. Publishing needs --admin-token (an IdP token never makes an admin).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createJwtVerifier, type JwtConfig } from './jwt-auth.ts';

export type { JwtConfig } from './jwt-auth.ts';
export type AuthConfig =
  | { mode: 'dev' }
  | { mode: 'secret'; secret: string }
  | { mode: 'tokens'; tokens: Record<string, string> }
  | JwtConfig;

/** Why a token was refused (jwt mode: jose's error code and message; never the token itself). */
export type AuthReject = (r: { mode: AuthConfig['mode']; code: string; message: string }) => void;

export const ADMIN_AGENT = '@admin';
const AGENT_ID = /^[A-Za-z0-9._:-][A-Za-z0-9._:@-]{0,127}$/;

export function isValidAgentId(id: string): boolean {
  return AGENT_ID.test(id);
}

export interface Auth {
  readonly mode: AuthConfig['mode'];
  /** The agent a token speaks for, or undefined (never the admin). Synchronous modes only: jwt throws. */
  agentFor(token: string | undefined): string | undefined;
  /** The same in every mode (jwt verifies a signature and may fetch the JWKS): what the HTTP API uses. */
  agentOf(token: string | undefined): Promise<string | undefined>;
  isAdmin(token: string | undefined): boolean;
  /** A token for this agent, when the mode can mint one (undefined for a tokens file without one). */
  tokenFor(agentId: string): string | undefined;
  readonly adminToken: string | undefined;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

function sign(secret: string, agentId: string): string {
  const body = `v1.${b64(agentId)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S{1,4096})\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

export function createAuth(cfg: AuthConfig, adminTokenOverride?: string, onReject?: AuthReject): Auth {
  if (cfg.mode === 'jwt') return jwtAuth(cfg, adminTokenOverride, onReject);
  const resolve = (token: string): string | undefined => {
    switch (cfg.mode) {
      case 'dev': {
        const id = token.startsWith('agent:') ? token.slice(6) : token;
        if (token === 'admin') return ADMIN_AGENT;
        return isValidAgentId(id) ? id : undefined;
      }
      case 'secret': {
        const parts = token.split('.');
        if (parts.length !== 3 || parts[0] !== 'v1') return undefined;
        const id = Buffer.from(parts[1], 'base64url').toString('utf8');
        if (id !== ADMIN_AGENT && !isValidAgentId(id)) return undefined;
        return safeEqual(sign(cfg.secret, id), token) ? id : undefined;
      }
      case 'tokens': {
        const id = Object.hasOwn(cfg.tokens, token) ? cfg.tokens[token] : undefined;
        return id === ADMIN_AGENT || (id !== undefined && isValidAgentId(id)) ? id : undefined;
      }
    }
  };
  const tokenFor = (agentId: string): string | undefined => {
    switch (cfg.mode) {
      case 'dev':
        return agentId === ADMIN_AGENT ? 'admin' : `agent:${agentId}`;
      case 'secret':
        return sign(cfg.secret, agentId);
      case 'tokens':
        return Object.entries(cfg.tokens).find(([, a]) => a === agentId)?.[0];
    }
  };
  const adminToken = adminTokenOverride ?? tokenFor(ADMIN_AGENT);
  const agentFor = (token: string | undefined): string | undefined => {
    if (!token) return undefined;
    if (adminTokenOverride !== undefined && safeEqual(token, adminTokenOverride)) return undefined;
    const id = resolve(token);
    return id === ADMIN_AGENT ? undefined : id;
  };
  return {
    mode: cfg.mode,
    adminToken,
    tokenFor,
    agentFor,
    agentOf: async (token) => agentFor(token),
    isAdmin(token) {
      if (!token) return false;
      if (adminTokenOverride !== undefined) return safeEqual(token, adminTokenOverride);
      return resolve(token) === ADMIN_AGENT;
    },
  };
}

/** jwt mode: the agent is a verified claim; the only admin is --admin-token; nothing can be minted here. */
function jwtAuth(cfg: JwtConfig, adminToken: string | undefined, onReject: AuthReject = () => {}): Auth {
  const verify = createJwtVerifier(cfg);
  const isAdmin = (token: string | undefined) => !!token && adminToken !== undefined && safeEqual(token, adminToken);
  return {
    mode: 'jwt',
    adminToken,
    tokenFor: () => undefined,
    isAdmin,
    agentFor() {
      throw new Error('jwt auth verifies asynchronously: use agentOf');
    },
    async agentOf(token) {
      if (!token || isAdmin(token)) return undefined;
      const r = await verify(token);
      if ('error' in r) return void onReject({ mode: 'jwt', code: r.error, message: r.message });
      if (r.claim === ADMIN_AGENT || !isValidAgentId(r.claim)) {
        const message = `claim ${JSON.stringify(cfg.agentClaim ?? 'sub')} is not a valid agent id`;
        return void onReject({ mode: 'jwt', code: 'bad-agent-claim', message });
      }
      return r.claim;
    },
  };
}
