import type { INestApplicationContext } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Observable } from 'rxjs';
import type { Server, ServerOptions, Socket } from 'socket.io';
import type { GatewayConfig } from '../config/config';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';
import { AuthMiddleware } from '../auth/auth.middleware';
import { HandshakeFloodGuard } from '../auth/handshake-flood.guard';
import { Broadcaster } from './broadcaster';
import { EventDispatcher } from './event-dispatcher';

/**
 * Configures the one Socket.IO server: transports, timeouts, buffer size, CORS allow-list, the
 * Redis adapter (connected before listening) and the auth middleware. Client events reach their
 * handlers through the EventDispatcher (one shared listener per socket), not through Nest's
 * per-socket handler binding.
 */
export class GatewayIoAdapter extends IoAdapter {
  private adapterFactory: ReturnType<typeof createAdapter> | null = null;
  private dispatcher: EventDispatcher | null = null;
  private disconnectHooks: boolean | undefined;

  constructor(
    private readonly appContext: INestApplicationContext,
    private readonly config: GatewayConfig,
  ) {
    super(appContext);
  }

  /** Must run before `app.listen()`: creates the Redis adapter's connections when the engine has them. */
  async connectAdapter(): Promise<void> {
    const clients = await this.appContext.get<Engine>(ENGINE).createAdapterClients();
    if (!clients) return;
    const { pubClient, subClient } = clients;
    const metrics = this.appContext.get(MetricsService);
    for (const c of [pubClient, subClient] as Array<{ on(e: string, f: (err: Error) => void): void }>) {
      c.on('error', () => metrics.adapterErrors.inc());
    }
    const prefix = `${this.config.redisKeyPrefix}:sio`;
    this.adapterFactory =
      this.config.redisAdapter === 'sharded'
        // Dynamic: a room's broadcasts travel on its own sharded channel, which only instances
        // holding a socket in that room subscribe to (required on a Cluster, see REDIS_MODE).
        ? (createShardedAdapter(pubClient as never, subClient as never, { channelPrefix: prefix, subscriptionMode: 'dynamic' }) as never)
        : createAdapter(pubClient as never, subClient as never, { key: prefix, requestsTimeout: 2000 });
  }

  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    const corsOrigins = this.config.corsOrigins;
    const floodGuard = this.appContext.get(HandshakeFloodGuard);
    const server: Server = super.createIOServer(port, {
      ...options,
      transports: this.config.transports,
      pingInterval: this.config.pingIntervalMs,
      pingTimeout: this.config.pingTimeoutMs,
      maxHttpBufferSize: this.config.maxHttpBufferSize,
      connectTimeout: 10_000,
      upgradeTimeout: 10_000,
      // Without an allow-list, browsers from other origins are refused (same-origin only).
      cors: corsOrigins.length > 0 ? { origin: corsOrigins.includes('*') ? true : corsOrigins, credentials: true } : undefined,
      // Runs only for requests that would open an Engine.IO session, before it is allocated.
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
        const origin = req.headers.origin;
        if (origin && !corsOrigins.includes('*') && !corsOrigins.includes(origin) && !sameOrigin(origin, req.headers.host)) {
          callback('origin not allowed', false);
          return;
        }
        // A guard failure must not leave the request hanging: admit it, the auth middleware still runs.
        void floodGuard.allow(req).then((ok) => callback(ok ? null : 'RATE_LIMITED', ok), () => callback(null, true));
      },
      // The per-message deflate zlib context costs ~300 KB per socket; not worth it for chat.
      perMessageDeflate: false,
      httpCompression: false,
    } as ServerOptions);
    this.dispatcher = this.appContext.get(EventDispatcher);
    if (this.adapterFactory) server.adapter(this.adapterFactory);
    server.of('/').adapter.on('error', () => this.appContext.get(MetricsService).adapterErrors.inc());
    server.use(this.appContext.get(AuthMiddleware).handle);
    this.appContext.get(Broadcaster).attach(server);
    this.appContext.get<JsonLogger>(LOGGER).info('socket.server.created', {
      metadata: { transports: this.config.transports, adapter: this.adapterFactory ? this.config.redisAdapter : 'memory' },
    });
    return server;
  }

  /**
   * Nest calls this for each new socket with the `@SubscribeMessage` handlers of each
   * `@WebSocketGateway`, bound to that socket. This app declares its handlers with `@OnEvent`
   * instead (see EventDispatcher), so the list is empty and the socket only gets the shared
   * dispatcher listener: no per-socket closures or RxJS pipelines.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    if (handlers.length > 0) super.bindMessageHandlers(socket, handlers, transform);
    this.dispatcher?.attach(socket);
  }

  /**
   * Nest adds one `disconnect` listener per gateway per socket, whether or not the gateway has a
   * `handleDisconnect`; ours clean up from `disconnecting` instead, so the listeners are only kept
   * when some gateway does implement the hook.
   */
  override bindClientDisconnect(client: Socket, callback: (reason?: unknown) => void): void {
    this.disconnectHooks ??= this.appContext.get(DiscoveryService).getProviders().some(
      (w) => typeof (w.instance as { handleDisconnect?: unknown } | null | undefined)?.handleDisconnect === 'function',
    );
    if (this.disconnectHooks) super.bindClientDisconnect(client, callback);
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
