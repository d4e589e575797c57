import { Inject } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { AuthenticatedUser } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ConnectionGuardService } from '../auth/connection-guard.service';
import { SessionService } from '../auth/session.service';
import { Broadcaster } from '../socket/broadcaster';
import { ChannelsService } from '../channels/channels.service';
import { PresenceService } from '../presence/presence.service';
import { TypingService } from '../typing/typing.service';
import { MetricsService } from '../metrics/metrics.service';
import { NotificationsService } from '../notifications/notifications.service';
import { CHANNEL_ROOM_PREFIX, rooms } from '../socket/rooms';

/** Connection lifecycle: ready on connect, full cleanup on disconnect. */
@WebSocketGateway()
export class ConnectionGateway implements OnGatewayConnection {
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

  handleConnection(socket: Socket): void {
    const user = socket.data.user as AuthenticatedUser;
    this.guard.opened();
    this.metrics.connections.inc({ result: 'accepted', reason: 'none' });
    // 'disconnecting' still sees the socket's rooms; 'disconnect' would not. It fires once, so one
    // listener shared by every socket does, without a closure (and a `once` wrapper) per socket.
    socket.on('disconnecting', this.disconnecting);
    socket.join(user.jti ? [rooms.user(user.userId), rooms.token(user.jti)] : rooms.user(user.userId));
    this.sessions.track(socket.id, user.expiresAt, () => this.broadcaster.expire(socket));
    const now = this.clock.now();
    // Ready only once the user counts as online on every instance (a store failure is logged and
    // mended by the presence reconcile tick; it does not keep the socket from working).
    this.presence.connected(user.userId, `${this.config.instanceId}/${socket.id}`)
      .catch((err) => this.logger.warn('presence.register_failed', { userId: user.userId, err }))
      .finally(() => {
        if (socket.connected) this.broadcaster.toLocalSocket(socket, 'connection:ready', { userId: user.userId, instanceId: this.config.instanceId, serverTime: new Date(this.clock.now()).toISOString() });
        // Unacked notifications follow connection:ready, once the client's handlers are in place.
        if (socket.connected) {
          this.notifications.redeliver(user.userId, socket.id).catch((err) => this.logger.warn('notification.redeliver_failed', { userId: user.userId, err }));
        }
      });
    this.metrics.connectDuration.observe(Math.max(0, now - (socket.data.connectedAt ?? now)) / 1000);
    this.logger.debugEvent('connection.ready', { userId: user.userId, metadata: { socketId: socket.id } });
  }

  private readonly disconnecting = ((gateway: ConnectionGateway) =>
    function onDisconnecting(this: Socket, reason: string): void {
      gateway.onDisconnecting(this, reason);
    })(this);

  private onDisconnecting(socket: Socket, reason: string): void {
    const user = socket.data.user as AuthenticatedUser;
    this.guard.closed();
    this.sessions.untrack(socket.id);
    this.metrics.disconnections.inc({ reason });
    const channelIds = [...socket.rooms].filter((r) => r.startsWith(CHANNEL_ROOM_PREFIX)).map((r) => r.slice(CHANNEL_ROOM_PREFIX.length));
    this.channels.leaveAll(user.userId, `${this.config.instanceId}/${socket.id}`, channelIds).catch((err) => {
      this.logger.warn('disconnect.cleanup_failed', { userId: user.userId, metadata: { channels: channelIds.length }, err });
    });
    this.typing.socketClosed(socket.id);
    this.presence.disconnected(user.userId, `${this.config.instanceId}/${socket.id}`).catch((err) => {
      this.logger.warn('presence.unregister_failed', { userId: user.userId, err });
    });
    this.logger.debugEvent('connection.closed', { userId: user.userId, metadata: { reason, socketId: socket.id } });
  }
}
