import { Inject } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { MessageReadPayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { ReadReceiptsService } from './read-receipts.service';
import { EventGateway, OnEvent } from '../socket/on-event.decorator';

@EventGateway()
export class ReadReceiptsGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly receipts: ReadReceiptsService,
  ) {}

  @OnEvent('message:read')
  async read(socket: Socket, p: MessageReadPayload) {
    return { ok: true, ...(await this.receipts.markRead(contextOf(socket, this.config.instanceId), p)) };
  }
}
