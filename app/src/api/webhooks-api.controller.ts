import { Body, Controller, Get, HttpCode, Post, Query, UseFilters, UseGuards } from '@nestjs/common';
import type { z } from 'zod';
import { WebhookService } from '../webhooks/webhook.service';
import { deadLetterQuery, retryDeadLettersBody } from '../webhooks/webhook.schemas';
import { ApiKeyGuard } from './api-key.guard';
import { BodyPipe } from './body.pipe';
import { HttpErrorFilter } from './http-error.filter';

/** Operators inspect and replay webhook events that exhausted their attempts. */
@Controller('api/v1/webhooks/dead-letters')
@UseGuards(ApiKeyGuard)
@UseFilters(HttpErrorFilter)
export class WebhooksApiController {
  constructor(private readonly webhooks: WebhookService) {}

  @Get()
  async list(@Query(new BodyPipe(deadLetterQuery, 'query')) q: z.infer<typeof deadLetterQuery>) {
    const dead = await this.webhooks.deadLetters(q.limit);
    return { ok: true, deadLetters: dead.map((d) => ({ ...d, deadAt: new Date(d.deadAt).toISOString() })) };
  }

  /** Requeues the given ids (or the oldest `limit`) with a fresh attempt budget. */
  @Post('retry')
  @HttpCode(202)
  async retry(@Body(new BodyPipe(retryDeadLettersBody)) body: z.infer<typeof retryDeadLettersBody>) {
    return { ok: true, requeued: await this.webhooks.retryDeadLetters(body.ids ?? null, body.ids?.length ?? body.limit) };
  }
}
