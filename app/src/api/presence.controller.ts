import { Body, Controller, Get, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import { z } from 'zod';
import { PresenceMaintenanceService } from '../presence/presence-maintenance.service';
import { PresenceService } from '../presence/presence.service';
import { ApiKeyGuard } from './api-key.guard';
import { BodyPipe } from './body.pipe';
import { HttpErrorFilter } from './http-error.filter';
import { channelIdParam, userIdParam } from './api.schemas';

const reconcileBody = z.strictObject({ dryRun: z.boolean().default(false) });

/**
 * Presence for backends: what other users see (invisible users are offline here too), and the
 * ops reconcile that rebuilds presence from the sockets really connected.
 */
@Controller('api/v1')
@UseGuards(ApiKeyGuard)
@UseFilters(HttpErrorFilter)
export class PresenceController {
  constructor(
    private readonly presence: PresenceService,
    private readonly maintenance: PresenceMaintenanceService,
  ) {}

  @Get('channels/:channelId/presence')
  async channel(@Param('channelId', new BodyPipe(channelIdParam, 'channelId')) channelId: string) {
    return { ok: true, channelId, ...(await this.presence.query({ channelId }, null)) };
  }

  @Get('users/:userId/presence')
  async user(@Param('userId', new BodyPipe(userIdParam, 'userId')) userId: string) {
    const { users } = await this.presence.query({ userIds: [userId] }, null);
    return { ok: true, ...users[0] };
  }

  @Post('presence/reconcile')
  @HttpCode(200)
  async reconcile(@Body(new BodyPipe(reconcileBody)) body: z.infer<typeof reconcileBody>) {
    return { ok: true, ...(await this.maintenance.reconcileFleet(body.dryRun)) };
  }
}
