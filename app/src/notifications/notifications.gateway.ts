import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { AuthenticatedUser, NotificationAckPayload } from '../contracts/events';
import { payload } from '../common/payload.pipe';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { NotificationsService } from './notifications.service';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class NotificationsGateway {
  constructor(private readonly notifications: NotificationsService) {}

  @SubscribeMessage('notification:ack')
  async ack(@ConnectedSocket() socket: Socket, @MessageBody(payload('notification:ack')) p: NotificationAckPayload) {
    return { ok: true, ...(await this.notifications.ack((socket.data.user as AuthenticatedUser).userId, p.ids)) };
  }
}
