import { Inject, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { AuthRefreshPayload } from '../contracts/events';
import { payload } from '../common/payload.pipe';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { SessionService } from './session.service';
import { expireSocket } from './expire-socket';
import { rooms } from '../socket/rooms';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { ChannelsService } from '../channels/channels.service';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class AuthGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly sessions: SessionService,
    private readonly channels: ChannelsService,
  ) {}

  @SubscribeMessage('auth:refresh')
  async refresh(@ConnectedSocket() socket: Socket, @MessageBody(payload('auth:refresh')) p: AuthRefreshPayload) {
    const previous = socket.data.user;
    const user = await this.sessions.refresh(previous, p.token);
    socket.data.user = user;
    if (previous.jti && previous.jti !== user.jti) socket.leave(rooms.token(previous.jti));
    if (user.jti) socket.join(rooms.token(user.jti));
    this.sessions.track(socket.id, user.expiresAt, () => expireSocket(socket));
    await this.channels.leaveUngranted(contextOf(socket, this.config.instanceId), [...socket.rooms]);
    return { ok: true, expiresAt: user.expiresAt };
  }
}
