import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify, UnsecuredJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthenticatedUser, Role } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { VerifiedTokenCache } from './verified-token-cache';
import { UNSECURED_HEADER, verifyHs256 } from './hs256';

const ROLES: ReadonlySet<Role> = new Set(['member', 'moderator', 'admin']);
const USER_ID = /^[A-Za-z0-9_.@:-]{1,128}$/;
const CHANNEL_GRANT = /^(\*|[A-Za-z0-9_.-]{1,128}\*?)$/;

/** Why a token was refused; used as the `reason` label of auth-failure metrics. */
export type TokenFailure = 'missing_token' | 'invalid_token' | 'expired';

export class TokenRejected extends GatewayError {
  constructor(readonly reason: TokenFailure, message: string) {
    super('AUTH_FAILED', message);
  }
}

/**
 * Verifies handshake and refresh tokens. HS256 with JWT_SECRET, or RS256/ES256 keys from
 * JWT_JWKS_URL; any other `alg` (including `none`) is refused by the algorithm allow-list.
 * Lifetime: `exp` is required unless JWT_REQUIRE_EXP=false; `iat` is required, may not lie in the
 * future beyond the clock tolerance, and may not be older than JWT_MAX_TOKEN_AGE_SEC. Time comes
 * from the injected clock, the same one revocation marks are kept by. HS256 signatures are
 * checked with node:crypto (hs256.ts) and the claims by jose. A verified token's claims are
 * cached (VerifiedTokenCache) in both modes: a reconnect with the same token skips the signature
 * and claim parsing, not the time checks: in a loaded instance an HS256 verification took 12–17 µs
 * of its thread's CPU, a hit about 1 µs.
 */
@Injectable()
export class TokenVerifier {
  /** The HS256 secret, or the JWKS key resolver. */
  private readonly key: Buffer | JWTVerifyGetKey;
  /** Verified claims by token digest; read by tests. */
  readonly cache = new VerifiedTokenCache();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.key = config.jwt.secret
      ? Buffer.from(config.jwt.secret, 'utf8')
      : createRemoteJWKSet(new URL(config.jwt.jwksUrl!), { cooldownDuration: 30_000, timeoutDuration: 2_000 });
  }

  async verify(token: unknown): Promise<AuthenticatedUser> {
    if (typeof token !== 'string' || token.length === 0) throw new TokenRejected('missing_token', 'a token is required');
    if (token.length > 8192) throw new TokenRejected('invalid_token', 'token too long');
    const now = this.clock.now();
    const cacheKey = VerifiedTokenCache.keyOf(token);
    const cached = this.cache.get(cacheKey, now);
    // Out of time: the full check below gives the same refusal a fresh token would get.
    if (cached && this.stillInTime(cached, now)) return cached;
    const key = this.key;
    // Frozen, so every socket of the token can share one object: a cache entry costs a connection
    // no memory of its own beyond the entry.
    const user = frozen(toUser(typeof key === 'function' ? await this.jwksClaims(token, key, now) : this.hs256Claims(token, key, now)));
    this.cache.set(cacheKey, user, now);
    return user;
  }

  private hs256Claims(token: string, key: Buffer, now: number): JWTPayload {
    const payload = verifyHs256(token, key);
    if (payload === null) throw invalid();
    try {
      return UnsecuredJWT.decode(`${UNSECURED_HEADER}.${payload}.`, this.claimOptions(now)).payload;
    } catch (err) {
      throw refusalFor(err);
    }
  }

  private async jwksClaims(token: string, key: JWTVerifyGetKey, now: number): Promise<JWTPayload> {
    try {
      return (await jwtVerify(token, key, { ...this.claimOptions(now), algorithms: ['RS256', 'ES256'] })).payload;
    } catch (err) {
      throw refusalFor(err);
    }
  }

  private claimOptions(now: number) {
    return {
      issuer: this.config.jwt.issuer ?? undefined,
      audience: this.config.jwt.audience ?? undefined,
      clockTolerance: this.config.jwt.clockToleranceSec,
      // jose requires `iat` with maxTokenAge and refuses one in the future beyond the tolerance.
      maxTokenAge: this.config.jwt.maxTokenAgeSec,
      requiredClaims: this.config.jwt.requireExp ? ['exp'] : [],
      currentDate: new Date(now),
    };
  }

  /** The time-bound checks jose made at verification (exp and the age ceiling, with the tolerance). */
  private stillInTime(user: AuthenticatedUser, now: number): boolean {
    const tolerance = this.config.jwt.clockToleranceSec * 1000;
    if (user.expiresAt !== null && user.expiresAt + tolerance <= now) return false;
    return user.issuedAt === null || now - user.issuedAt <= this.config.jwt.maxTokenAgeSec * 1000 + tolerance;
  }
}

/** The reason stays generic on purpose: details would help an attacker probe the verifier. */
function invalid(): TokenRejected {
  return new TokenRejected('invalid_token', 'token invalid');
}

/** jose's errors as the two refusals clients see. */
function refusalFor(err: unknown): TokenRejected {
  return err instanceof errors.JWTExpired ? new TokenRejected('expired', 'token expired') : invalid();
}

function frozen(user: AuthenticatedUser): AuthenticatedUser {
  Object.freeze(user.roles);
  Object.freeze(user.channels);
  return Object.freeze(user);
}

function toUser(p: JWTPayload): AuthenticatedUser {
  if (typeof p.sub !== 'string' || !USER_ID.test(p.sub)) throw new TokenRejected('invalid_token', 'token sub missing or malformed');
  const rawRoles = p.roles === undefined ? ['member'] : p.roles;
  if (!Array.isArray(rawRoles) || !rawRoles.every((r) => typeof r === 'string' && ROLES.has(r as Role))) {
    throw new TokenRejected('invalid_token', 'token roles malformed');
  }
  const rawChannels = p.channels === undefined ? [] : p.channels;
  if (!Array.isArray(rawChannels) || rawChannels.length > 1000 || !rawChannels.every((c) => typeof c === 'string' && CHANNEL_GRANT.test(c))) {
    throw new TokenRejected('invalid_token', 'token channels malformed');
  }
  return {
    userId: p.sub,
    roles: rawRoles as Role[],
    channels: rawChannels as string[],
    jti: typeof p.jti === 'string' ? p.jti : undefined,
    expiresAt: typeof p.exp === 'number' ? p.exp * 1000 : null,
    issuedAt: typeof p.iat === 'number' ? p.iat * 1000 : null,
    ...(p['presence:all'] === true ? { presenceAll: true } : {}),
  };
}
