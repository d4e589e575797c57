import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthenticatedUser, Role } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { VerifiedTokenCache } from './verified-token-cache';

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
 * from the injected clock, the same one revocation marks are kept by. A verified token's claims
 * are cached (VerifiedTokenCache): a reconnect with the same token skips the signature check, not
 * the time checks.
 */
@Injectable()
export class TokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];
  private readonly cache = new VerifiedTokenCache();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    if (config.jwt.secret) {
      this.key = new TextEncoder().encode(config.jwt.secret);
      this.algorithms = ['HS256'];
    } else {
      this.key = createRemoteJWKSet(new URL(config.jwt.jwksUrl!), { cooldownDuration: 30_000, timeoutDuration: 2_000 });
      this.algorithms = ['RS256', 'ES256'];
    }
  }

  async verify(token: unknown): Promise<AuthenticatedUser> {
    if (typeof token !== 'string' || token.length === 0) throw new TokenRejected('missing_token', 'a token is required');
    if (token.length > 8192) throw new TokenRejected('invalid_token', 'token too long');
    const now = this.clock.now();
    const cached = this.cache.get(token, now);
    if (cached && this.stillInTime(cached, now)) return { ...cached };
    const user = await this.verifyFully(token, now);
    this.cache.set(token, user, now);
    return user;
  }

  /** The time-bound checks jose made at verification (exp and the age ceiling, with the tolerance). */
  private stillInTime(user: AuthenticatedUser, now: number): boolean {
    const tolerance = this.config.jwt.clockToleranceSec * 1000;
    if (user.expiresAt !== null && user.expiresAt + tolerance <= now) return false;
    return user.issuedAt === null || now - user.issuedAt <= this.config.jwt.maxTokenAgeSec * 1000 + tolerance;
  }

  private async verifyFully(token: string, now: number): Promise<AuthenticatedUser> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        issuer: this.config.jwt.issuer ?? undefined,
        audience: this.config.jwt.audience ?? undefined,
        clockTolerance: this.config.jwt.clockToleranceSec,
        // jose requires `iat` with maxTokenAge and refuses one in the future beyond the tolerance.
        maxTokenAge: this.config.jwt.maxTokenAgeSec,
        requiredClaims: this.config.jwt.requireExp ? ['exp'] : [],
        currentDate: new Date(now),
      };
      payload = (
        typeof this.key === 'function'
          ? await jwtVerify(token, this.key, options)
          : await jwtVerify(token, this.key, options)
      ).payload;
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new TokenRejected('expired', 'token expired');
      // The reason stays generic on purpose: details would help an attacker probe the verifier.
      throw new TokenRejected('invalid_token', 'token invalid');
    }
    return toUser(payload);
  }
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
