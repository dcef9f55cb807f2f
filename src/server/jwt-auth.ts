// JWT access tokens from an identity provider, verified offline against its JWKS (docs/server.md, "jwt mode"):
// the signature with an asymmetric algorithm only, `iss`, `aud`, `exp` (required) and `nbf` within a clock skew.
// The result is the raw agent claim; auth.ts decides whether it is a valid agent id (one place for that rule).
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';

export interface JwtConfig {
  mode: 'jwt';
  /** The provider's JWKS: fetched (and cached, refetched on an unknown `kid`) from a URL, or a fixed key set. */
  jwks: { url: string } | { keys: JSONWebKeySet };
  issuer: string;
  audience: string;
  /** The claim holding the agent id (default `sub`). */
  agentClaim?: string;
  /** Accepted clock difference for `exp`/`nbf`, in seconds (default 30). */
  clockSkewSec?: number;
  /** Least time between two JWKS fetches caused by an unknown `kid` (default 30 s): a flood of forged kids cannot
   *  turn into a flood of requests to the provider. */
  jwksCooldownMs?: number;
  /** How long a fetched JWKS is trusted before the next token refetches it (default 10 min). */
  jwksCacheMaxAgeMs?: number;
}

/** Asymmetric only: never `none`, never HS* (an HMAC keyed with a public key anyone can read). */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export type JwtResult = { claim: string } | { error: string; message: string };

/** The key source, built once on first use: jose is loaded only by a server that verifies JWTs. */
async function keySource(
  cfg: JwtConfig,
): Promise<{ keys: JWTVerifyGetKey; jwtVerify: typeof import('jose').jwtVerify }> {
  const { createLocalJWKSet, createRemoteJWKSet, jwtVerify } = await import('jose');
  const keys: JWTVerifyGetKey =
    'url' in cfg.jwks
      ? createRemoteJWKSet(new URL(cfg.jwks.url), {
          timeoutDuration: 5000,
          cooldownDuration: cfg.jwksCooldownMs ?? 30_000,
          cacheMaxAge: cfg.jwksCacheMaxAgeMs ?? 600_000,
        })
      : createLocalJWKSet(cfg.jwks.keys);
  return { keys, jwtVerify };
}

export function createJwtVerifier(cfg: JwtConfig): (token: string) => Promise<JwtResult> {
  let source: ReturnType<typeof keySource> | undefined;
  const claimName = cfg.agentClaim ?? 'sub';
  const options = {
    issuer: cfg.issuer,
    audience: cfg.audience,
    algorithms: [...JWT_ALGORITHMS],
    clockTolerance: cfg.clockSkewSec ?? 30,
    requiredClaims: ['exp'], // an access token that never expires is not one we accept
  };
  return async (token) => {
    try {
      source ??= keySource(cfg);
      const { keys, jwtVerify } = await source;
      const { payload } = await jwtVerify(token, keys, options);
      const claim = payload[claimName];
      if (typeof claim === 'string') return { claim };
      return { error: 'agent-claim-missing', message: `no string claim "${claimName}" in the token` };
    } catch (err) {
      // jose's stable codes: ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED, ERR_JWKS_NO_MATCHING_KEY, …
      const e = err as { code?: string; message?: string };
      return { error: e.code ?? 'invalid-token', message: e.message ?? String(err) };
    }
  };
}
