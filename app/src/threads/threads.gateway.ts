import { Inject } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { ThreadPayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { ThreadsService } from './threads.service';
import { EventGateway, OnEvent } from '../socket/on-event.decorator';

@EventGateway()
export class ThreadsGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly threads: ThreadsService,
  ) {}

  @OnEvent('thread:join')
  async join(socket: Socket, p: ThreadPayload) {
    return { ok: true, ...(await this.threads.join(contextOf(socket, this.config.instanceId), p)) };
  }

  @OnEvent('thread:leave')
  async leave(socket: Socket, p: ThreadPayload) {
    return { ok: true, ...(await this.threads.leave(contextOf(socket, this.config.instanceId), p)) };
  }
}
