import type { GatewayConfig } from '../config/config';
import type { AuthenticatedUser } from '../contracts/events';

/**
 * The longest a token accepted now can still be accepted, in ms, or null when tokens without
 * `exp` are allowed (they live until revoked). With `iat` at most the clock tolerance in the
 * future and refused once older than JWT_MAX_TOKEN_AGE_SEC (plus the tolerance), no token
 * outlives this; a revocation mark kept this long therefore outlives every token it covers.
 */
export function tokenLifetimeCeilingMs(config: Pick<GatewayConfig, 'jwt'>): number | null {
  if (!config.jwt.requireExp) return null;
  return (config.jwt.maxTokenAgeSec + 2 * config.jwt.clockToleranceSec) * 1000;
}

/** How long per-user revocation marks are kept: Infinity when a token may live forever. */
export function revocationRetentionMs(config: Pick<GatewayConfig, 'jwt' | 'revocationRetentionMs'>): number {
  const ceiling = tokenLifetimeCeilingMs(config);
  return ceiling === null ? Infinity : Math.max(ceiling, config.revocationRetentionMs);
}

/**
 * When a connection on this token must end (ms): its `exp`, or JWT_MAX_TOKEN_AGE_SEC after its
 * `iat` when that comes first, since from then on a handshake or `auth:refresh` would refuse the
 * same token. So no session outlives the ceiling, not even one on a token without `exp`.
 */
export function sessionEndMs(user: Pick<AuthenticatedUser, 'expiresAt' | 'issuedAt'>, config: Pick<GatewayConfig, 'jwt'>): number | null {
  const byAge = user.issuedAt === null ? null : user.issuedAt + config.jwt.maxTokenAgeSec * 1000;
  if (user.expiresAt === null) return byAge;
  return byAge === null ? user.expiresAt : Math.min(user.expiresAt, byAge);
}
