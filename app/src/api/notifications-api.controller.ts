import { Body, Controller, Get, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { NotificationsService } from '../notifications/notifications.service';
import { notificationIdParam, sendNotificationBody, type SendNotificationBody } from '../notifications/notification.schemas';
import { ApiKeyGuard } from './api-key.guard';
import { BodyPipe } from './body.pipe';
import { HttpErrorFilter } from './http-error.filter';

/** Backends notify users; delivery state is per (notification, user) id. */
@Controller('api/v1/notifications')
@UseGuards(ApiKeyGuard)
@UseFilters(HttpErrorFilter)
export class NotificationsApiController {
  constructor(private readonly notifications: NotificationsService) {}

  /** 202: stored and on its way; `ids[i]` is the copy of `userIds[i]`. */
  @Post()
  @HttpCode(202)
  async send(@Body(new BodyPipe(sendNotificationBody)) body: SendNotificationBody) {
    return { ok: true, ...(await this.notifications.send(body)) };
  }

  @Get(':id')
  async state(@Param('id', new BodyPipe(notificationIdParam, 'id')) id: string) {
    const r = await this.notifications.state(id);
    return {
      ok: true,
      notification: { id: r.id, userId: r.userId, type: r.type, priority: r.priority, payload: r.payload, createdAt: r.createdAt },
      state: r.state,
      deliveredAt: r.deliveredAt,
      ackedAt: r.ackedAt,
      expiresAt: new Date(r.expiresAt).toISOString(),
    };
  }
}
