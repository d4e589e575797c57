/**
 * Where the smoke CLI's token comes from. Inside a gateway pod it can mint its own from the pod's
 * JWT_SECRET (a short-lived `smoke:` user that can only reach `smoke-*` channels); with JWKS
 * verification the pod holds no signing key, so a token must be given.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

/** Lifetime of a minted token: long enough for one smoke run, useless soon after. */
export const SMOKE_TOKEN_TTL_SEC = 60;

export type TokenSource = { token: string; source: 'flag' | 'SMOKE_TOKEN' | 'minted'; userId?: string } | { error: string };

export async function smokeToken(flag: string | undefined, env: Record<string, string | undefined>): Promise<TokenSource> {
  if (flag) return { token: flag, source: 'flag' };
  if (env.SMOKE_TOKEN?.trim()) return { token: env.SMOKE_TOKEN.trim(), source: 'SMOKE_TOKEN' };
  if (env.JWT_JWKS_URL?.trim()) return { error: 'tokens are verified through JWT_JWKS_URL here, so none can be minted: pass --token or set SMOKE_TOKEN' };
  const secret = env.JWT_SECRET?.trim();
  if (!secret) return { error: '--token (or SMOKE_TOKEN) is required: no JWT_SECRET to mint a smoke token from (outside a gateway pod)' };
  const userId = `smoke:${randomBytes(4).toString('hex')}`;
  let jwt = new SignJWT({ roles: ['member'], channels: ['smoke-*'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setJti(randomBytes(8).toString('hex'))
    .setIssuedAt()
    .setExpirationTime(`${SMOKE_TOKEN_TTL_SEC}s`);
  if (env.JWT_ISSUER?.trim()) jwt = jwt.setIssuer(env.JWT_ISSUER.trim());
  if (env.JWT_AUDIENCE?.trim()) jwt = jwt.setAudience(env.JWT_AUDIENCE.trim());
  return { token: await jwt.sign(new TextEncoder().encode(secret)), source: 'minted', userId };
}
