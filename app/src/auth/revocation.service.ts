import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { GatewayError } from '../common/gateway-error';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { Broadcaster } from '../socket/broadcaster';
import { rooms } from '../socket/rooms';
import { tokenLifetimeCeilingMs } from './token-lifetime';

@Injectable()
export class RevocationService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly broadcaster: Broadcaster,
  ) {}

  /**
   * Revokes one token and cuts its live sockets on every instance. `expiresAtSec` is the JWT's own
   * `exp` (seconds since epoch). The mark is kept until the later of that (plus the clock tolerance)
   * and the longest any token accepted now can live, so a wrong or missing `exp` never shortens it;
   * forever when tokens without `exp` are allowed.
   */
  async revokeToken(jti: string, expiresAtSec?: number): Promise<{ disconnected: number | null }> {
    const now = this.clock.now();
    if (expiresAtSec !== undefined && expiresAtSec * 1000 <= now) {
      throw new GatewayError('INVALID_PAYLOAD', 'expiresAt is in the past: that token is already refused as expired');
    }
    const ceiling = tokenLifetimeCeilingMs(this.config);
    const fromExp = expiresAtSec === undefined ? 0 : expiresAtSec * 1000 + this.config.jwt.clockToleranceSec * 1000;
    await this.engine.revocations.revokeJti(jti, ceiling === null ? null : Math.max(now + ceiling, fromExp), now);
    const disconnected = await this.broadcaster.disconnectRoom(rooms.token(jti));
    this.logger.info('token.revoked', { metadata: { scope: 'jti', disconnected } });
    return { disconnected };
  }

  /** Revokes every token of the user issued until now and cuts all their sockets. */
  async revokeUser(userId: string): Promise<{ disconnected: number | null }> {
    // +1 s: iat has second precision, so a token issued within this second must be covered too.
    await this.engine.revocations.revokeUser(userId, this.clock.now() + 1000);
    const disconnected = await this.broadcaster.disconnectRoom(rooms.user(userId));
    this.logger.info('token.revoked', { userId, metadata: { scope: 'user', disconnected } });
    return { disconnected };
  }

  async disconnectUser(userId: string): Promise<{ disconnected: number | null }> {
    const disconnected = await this.broadcaster.disconnectRoom(rooms.user(userId));
    this.logger.info('user.disconnected', { userId, metadata: { disconnected } });
    return { disconnected };
  }
}
