import { Inject, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { MessageReadPayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { payload } from '../common/payload.pipe';
import { contextOf } from '../common/socket-context.factory';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { ReadReceiptsService } from './read-receipts.service';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class ReadReceiptsGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly receipts: ReadReceiptsService,
  ) {}

  @SubscribeMessage('message:read')
  async read(@ConnectedSocket() socket: Socket, @MessageBody(payload('message:read')) p: MessageReadPayload) {
    return { ok: true, ...(await this.receipts.markRead(contextOf(socket, this.config.instanceId), p)) };
  }
}
