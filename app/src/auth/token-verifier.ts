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
 * checked with node:crypto (hs256.ts) and the claims by jose; in JWKS mode a verified token's
 * claims are cached (VerifiedTokenCache): a reconnect with the same token skips the signature
 * check, not the time checks.
 */
@Injectable()
export class TokenVerifier {
  /** The HS256 secret, or the JWKS key resolver. */
  private readonly key: Buffer | JWTVerifyGetKey;
  /** JWKS mode only: an HS256 check costs microseconds, an RS256/ES256 one does not. */
  private readonly cache: VerifiedTokenCache | null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    if (config.jwt.secret) {
      this.key = Buffer.from(config.jwt.secret, 'utf8');
      this.cache = null;
    } else {
      this.key = createRemoteJWKSet(new URL(config.jwt.jwksUrl!), { cooldownDuration: 30_000, timeoutDuration: 2_000 });
      this.cache = new VerifiedTokenCache();
    }
  }

  async verify(token: unknown): Promise<AuthenticatedUser> {
    if (typeof token !== 'string' || token.length === 0) throw new TokenRejected('missing_token', 'a token is required');
    if (token.length > 8192) throw new TokenRejected('invalid_token', 'token too long');
    const now = this.clock.now();
    const key = this.key;
    if (typeof key !== 'function') {
      const payload = verifyHs256(token, key);
      if (payload === null) throw invalid();
      let claims: JWTPayload;
      try {
        claims = UnsecuredJWT.decode(`${UNSECURED_HEADER}.${payload}.`, this.claimOptions(now)).payload;
      } catch (err) {
        throw refusalFor(err);
      }
      return toUser(claims);
    }
    const cached = this.cache!.get(token, now);
    if (cached && this.stillInTime(cached, now)) return { ...cached };
    let claims: JWTPayload;
    try {
      claims = (await jwtVerify(token, key, { ...this.claimOptions(now), algorithms: ['RS256', 'ES256'] })).payload;
    } catch (err) {
      throw refusalFor(err);
    }
    const user = toUser(claims);
    this.cache!.set(token, user, now);
    return user;
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
