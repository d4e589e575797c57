import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Socket } from 'socket.io';
import { hasPayloadSchema, validatePayload } from '../common/payload.validator';
import { WsExceptionFilter } from '../common/ws-exception.filter';
import { MetricsService } from '../metrics/metrics.service';
import { InvalidFrameGuard } from './invalid-frame.guard';
import { inSpan, spansEnabled } from '../tracing/spans';
import { EVENT_GATEWAY, EVENT_HANDLER, type ClientEvent } from './on-event.decorator';

interface BoundHandler {
  gateway: object;
  method: (socket: Socket, payload: unknown) => unknown;
}

/**
 * Routes every client event of every socket. The `@OnEvent` handlers of the `@EventGateway`
 * classes are found once at start-up through Nest's DiscoveryService; each socket then carries a
 * single `onAny` listener (the same function for all sockets), so a connection costs no
 * per-handler closures. Per event: validate the payload, call the handler inside a span, ack
 * what it returns; a thrown error goes to the WsExceptionFilter, the one place errors become
 * answers.
 */
@Injectable()
export class EventDispatcher implements OnModuleInit {
  private readonly handlers = new Map<string, BoundHandler>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly metrics: MetricsService,
    private readonly errors: WsExceptionFilter,
    private readonly invalidFrames: InvalidFrameGuard,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: EVENT_GATEWAY.KEY })) {
      const gateway = wrapper.instance as Record<string, unknown> | undefined;
      if (!gateway) continue;
      for (const name of this.scanner.getAllMethodNames(Object.getPrototypeOf(gateway))) {
        const event = this.discovery.getMetadataByDecorator(EVENT_HANDLER, wrapper, name);
        if (event === undefined) continue;
        const where = `${String(wrapper.name)}.${name}`;
        if (!hasPayloadSchema(event)) throw new Error(`@OnEvent('${event}') on ${where}: contracts/schemas.ts has no schema for it`);
        if (this.handlers.has(event)) throw new Error(`@OnEvent('${event}') on ${where}: the event already has a handler`);
        this.handlers.set(event, { gateway, method: gateway[name] as BoundHandler['method'] });
      }
    }
  }

  /** The events that have a handler, sorted. */
  events(): ClientEvent[] {
    return [...this.handlers.keys()].sort() as ClientEvent[];
  }

  /** Gives the socket its one listener (idempotent). */
  attach(socket: Socket): void {
    if (!socket.listenersAny().includes(this.listener)) socket.onAny(this.listener);
  }

  /** Shared by every socket: `this` is the socket the event came from. */
  private readonly listener: (this: Socket, name: unknown, ...args: unknown[]) => void = ((dispatcher: EventDispatcher) =>
    function onEvent(this: Socket, name: unknown, ...args: unknown[]): void {
      dispatcher.dispatch(this, name, args);
    })(this);

  private dispatch(socket: Socket, name: unknown, args: unknown[]): void {
    const handler = typeof name === 'string' ? this.handlers.get(name) : undefined;
    // Unknown events are dropped, as Socket.IO does for events without a listener, and counted:
    // a socket that keeps sending them is cut (InvalidFrameGuard).
    if (!handler || typeof name !== 'string') {
      this.invalidFrames.record(socket, 'unknown_event');
      return;
    }
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (r: unknown) => void) : undefined;
    const data = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    const end = this.metrics.eventDuration.startTimer({ event: name });
    const run = async (): Promise<void> => {
      try {
        const payload = validatePayload(name as ClientEvent, data);
        const res = await handler.method.call(handler.gateway, socket, payload);
        if (res === undefined) return;
        this.metrics.events.inc({ event: name, result: 'ok' });
        ack?.(res);
      } catch (err) {
        this.errors.respond(socket, name, ack, err);
      } finally {
        end();
      }
    };
    if (!spansEnabled()) {
      void run();
      return;
    }
    const userId = (socket.data as { user?: { userId: string } }).user?.userId;
    void inSpan(`event ${name}`, { 'messaging.system': 'socket.io', 'socket_gateway.event': name, 'enduser.id': userId }, run);
  }
}
