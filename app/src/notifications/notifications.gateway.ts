import type { Socket } from 'socket.io';
import type { AuthenticatedUser, NotificationAckPayload } from '../contracts/events';
import { NotificationsService } from './notifications.service';
import { EventGateway, OnEvent } from '../socket/on-event.decorator';

@EventGateway()
export class NotificationsGateway {
  constructor(private readonly notifications: NotificationsService) {}

  @OnEvent('notification:ack')
  async ack(socket: Socket, p: NotificationAckPayload) {
    return { ok: true, ...(await this.notifications.ack((socket.data.user as AuthenticatedUser).userId, p.ids)) };
  }
}
