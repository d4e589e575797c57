import { Inject, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type {
  AuthenticatedUser, MessageDeletePayload, MessageEditPayload, MessageHistoryPayload, MessageSendPayload,
} from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { payload } from '../common/payload.pipe';
import { contextOf } from '../common/socket-context.factory';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { MessagesService } from './messages.service';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class MessagesGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly messages: MessagesService,
  ) {}

  @SubscribeMessage('message:send')
  async send(@ConnectedSocket() socket: Socket, @MessageBody(payload('message:send')) p: MessageSendPayload) {
    return { ok: true, ...(await this.messages.send(contextOf(socket, this.config.instanceId), p)) };
  }

  @SubscribeMessage('message:edit')
  async edit(@ConnectedSocket() socket: Socket, @MessageBody(payload('message:edit')) p: MessageEditPayload) {
    return { ok: true, ...(await this.messages.edit(userOf(socket), p)) };
  }

  @SubscribeMessage('message:delete')
  async remove(@ConnectedSocket() socket: Socket, @MessageBody(payload('message:delete')) p: MessageDeletePayload) {
    return { ok: true, ...(await this.messages.delete(userOf(socket), p)) };
  }

  @SubscribeMessage('message:history')
  async history(@ConnectedSocket() socket: Socket, @MessageBody(payload('message:history')) p: MessageHistoryPayload) {
    return { ok: true, ...(await this.messages.history(userOf(socket), p)) };
  }
}

function userOf(socket: Socket): AuthenticatedUser {
  return socket.data.user as AuthenticatedUser;
}
