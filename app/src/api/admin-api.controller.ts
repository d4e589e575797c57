import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseFilters, UseGuards } from '@nestjs/common';
import type { z } from 'zod';
import { RevocationService } from '../auth/revocation.service';
import { IpBlockService } from '../auth/ip-block.service';
import { InstanceService } from '../lifecycle/instance.service';
import { MaintenanceRegistry } from '../maintenance/maintenance.registry';
import { ApiKeyGuard } from './api-key.guard';
import { BodyPipe } from './body.pipe';
import { HttpErrorFilter } from './http-error.filter';
import { cidr, connectionResetBody, ipBlockBody, revokeBody, userIdParam } from './api.schemas';
import { z as zod } from 'zod';

const jobParam = zod.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'job name malformed');

/** Operator endpoints (the ops CLI talks to these). Controllers call services; they never emit. */
@Controller('api/v1')
@UseGuards(ApiKeyGuard)
@UseFilters(HttpErrorFilter)
export class AdminApiController {
  constructor(
    private readonly revocations: RevocationService,
    private readonly ipBlocks: IpBlockService,
    private readonly instances: InstanceService,
    private readonly maintenance: MaintenanceRegistry,
  ) {}

  @Post('users/:userId/disconnect')
  @HttpCode(200)
  async disconnect(@Param('userId', new BodyPipe(userIdParam, 'userId')) userId: string) {
    return { ok: true, ...(await this.revocations.disconnectUser(userId)) };
  }

  @Post('tokens/revoke')
  @HttpCode(200)
  async revoke(@Body(new BodyPipe(revokeBody)) body: z.infer<typeof revokeBody>) {
    const res = 'jti' in body ? await this.revocations.revokeToken(body.jti, body.expiresAt) : await this.revocations.revokeUser(body.userId);
    return { ok: true, revoked: true, ...res };
  }

  @Get('ip-blocks')
  async listBlocks() {
    return { ok: true, blocks: await this.ipBlocks.list() };
  }

  @Post('ip-blocks')
  @HttpCode(201)
  async block(@Body(new BodyPipe(ipBlockBody)) body: z.infer<typeof ipBlockBody>) {
    return { ok: true, block: await this.ipBlocks.block(body.cidr, body.ttlSeconds ?? null) };
  }

  /** The CIDR is URL-encoded in the path: `DELETE /api/v1/ip-blocks/10.0.0.0%2F8`. */
  @Delete('ip-blocks/:cidr')
  @HttpCode(200)
  async unblock(@Param('cidr', new BodyPipe(cidr, 'cidr')) value: string) {
    return { ok: true, removed: await this.ipBlocks.unblock(value) };
  }

  @Get('stats')
  async stats() {
    return { ok: true, ...(await this.instances.fleetStats()) };
  }

  @Get('maintenance')
  jobs() {
    return { ok: true, jobs: this.maintenance.names() };
  }

  @Post('maintenance/:job')
  @HttpCode(200)
  async runJob(@Param('job', new BodyPipe(jobParam, 'job')) job: string) {
    return { ok: true, run: await this.maintenance.runNow(job) };
  }

  @Post('connections/reset')
  @HttpCode(202)
  async reset(@Body(new BodyPipe(connectionResetBody)) body: z.infer<typeof connectionResetBody>) {
    return { ok: true, ...(await this.instances.resetConnections(body.windowSeconds * 1000, body.dryRun)) };
  }
}
