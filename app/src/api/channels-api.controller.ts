import { Body, Controller, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { MessagesService } from '../messages/messages.service';
import { ApiKeyGuard } from './api-key.guard';
import { BodyPipe } from './body.pipe';
import { HttpErrorFilter } from './http-error.filter';
import { channelIdParam, publishBody } from './api.schemas';

/** Backends publish into channels through the same write path as sockets (same seq and history). */
@Controller('api/v1/channels')
@UseGuards(ApiKeyGuard)
@UseFilters(HttpErrorFilter)
export class ChannelsApiController {
  constructor(private readonly messages: MessagesService) {}

  @Post(':channelId/messages')
  @HttpCode(201)
  async publish(
    @Param('channelId', new BodyPipe(channelIdParam, 'channelId')) channelId: string,
    @Body(new BodyPipe(publishBody)) body: z.infer<typeof publishBody>,
  ) {
    const res = await this.messages.publish({
      channelId,
      userId: body.userId ?? 'system',
      content: body.content,
      clientMsgId: body.clientMsgId ?? randomUUID(),
      threadId: body.threadId,
    });
    return { ok: true, ...res };
  }
}
