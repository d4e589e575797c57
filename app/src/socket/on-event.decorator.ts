import { applyDecorators, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Socket } from 'socket.io';
import type { ClientToServerEvents } from '../contracts/events';

/** A client event name of the typed contract. */
export type ClientEvent = keyof ClientToServerEvents;

/** The payload of a client event, as its schema (contracts/schemas.ts) lets it through. */
export type EventPayload<E extends ClientEvent> = Parameters<ClientToServerEvents[E]>[0];

/** Discoverable through Nest's DiscoveryService: the class holds event handlers. */
export const EVENT_GATEWAY = DiscoveryService.createDecorator<true>();
/** Discoverable through Nest's DiscoveryService: the method handles this client event. */
export const EVENT_HANDLER = DiscoveryService.createDecorator<ClientEvent>();

/**
 * Marks a provider whose `@OnEvent` methods the EventDispatcher binds once, at start-up. Unlike
 * `@WebSocketGateway()`, it adds nothing to each connection: Nest would bind every handler of
 * every gateway to every socket.
 */
export function EventGateway(): ClassDecorator {
  return applyDecorators(Injectable(), EVENT_GATEWAY(true));
}

/**
 * Handles one client event. The dispatcher validates the payload against the event's schema
 * first (a mismatch is answered INVALID_PAYLOAD without calling the method), then calls
 * `method(socket, payload)` and acks with what it returns.
 * @example
 *   @OnEvent('message:send')
 *   send(socket: Socket, p: MessageSendPayload) { … }
 */
export function OnEvent<E extends ClientEvent>(event: E) {
  return <H extends (socket: Socket, payload: EventPayload<E>) => unknown>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<H>,
  ): void => {
    EVENT_HANDLER(event)(target, key, descriptor);
  };
}
