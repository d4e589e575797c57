import type { INestApplicationContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { IncomingMessage } from 'node:http';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { WebSocketsController } from '@nestjs/websockets/web-sockets-controller';
import type { ApplicationConfig } from '@nestjs/core/application-config';
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
    this.metrics = this.appContext.get(MetricsService);
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
   * Registers one gateway's handlers for a new socket. Nest would bind every handler of every
   * gateway to every socket (`handler.bind(gateway, socket)`, then one listener each): about
   * 4 KB of closures per connection. Here each gateway's handlers are registered once, and every
   * socket gets the same single `onAny` dispatcher, which passes the socket to the handler.
   * Reached through the `subscribeMessages` hook installed at the bottom of this file.
   */
  bindSharedHandlers(socket: Socket, subscribers: MessageMappingProperties[], gateway: object): void {
    if (!this.registered.has(subscribers)) {
      this.registered.add(subscribers);
      for (const { message, callback } of subscribers) {
        const event = String(message);
        this.handlers.set(event, [...(this.handlers.get(event) ?? []), { gateway, callback: callback as SharedHandler }]);
      }
    }
    if (!socket.listenersAny().includes(this.dispatch)) socket.onAny(this.dispatch);
  }

  /** Nest's own path, only taken if the hook below is not in place: one listener per event per socket. */
  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    void transform;
    for (const { message, callback } of handlers) {
      const event = String(message);
      socket.on(event, (...args: unknown[]) => this.run(socket, event, args, (data, ack) => callback(data, ack)));
    }
  }

  /**
   * Nest adds one `disconnect` listener per gateway per socket, whether or not the gateway has a
   * `handleDisconnect`; ours clean up from `disconnecting` instead, so the listeners are only kept
   * when some gateway does implement the hook.
   */
  override bindClientDisconnect(client: Socket, callback: () => void): void {
    this.disconnectHooks ??= [...this.appContext.get(ModulesContainer).values()].some((m) =>
      [...m.providers.values()].some((w) => typeof (w.instance as { handleDisconnect?: unknown } | undefined)?.handleDisconnect === 'function'));
    if (this.disconnectHooks) super.bindClientDisconnect(client, callback);
  }

  private disconnectHooks: boolean | undefined;
  /** Event name → the handlers of every gateway for it (Nest's, taking the socket first). */
  private readonly handlers = new Map<string, Array<{ gateway: object; callback: SharedHandler }>>();
  private readonly registered = new WeakSet<MessageMappingProperties[]>();

  /** The one listener of every socket (`this` is the socket). */
  private readonly dispatch: (this: Socket, name: unknown, ...args: unknown[]) => void = (() => {
    const adapter = this;
    return function dispatch(this: Socket, name: unknown, ...args: unknown[]): void {
      const event = String(name);
      const socket = this;
      for (const h of adapter.handlers.get(event) ?? []) {
        adapter.run(socket, event, args, (data, ack) => h.callback.call(h.gateway, socket, data, ack));
      }
    };
  })();

  /** Runs one handler: metrics, a span, and the ack with whatever the handler returned. */
  private run(socket: Socket, event: string, args: unknown[], invoke: (data: unknown, ack?: (r: unknown) => void) => unknown): void {
    const metrics = this.metrics;
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (r: unknown) => void) : undefined;
    const data = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    const end = metrics.eventDuration.startTimer({ event });
    const userId = (socket.data as { user?: { userId: string } }).user?.userId;
    void inSpan(`event ${event}`, { 'messaging.system': 'socket.io', 'socket_gateway.event': event, 'enduser.id': userId }, async () => {
      try {
        let res: unknown = await invoke(data, ack);
        if (isObservable(res)) res = await lastValueFrom(res, { defaultValue: undefined });
        if (res === undefined) return;
        metrics.events.inc({ event, result: 'ok' });
        ack?.(res);
      } finally {
        end();
      }
    }).catch(() => undefined);
  }

  /** Resolved in createIOServer, before any socket exists. */
  private metrics!: MetricsService;
}

/** A handler as Nest's context creator makes it: `(socket, data, ack?)`, called with its gateway as `this`. */
type SharedHandler = (this: object, socket: Socket, data: unknown, ack?: (r: unknown) => void) => unknown;

/**
 * The hook behind `bindSharedHandlers`: Nest's per-socket `subscribeMessages` hands the unbound
 * handlers to a GatewayIoAdapter instead of binding them to the socket. Any other adapter keeps
 * Nest's behaviour. (Nest 10's WebSocketsController: should an upgrade stop calling it,
 * `bindMessageHandlers` still serves every event, at the old per-socket cost, which the
 * benchmark's memory-per-connection figure would show.)
 */
const nestSubscribeMessages = WebSocketsController.prototype.subscribeMessages;
WebSocketsController.prototype.subscribeMessages = function subscribeMessages<T>(this: WebSocketsController, subscribers: MessageMappingProperties[], client: T, gateway: Parameters<WebSocketsController['subscribeMessages']>[2]): void {
  const adapter = (this as unknown as { config: ApplicationConfig }).config.getIoAdapter();
  if (adapter instanceof GatewayIoAdapter) adapter.bindSharedHandlers(client as unknown as Socket, subscribers, gateway);
  else nestSubscribeMessages.call(this, subscribers, client, gateway);
};

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}
