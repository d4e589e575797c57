import { Inject, Injectable } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import type { SocketContext } from '../common/socket-context';
import { ConnectionGuardService } from '../auth/connection-guard.service';
import { SessionService } from '../auth/session.service';
import { ChannelsService } from '../channels/channels.service';
import { PresenceService } from '../presence/presence.service';
import { TypingService } from '../typing/typing.service';
import { MetricsService } from '../metrics/metrics.service';
import { NotificationsService } from '../notifications/notifications.service';
import { Broadcaster } from '../socket/broadcaster';
import { CHANNEL_ROOM_PREFIX, rooms } from '../socket/rooms';
import type { PresenceTransition } from '../engine/presence.port';
import type { HandshakeOutcome } from '../engine/handshake.port';
import type { AuthenticatedUser } from '../contracts/events';
import { HandshakeBatcher } from './handshake-batcher';
import type { StoredNotification } from '../engine/notification-inbox.port';

/** What a handshake's admission leaves for `opened`: the presence registration and the pending inbox. */
export interface Admitted {
  transition: PresenceTransition & { first: boolean };
  unacked: StoredNotification[];
}

/**
 * The connection lifecycle: what an authenticated socket gets on connect (its rooms, an expiry
 * timer, presence, then connection:ready and its unacked notifications) and everything undone
 * when it goes (channels left, typing stopped, presence dropped).
 */
@Injectable()
export class ConnectionLifecycleService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly guard: ConnectionGuardService,
    private readonly sessions: SessionService,
    private readonly channels: ChannelsService,
    private readonly presence: PresenceService,
    private readonly typing: TypingService,
    private readonly metrics: MetricsService,
    private readonly notifications: NotificationsService,
    private readonly broadcaster: Broadcaster,
    private readonly handshakes: HandshakeBatcher,
  ) {}

  /**
   * The per-user step of a handshake: the revocation check, the admission (connect rate, socket
   * cap, presence registration) and the inbox read, sent with the other handshakes of the same
   * batch window (HandshakeBatcher): on one Redis node, one script for all of them.
   */
  admit(user: AuthenticatedUser, socketKey: string): Promise<HandshakeOutcome> {
    const outcome = this.handshakes.admit({ socketKey, revocation: { userId: user.userId, jti: user.jti, issuedAt: user.issuedAt } });
    const admission = this.presence.admitted(user.userId, socketKey, outcome.then((o) => (o.revoked ? null : o.admission)));
    return admission.then(() => outcome);
  }

  /** An admitted socket whose handshake did not complete (refused later, or the client left). */
  abandon(userId: string, socketKey: string): void {
    this.presence.abandon(userId, socketKey);
  }

  /** `connectedAt`: when the handshake began (ms), for the connect-duration histogram. */
  opened(ctx: SocketContext, connectedAt: number | undefined, admitted: Admitted): void {
    const user = ctx.user;
    this.guard.opened();
    this.metrics.connections.inc({ result: 'accepted', reason: 'none' });
    ctx.rooms.join(rooms.user(user.userId));
    if (user.jti) ctx.rooms.join(rooms.token(user.jti));
    this.sessions.track(ctx.socketId, user);
    const now = this.clock.now();
    // The admission registered the socket, so the user already counts as online on every instance.
    this.presence.opened(user.userId, ctx.socketKey, admitted.transition);
    const ready = { userId: user.userId, instanceId: this.config.instanceId, serverTime: new Date(now).toISOString() };
    if (this.broadcaster.toLocalSocketId(ctx.socketId, 'connection:ready', ready)) {
      // Sent after connection:ready, once the client's handlers are in place.
      this.notifications.redeliver(user.userId, ctx.socketId, Promise.resolve(admitted.unacked)).catch((err) => this.logger.warn('notification.redeliver_failed', { userId: user.userId, err }));
    }
    this.metrics.connectDuration.observe(Math.max(0, now - (connectedAt ?? now)) / 1000);
    this.logger.debugEvent('connection.ready', { userId: user.userId, metadata: { socketId: ctx.socketId } });
  }

  /** Runs on 'disconnecting', while `roomNames` still lists the socket's rooms. */
  closing(ctx: SocketContext, roomNames: Iterable<string>, reason: string): void {
    const user = ctx.user;
    this.guard.closed();
    this.sessions.untrack(ctx.socketId);
    this.metrics.disconnections.inc({ reason });
    const channelIds = [...roomNames].filter((r) => r.startsWith(CHANNEL_ROOM_PREFIX)).map((r) => r.slice(CHANNEL_ROOM_PREFIX.length));
    this.channels.leaveAll(user.userId, ctx.socketKey, channelIds).catch((err) => {
      this.logger.warn('disconnect.cleanup_failed', { userId: user.userId, metadata: { channels: channelIds.length }, err });
    });
    this.typing.socketClosed(ctx.socketId);
    this.presence.disconnected(user.userId, ctx.socketKey).catch((err) => {
      this.logger.warn('presence.unregister_failed', { userId: user.userId, err });
    });
    this.logger.debugEvent('connection.closed', { userId: user.userId, metadata: { reason, socketId: ctx.socketId } });
  }
}
