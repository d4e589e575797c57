import { Inject } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { TypingPayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { TypingService } from './typing.service';
import { EventGateway, OnEvent } from '../socket/on-event.decorator';

@EventGateway()
export class TypingGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly typingService: TypingService,
  ) {}

  /** The ack is optional: typing is usually fire-and-forget; errors then arrive as `user:error`. */
  @OnEvent('user:typing')
  async typing(socket: Socket, p: TypingPayload) {
    await this.typingService.typing(contextOf(socket, this.config.instanceId), p);
    return { ok: true };
  }
}
