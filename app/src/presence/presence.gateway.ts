import { Inject } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { AuthenticatedUser, PresenceGetPayload, PresenceUpdatePayload } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { PresenceService } from './presence.service';
import { EventGateway, OnEvent } from '../socket/on-event.decorator';

@EventGateway()
export class PresenceGateway {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly presence: PresenceService,
  ) {}

  @OnEvent('presence:update')
  async update(socket: Socket, p: PresenceUpdatePayload) {
    return { ok: true, ...(await this.presence.update(userOf(socket), p.status)) };
  }

  @OnEvent('presence:get')
  async get(socket: Socket, p: PresenceGetPayload) {
    return { ok: true, ...(await this.presence.get(userOf(socket), p)) };
  }

  @OnEvent('presence:subscribe')
  async subscribe(socket: Socket) {
    return { ok: true, ...(await this.presence.subscribe(contextOf(socket, this.config.instanceId))) };
  }

  @OnEvent('presence:unsubscribe')
  async unsubscribe(socket: Socket) {
    await this.presence.unsubscribe(contextOf(socket, this.config.instanceId));
    return { ok: true };
  }
}

function userOf(socket: Socket): AuthenticatedUser {
  return socket.data.user as AuthenticatedUser;
}
