import type { INestApplicationContext } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Observable } from 'rxjs';
import { isObservable, lastValueFrom } from 'rxjs';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import type { GatewayConfig } from '../config/config';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';
import { AuthMiddleware } from '../auth/auth.middleware';
import { Broadcaster } from './broadcaster';
import { inSpan } from '../tracing/spans';

/** What a RedisEngine offers the adapter: its own pub/sub connections. */
interface AdapterClientSource {
  createAdapterClients(): Promise<{ pubClient: unknown; subClient: unknown }> | { pubClient: unknown; subClient: unknown };
}

/**
 * Configures the one Socket.IO server: transports, timeouts, buffer size, CORS allow-list, the
 * Redis adapter (connected before listening) and the auth middleware. It also binds event
 * handlers without Nest's per-socket RxJS pipelines, which cost memory on every connection.
 */
export class GatewayIoAdapter extends IoAdapter {
  private adapterFactory: ReturnType<typeof createAdapter> | null = null;

  constructor(
    private readonly appContext: INestApplicationContext,
    private readonly config: GatewayConfig,
  ) {
    super(appContext);
  }

  /** Must run before `app.listen()`: creates the Redis adapter's connections when REDIS_URL is set. */
  async connectAdapter(): Promise<void> {
    const engine = this.appContext.get<Engine>(ENGINE);
    if (engine.kind !== 'redis') return;
    const { pubClient, subClient } = await (engine as unknown as AdapterClientSource).createAdapterClients();
    const metrics = this.appContext.get(MetricsService);
    for (const c of [pubClient, subClient] as Array<{ on(e: string, f: (err: Error) => void): void }>) {
      c.on('error', () => metrics.adapterErrors.inc());
    }
    const prefix = `${this.config.redisKeyPrefix}:sio`;
    this.adapterFactory =
      this.config.redisAdapter === 'sharded'
        ? (createShardedAdapter(pubClient as never, subClient as never, { channelPrefix: prefix }) as never)
        : createAdapter(pubClient as never, subClient as never, { key: prefix, requestsTimeout: 2000 });
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const corsOrigins = this.config.corsOrigins;
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
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
        const origin = req.headers.origin;
        if (!origin || corsOrigins.includes('*') || corsOrigins.includes(origin) || sameOrigin(origin, req.headers.host)) {
          callback(null, true);
        } else {
          callback('origin not allowed', false);
        }
      },
      // The per-message deflate zlib context costs ~300 KB per socket; not worth it for chat.
      perMessageDeflate: false,
      httpCompression: false,
    });
    if (this.adapterFactory) server.adapter(this.adapterFactory);
    server.of('/').adapter.on('error', () => this.appContext.get(MetricsService).adapterErrors.inc());
    server.use(this.appContext.get(AuthMiddleware).handle);
    this.appContext.get(Broadcaster).attach(server);
    this.appContext.get<JsonLogger>(LOGGER).info('socket.server.created', {
      metadata: { transports: this.config.transports, adapter: this.adapterFactory ? this.config.redisAdapter : 'memory' },
    });
    return server;
  }

  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    void transform;
    const metrics = this.appContext.get(MetricsService);
    for (const { message, callback } of handlers) {
      const event = String(message);
      socket.on(event, (...args: unknown[]) => {
        const last = args[args.length - 1];
        const ack = typeof last === 'function' ? (last as (r: unknown) => void) : undefined;
        const data = args.length > (ack ? 1 : 0) ? args[0] : undefined;
        const end = metrics.eventDuration.startTimer({ event });
        const userId = (socket.data as { user?: { userId: string } }).user?.userId;
        void inSpan(`event ${event}`, { 'messaging.system': 'socket.io', 'socket_gateway.event': event, 'enduser.id': userId }, async () => {
          try {
            let res: unknown = await callback(data, ack);
            if (isObservable(res)) res = await lastValueFrom(res, { defaultValue: undefined });
            if (res === undefined) return;
            metrics.events.inc({ event, result: 'ok' });
            ack?.(res);
          } finally {
            end();
          }
        }).catch(() => undefined);
      });
    }
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
