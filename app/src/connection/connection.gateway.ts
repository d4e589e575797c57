import { Inject } from '@nestjs/common';
import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { contextOf } from '../common/socket-context.factory';
import { ConnectionLifecycleService, type Admitted } from './connection-lifecycle.service';

/** Hands connect and disconnect to ConnectionLifecycleService. */
@WebSocketGateway()
export class ConnectionGateway implements OnGatewayConnection {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly lifecycle: ConnectionLifecycleService,
  ) {}

  handleConnection(socket: Socket): void {
    // 'disconnecting' still sees the socket's rooms; 'disconnect' would not. It fires once, so one
    // listener shared by every socket does, without a closure (and a `once` wrapper) per socket.
    socket.on('disconnecting', this.disconnecting);
    const admitted = socket.data.admitted as Admitted;
    // Its inbox read must not stay referenced for the socket's whole life.
    socket.data.admitted = undefined;
    this.lifecycle.opened(contextOf(socket, this.config.instanceId), socket.data.connectedAt, admitted);
  }

  private readonly disconnecting = ((gateway: ConnectionGateway) =>
    function onDisconnecting(this: Socket, reason: string): void {
      gateway.lifecycle.closing(contextOf(this, gateway.config.instanceId), this.rooms, reason);
    })(this);
}
