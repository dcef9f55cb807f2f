// Bearer tokens → agent ids. Three modes (docs/server.md):
//   tokens: a JSON file {token: agentId}; "@admin" as the value marks an admin (publish) token.
//   secret: HMAC-signed tokens `v1.<base64url(agentId)>.<base64url(HMAC-SHA256(secret, "v1."+b64))>`; nothing to
//           distribute but the secret; `lifeline serve --print-token AGENT` mints one.
//   dev:    the token names the agent (`agent:<id>` or just `<id>`); `admin` is the admin token. Loopback only.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type AuthConfig =
  | { mode: 'dev' }
  | { mode: 'secret'; secret: string }
  | { mode: 'tokens'; tokens: Record<string, string> };

export const ADMIN_AGENT = '@admin';
const AGENT_ID = /^[A-Za-z0-9._:-][A-Za-z0-9._:@-]{0,127}$/;

export function isValidAgentId(id: string): boolean {
  return AGENT_ID.test(id);
}

export interface Auth {
  readonly mode: AuthConfig['mode'];
  /** The agent a token speaks for, or undefined (never the admin). */
  agentFor(token: string | undefined): string | undefined;
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

export function createAuth(cfg: AuthConfig, adminTokenOverride?: string): Auth {
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
  return {
    mode: cfg.mode,
    adminToken,
    tokenFor,
    agentFor(token) {
      if (!token) return undefined;
      if (adminTokenOverride !== undefined && safeEqual(token, adminTokenOverride)) return undefined;
      const id = resolve(token);
      return id === ADMIN_AGENT ? undefined : id;
    },
    isAdmin(token) {
      if (!token) return false;
      if (adminTokenOverride !== undefined) return safeEqual(token, adminTokenOverride);
      return resolve(token) === ADMIN_AGENT;
    },
  };
}
