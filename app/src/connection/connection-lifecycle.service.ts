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
  ) {}

  /** `connectedAt`: when the handshake began (ms), for the connect-duration histogram. */
  opened(ctx: SocketContext, connectedAt: number | undefined): void {
    const user = ctx.user;
    this.guard.opened();
    this.metrics.connections.inc({ result: 'accepted', reason: 'none' });
    ctx.rooms.join(rooms.user(user.userId));
    if (user.jti) ctx.rooms.join(rooms.token(user.jti));
    this.sessions.track(ctx.socketId, user.expiresAt, () => this.broadcaster.expireLocal(ctx.socketId));
    const now = this.clock.now();
    // The inbox read goes out with the presence write (one round trip); its result is sent after
    // connection:ready, once the client's handlers are in place.
    const unacked = this.notifications.unackedFor(user.userId);
    unacked.catch(() => undefined);
    // Ready only once the user counts as online on every instance (a store failure is logged and
    // mended by the presence reconcile tick; it does not keep the socket from working).
    this.presence.connected(user.userId, ctx.socketKey)
      .catch((err) => this.logger.warn('presence.register_failed', { userId: user.userId, err }))
      .finally(() => {
        const ready = { userId: user.userId, instanceId: this.config.instanceId, serverTime: new Date(this.clock.now()).toISOString() };
        if (this.broadcaster.toLocalSocketId(ctx.socketId, 'connection:ready', ready)) {
          this.notifications.redeliver(user.userId, ctx.socketId, unacked).catch((err) => this.logger.warn('notification.redeliver_failed', { userId: user.userId, err }));
        }
      });
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
