import { Inject, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { ChannelLeavePayload, ChannelJoinPayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { payload } from '../common/payload.pipe';
import { contextOf } from '../common/socket-context.factory';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { ChannelsService } from './channels.service';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class ChannelsGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly channels: ChannelsService,
  ) {}

  @SubscribeMessage('channel:join')
  async join(@ConnectedSocket() socket: Socket, @MessageBody(payload('channel:join')) p: ChannelJoinPayload) {
    return { ok: true, ...(await this.channels.join(contextOf(socket, this.config.instanceId), p)) };
  }

  @SubscribeMessage('channel:leave')
  async leave(@ConnectedSocket() socket: Socket, @MessageBody(payload('channel:leave')) p: ChannelLeavePayload) {
    return { ok: true, ...(await this.channels.leave(contextOf(socket, this.config.instanceId), p.channelId)) };
  }
}
