import { SignJWT } from 'jose';
import type { Role } from '../../src/contracts/events';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

export interface TokenClaims {
  sub: string;
  roles?: Role[];
  channels?: string[];
  jti?: string;
  iss?: string;
  aud?: string;
  /** seconds from now; negative for an expired token */
  expiresInSec?: number;
  notBeforeSec?: number;
  iatSec?: number;
}

/** Signs an HS256 token the way an application backend would. */
export async function signToken(c: TokenClaims, secret = TEST_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ roles: c.roles ?? ['member'], channels: c.channels ?? ['*'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(c.sub)
    .setIssuedAt(c.iatSec ?? now)
    .setExpirationTime(now + (c.expiresInSec ?? 3600));
  if (c.jti) jwt.setJti(c.jti);
  if (c.iss) jwt.setIssuer(c.iss);
  if (c.aud) jwt.setAudience(c.aud);
  if (c.notBeforeSec !== undefined) jwt.setNotBefore(now + c.notBeforeSec);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** An unsigned `alg: none` token, which the gateway must refuse. */
export function unsignedToken(sub: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, roles: ['admin'], channels: ['*'], iat: now, exp: now + 3600 })}.`;
}
