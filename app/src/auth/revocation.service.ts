import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { Broadcaster } from '../socket/broadcaster';
import { rooms } from '../socket/rooms';

/** Revoked jti entries are kept this long when the caller does not know the token's expiry. */
const DEFAULT_JTI_RETENTION_MS = 7 * 24 * 3600_000;

@Injectable()
export class RevocationService {
  constructor(
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly broadcaster: Broadcaster,
  ) {}

  /** Revokes one token and cuts its live sockets on every instance. */
  async revokeToken(jti: string, expiresAt?: number): Promise<{ disconnected: number | null }> {
    const now = this.clock.now();
    await this.engine.revocations.revokeJti(jti, expiresAt ?? now + DEFAULT_JTI_RETENTION_MS, now);
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
