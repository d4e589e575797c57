import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { AuthenticatedUser } from '../contracts/events';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';
import { TokenRejected, TokenVerifier } from './token-verifier';
import type { SocketContext } from '../common/socket-context';
import { rooms } from '../socket/rooms';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { sessionEndMs } from './token-lifetime';
import { Broadcaster } from '../socket/broadcaster';

/** setTimeout cannot wait longer than this (about 24.8 days); longer expiries are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Token lifetimes of live sockets: one timer per socket ends the connection (`auth:expired`, then
 * close) when the token's session ends (its expiry, or JWT_MAX_TOKEN_AGE_SEC after its issue,
 * whichever comes first) unless `auth:refresh` brought a newer token of the same user first.
 * The timers share one callback and carry only the socket id, so a socket's timer keeps nothing
 * else of it alive (a closure per socket held its whole handler context: ~0.5 KB per connection).
 */
@Injectable()
export class SessionService implements OnModuleDestroy {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly verifier: TokenVerifier,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly rateLimits: RateLimitService,
    private readonly broadcaster: Broadcaster,
  ) {}

  /** Arms the socket's timer for the end of `user`'s session (see sessionEndMs); returns that end. */
  track(socketId: string, user: Pick<AuthenticatedUser, 'expiresAt' | 'issuedAt'>): number | null {
    const end = sessionEndMs(user, this.config);
    this.arm(socketId, end);
    return end;
  }

  private arm(socketId: string, expiresAt: number | null): void {
    this.untrack(socketId);
    if (expiresAt === null) return;
    const delay = Math.max(0, expiresAt - this.clock.now());
    const timer = setTimeout(this.fire, Math.min(delay, MAX_TIMER_MS), socketId, expiresAt, delay > MAX_TIMER_MS);
    timer.unref();
    this.timers.set(socketId, timer);
  }

  private readonly fire = (socketId: string, expiresAt: number, capped: boolean): void => {
    this.timers.delete(socketId);
    if (capped) this.arm(socketId, expiresAt);
    else this.broadcaster.expireLocal(socketId);
  };

  untrack(socketId: string): void {
    const t = this.timers.get(socketId);
    if (t) clearTimeout(t);
    this.timers.delete(socketId);
  }

  /** Verifies a replacement token for the same user; the caller swaps it in and re-tracks. */
  async refresh(current: AuthenticatedUser, token: string): Promise<AuthenticatedUser> {
    // Before the signature check: each refresh costs a verification (and a JWKS lookup).
    await this.rateLimits.check(current.userId, 'auth:refresh');
    let next: AuthenticatedUser;
    try {
      next = await this.verifier.verify(token);
    } catch (err) {
      if (err instanceof TokenRejected) this.metrics.authFailures.inc({ reason: err.reason });
      throw err;
    }
    if (next.userId !== current.userId) {
      this.metrics.authFailures.inc({ reason: 'invalid_token' });
      throw new GatewayError('AUTH_FAILED', 'refresh token belongs to another user');
    }
    if (await this.engine.revocations.isRevoked({ userId: next.userId, jti: next.jti, issuedAt: next.issuedAt })) {
      this.metrics.authFailures.inc({ reason: 'revoked' });
      throw new GatewayError('AUTH_FAILED', 'token revoked');
    }
    return next;
  }

  /**
   * `auth:refresh` for one connection: verifies the new token, swaps it in, moves the connection
   * from the old token's room to the new one (revocation by jti follows the live token) and
   * re-arms the expiry timer. Answers when the session now ends (ms; the ack's `expiresAt`).
   */
  async refreshConnection(ctx: SocketContext, token: string): Promise<{ expiresAt: number | null }> {
    const previous = ctx.user;
    const user = await this.refresh(previous, token);
    ctx.setUser?.(user);
    if (previous.jti && previous.jti !== user.jti) ctx.rooms.leave(rooms.token(previous.jti));
    if (user.jti) ctx.rooms.join(rooms.token(user.jti));
    return { expiresAt: this.track(ctx.socketId, user) };
  }

  get trackedCount(): number {
    return this.timers.size;
  }

  onModuleDestroy(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
