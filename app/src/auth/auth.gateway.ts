import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { AuthRefreshPayload } from '../contracts/events';
import { payload } from '../common/payload.pipe';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { SessionService } from './session.service';
import { expireSocket } from './expire-socket';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class AuthGateway {
  constructor(private readonly sessions: SessionService) {}

  @SubscribeMessage('auth:refresh')
  async refresh(@ConnectedSocket() socket: Socket, @MessageBody(payload('auth:refresh')) p: AuthRefreshPayload) {
    const user = await this.sessions.refresh(socket.data.user, p.token);
    socket.data.user = user;
    this.sessions.track(socket.id, user.expiresAt, () => expireSocket(socket));
    return { ok: true, expiresAt: user.expiresAt };
  }
}
