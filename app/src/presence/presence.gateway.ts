import { Inject, UseFilters } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import type { AuthenticatedUser, PresenceGetPayload, PresenceUpdatePayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { payload } from '../common/payload.pipe';
import { contextOf } from '../common/socket-context.factory';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { PresenceService } from './presence.service';

@WebSocketGateway()
@UseFilters(WsExceptionFilter)
export class PresenceGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly presence: PresenceService,
  ) {}

  @SubscribeMessage('presence:update')
  async update(@ConnectedSocket() socket: Socket, @MessageBody(payload('presence:update')) p: PresenceUpdatePayload) {
    return { ok: true, ...(await this.presence.update(userOf(socket), p.status)) };
  }

  @SubscribeMessage('presence:get')
  async get(@ConnectedSocket() socket: Socket, @MessageBody(payload('presence:get')) p: PresenceGetPayload) {
    return { ok: true, ...(await this.presence.get(userOf(socket), p)) };
  }

  @SubscribeMessage('presence:subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody(payload('presence:subscribe')) _p: unknown) {
    await this.presence.subscribe(contextOf(socket, this.config.instanceId));
    return { ok: true };
  }

  @SubscribeMessage('presence:unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody(payload('presence:unsubscribe')) _p: unknown) {
    this.presence.unsubscribe(contextOf(socket, this.config.instanceId));
    return { ok: true };
  }
}

function userOf(socket: Socket): AuthenticatedUser {
  return socket.data.user as AuthenticatedUser;
}
