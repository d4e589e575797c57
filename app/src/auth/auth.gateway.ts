import { Inject } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { AuthRefreshPayload } from '../contracts/events';
import { SessionService } from './session.service';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { ChannelsService } from '../channels/channels.service';
import { EventGateway, OnEvent } from '../socket/on-event.decorator';

@EventGateway()
export class AuthGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly sessions: SessionService,
    private readonly channels: ChannelsService,
  ) {}

  @OnEvent('auth:refresh')
  async refresh(socket: Socket, p: AuthRefreshPayload) {
    const ctx = contextOf(socket, this.config.instanceId);
    const { expiresAt } = await this.sessions.refreshConnection(ctx, p.token);
    await this.channels.leaveUngranted(ctx, [...socket.rooms]);
    return { ok: true, expiresAt };
  }
}
