import { Inject } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type {
  AuthenticatedUser, MessageDeletePayload, MessageEditPayload, MessageHistoryPayload, MessageSendPayload,
} from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { MessagesService } from './messages.service';
import { EventGateway, OnEvent } from '../socket/on-event.decorator';

@EventGateway()
export class MessagesGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly messages: MessagesService,
  ) {}

  @OnEvent('message:send')
  async send(socket: Socket, p: MessageSendPayload) {
    return { ok: true, ...(await this.messages.send(contextOf(socket, this.config.instanceId), p)) };
  }

  @OnEvent('message:edit')
  async edit(socket: Socket, p: MessageEditPayload) {
    return { ok: true, ...(await this.messages.edit(userOf(socket), p)) };
  }

  @OnEvent('message:delete')
  async remove(socket: Socket, p: MessageDeletePayload) {
    return { ok: true, ...(await this.messages.delete(userOf(socket), p)) };
  }

  @OnEvent('message:history')
  async history(socket: Socket, p: MessageHistoryPayload) {
    return { ok: true, ...(await this.messages.history(userOf(socket), p)) };
  }
}

function userOf(socket: Socket): AuthenticatedUser {
  return socket.data.user as AuthenticatedUser;
}
