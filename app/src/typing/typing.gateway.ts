import { Inject, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { TypingPayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { payload } from '../common/payload.pipe';
import { contextOf } from '../common/socket-context.factory';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { TypingService } from './typing.service';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class TypingGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly typingService: TypingService,
  ) {}

  /** The ack is optional: typing is usually fire-and-forget; errors then arrive as `user:error`. */
  @SubscribeMessage('user:typing')
  async typing(@ConnectedSocket() socket: Socket, @MessageBody(payload('user:typing')) p: TypingPayload) {
    await this.typingService.typing(contextOf(socket, this.config.instanceId), p);
    return { ok: true };
  }
}
