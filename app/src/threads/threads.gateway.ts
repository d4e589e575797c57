import { Inject, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { ThreadPayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { payload } from '../common/payload.pipe';
import { contextOf } from '../common/socket-context.factory';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { ThreadsService } from './threads.service';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class ThreadsGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly threads: ThreadsService,
  ) {}

  @SubscribeMessage('thread:join')
  async join(@ConnectedSocket() socket: Socket, @MessageBody(payload('thread:join')) p: ThreadPayload) {
    return { ok: true, ...(await this.threads.join(contextOf(socket, this.config.instanceId), p)) };
  }

  @SubscribeMessage('thread:leave')
  leave(@ConnectedSocket() socket: Socket, @MessageBody(payload('thread:leave')) p: ThreadPayload) {
    return { ok: true, ...this.threads.leave(contextOf(socket, this.config.instanceId), p) };
  }
}
