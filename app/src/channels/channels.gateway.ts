import { Inject } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { ChannelLeavePayload, ChannelJoinPayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { ChannelsService } from './channels.service';
import { EventGateway, OnEvent } from '../socket/on-event.decorator';

@EventGateway()
export class ChannelsGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly channels: ChannelsService,
  ) {}

  @OnEvent('channel:join')
  async join(socket: Socket, p: ChannelJoinPayload) {
    return { ok: true, ...(await this.channels.join(contextOf(socket, this.config.instanceId), p)) };
  }

  @OnEvent('channel:leave')
  async leave(socket: Socket, p: ChannelLeavePayload) {
    return { ok: true, ...(await this.channels.leave(contextOf(socket, this.config.instanceId), p.channelId)) };
  }
}
