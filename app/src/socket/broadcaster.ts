import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import type { ChatMessage, InterServerEvents, ServerToClientEvents } from '../contracts/events';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type BusEvent, type Engine } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';
import { ChannelFollows } from './channel-follows';
import { rooms } from './rooms';

type EventName = keyof ServerToClientEvents;

/** One event for the sockets in any of `rooms` (each socket gets it once), but not `exceptSocketId`. */
export interface RoomEvent {
  rooms: string[];
  event: EventName;
  payload: unknown;
  exceptSocketId?: string;
}

/** The inter-instance event that carries a `toRooms` batch. */
const ROOM_EVENTS = 'rooms:emit';

/** Fan-out samples kept at most (a message whose bus event never came back must not stay forever). */
export const RECEIVED_MAX = 10_000;
/** A sample older than this is dropped: its message's fan-out is no longer worth measuring. */
const RECEIVED_MAX_AGE_MS = 30_000;
type PayloadOf<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/**
 * The single emission point: only this class emits to rooms. Channel message events come from
 * the engine's ordered per-channel topics and are emitted to local sockets only (each instance
 * follows the channels it has sockets in), which keeps a channel's messages in seq order on every
 * instance; everything else goes through the Socket.IO adapter.
 */
@Injectable()
export class Broadcaster implements OnApplicationShutdown {
  private server: Server | null = null;
  private readonly pendingInstanceHandlers: Array<[string, (payload: Record<string, unknown>) => void]> = [];
  /**
   * Receive time of messages sent through this instance, for the fan-out histogram; oldest first
   * (Map order), aged out past RECEIVED_MAX_AGE_MS and bounded to RECEIVED_MAX entries, so a
   * burst drops only the oldest samples, never all of them.
   */
  private readonly receivedAt = new Map<string, number>();
  private readonly follows: ChannelFollows;
  /**
   * Per followed channel, the epoch and seq of the last message emitted here: each message goes
   * out once and in seq order, whichever way it came (the bus, or the answer to this instance's
   * own append).
   */
  private readonly lastEmitted = new Map<string, { epoch: string; seq: number }>();

  /** Other instances exist to reach through the adapter (the in-memory adapter would only warn). */
  private readonly clustered: boolean;

  constructor(
    @Inject(ENGINE) engine: Engine,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
  ) {
    this.clustered = engine.sharedAcrossInstances;
    engine.messages.subscribe((e) => this.onBus(e));
    this.follows = new ChannelFollows(engine.messages, logger, (channelId) => this.lastEmitted.delete(channelId));
    this.onInstanceEvent(ROOM_EVENTS, (p) => {
      if (Array.isArray(p.events)) this.emitLocal(p.events as RoomEvent[]);
    });
  }

  /** Timers that fire after shutdown (coalescing, batches) must not write to closed connections. */
  onApplicationShutdown(): void {
    this.server = null;
  }

  attach(server: Server): void {
    this.server = server;
    this.follows.watch(server.of('/').adapter);
    this.metrics.roomsSource = () => this.roomCount();
    for (const [event, handler] of this.pendingInstanceHandlers.splice(0)) server.on(event as never, handler as never);
  }

  /** Marks when a message was received so the fan-out latency can be measured at emit time. */
  markReceived(channelId: string, userId: string, clientMsgId: string): void {
    const now = performance.now();
    const key = `${channelId}\u0000${userId}\u0000${clientMsgId}`;
    this.receivedAt.delete(key);
    this.receivedAt.set(key, now);
    for (const [k, at] of this.receivedAt) {
      if (this.receivedAt.size <= RECEIVED_MAX && now - at < RECEIVED_MAX_AGE_MS) break;
      this.receivedAt.delete(k);
    }
  }

  /** Fan-out samples waiting for their message (for tests of the bound). */
  get pendingSamples(): number {
    return this.receivedAt.size;
  }

  /** True while a sample for this message waits. */
  hasSample(channelId: string, userId: string, clientMsgId: string): boolean {
    return this.receivedAt.has(`${channelId}\u0000${userId}\u0000${clientMsgId}`);
  }

  toChannel<E extends EventName>(channelId: string, event: E, payload: PayloadOf<E>, exceptSocketId?: string): void {
    const op = this.server?.to(rooms.channel(channelId));
    if (!op) return;
    (exceptSocketId ? op.except(exceptSocketId) : op).emit(event as never, payload as never);
  }

  toUser<E extends EventName>(userId: string, event: E, payload: PayloadOf<E>): void {
    this.server?.to(rooms.user(userId)).emit(event as never, payload as never);
  }

  toSocket<E extends EventName>(socketId: string, event: E, payload: PayloadOf<E>): void {
    this.server?.to(socketId).emit(event as never, payload as never);
  }

  /**
   * One socket of this instance, directly: no adapter round trip for what only it should get
   * (connection:ready, auth:expired, `{entity}:error`).
   */
  toLocalSocket(socket: Pick<Socket, 'emit'>, event: string, payload: unknown): void {
    socket.emit(event as never, payload as never);
  }

  /** Like toLocalSocket, by id; false when that socket is not (or no longer) connected here. */
  toLocalSocketId(socketId: string, event: string, payload: unknown): boolean {
    const socket = this.server?.of('/').sockets.get(socketId);
    if (!socket?.connected) return false;
    this.toLocalSocket(socket, event, payload);
    return true;
  }

  /** `expire` for a socket of this instance, by id (nothing when it is gone). */
  expireLocal(socketId: string): void {
    const socket = this.server?.of('/').sockets.get(socketId);
    if (socket) this.expire(socket);
  }

  /** Tells the client its token ran out, then closes the connection (the SDK reconnects with a new token). */
  expire(socket: Pick<Socket, 'emit' | 'disconnect'>): void {
    this.toLocalSocket(socket, 'auth:expired', { reason: 'token expired without auth:refresh' });
    socket.disconnect(true);
  }

  /**
   * Emits to the user's sockets on this instance only and returns how many there were (callers
   * that must know whether anything was delivered, e.g. notifications, run this on every instance).
   */
  toLocalUser<E extends EventName>(userId: string, event: E, payload: PayloadOf<E>): number {
    const server = this.server;
    if (!server) return 0;
    const room = rooms.user(userId);
    const audience = server.of('/').adapter.rooms.get(room)?.size ?? 0;
    if (audience > 0) server.local.to(room).emit(event as never, payload as never);
    return audience;
  }

  /** Volatile (may be dropped under back-pressure): for typing indicators. */
  volatileToChannel<E extends EventName>(channelId: string, event: E, payload: PayloadOf<E>, exceptSocketId?: string): void {
    const op = this.server?.volatile.to(rooms.channel(channelId));
    if (!op) return;
    (exceptSocketId ? op.except(exceptSocketId) : op).emit(event as never, payload as never);
  }

  /** Several rooms at once reach each socket in them once. */
  toRoom<E extends EventName>(room: string | string[], event: E, payload: PayloadOf<E>): void {
    this.server?.to(room).emit(event as never, payload as never);
  }

  /**
   * Several room events at once: emitted to this instance's sockets now, and to the other
   * instances as one adapter message (one PUBLISH, one parse per instance) instead of one per
   * event, each of which emits them to its own sockets in the same order. For coalesced member and
   * presence events, which come in bursts (a reconnect storm announces hundreds of users per flush).
   */
  toRooms(events: RoomEvent[]): void {
    if (events.length === 0) return;
    this.emitLocal(events);
    this.toOtherInstances(ROOM_EVENTS, { events });
  }

  private emitLocal(events: RoomEvent[]): void {
    const server = this.server;
    if (!server) return;
    for (const e of events) {
      const op = server.local.to(e.rooms);
      (e.exceptSocketId ? op.except(e.exceptSocketId) : op).emit(e.event as never, e.payload as never);
    }
  }

  /** Sends an event to every other instance (Socket.IO adapter `serverSideEmit`). */
  toOtherInstances(event: string, payload: Record<string, unknown>): void {
    if (this.server && this.clustered) this.server.serverSideEmit(event, payload);
  }

  /**
   * Asks every other instance (`serverSideEmit` with acknowledgements) and collects their answers;
   * `complete` is false when some instance did not answer within the adapter's request timeout.
   */
  requestOthers(event: keyof InterServerEvents, payload: Record<string, unknown>): Promise<{ responses: unknown[]; complete: boolean }> {
    const server = this.server;
    if (!server || !this.clustered) return Promise.resolve({ responses: [], complete: true });
    return new Promise((resolve) => {
      server.serverSideEmit(event, payload, (err: Error | null, responses: unknown[]) => resolve({ responses: responses ?? [], complete: !err }));
    });
  }

  /** Answers `requestOthers(event)` of the other instances with what `handler` resolves to. */
  answerOthers(event: keyof InterServerEvents, handler: (payload: Record<string, unknown>) => Promise<unknown>): void {
    this.onInstanceEvent(event, ((payload: Record<string, unknown>, ack?: (r: unknown) => void) => {
      handler(payload).then(
        (r) => ack?.(r),
        (err) => this.logger.warn('interserver.failed', { metadata: { event }, err }),
      );
    }) as (payload: Record<string, unknown>) => void);
  }

  /** Handles events other instances send with `toOtherInstances`. */
  onInstanceEvent(event: string, handler: (payload: Record<string, unknown>) => void): void {
    if (this.server) this.server.on(event as never, handler as never);
    else this.pendingInstanceHandlers.push([event, handler]);
  }

  /** Socket.IO rooms on this instance, including each socket's own room. */
  roomCount(): number {
    return this.server?.of('/').adapter.rooms.size ?? 0;
  }

  /** The sockets connected to this instance (for the slow-consumer sweep). */
  localSockets(): Iterable<Socket> {
    return this.server ? this.server.of('/').sockets.values() : [];
  }

  /** Ids of the sockets connected to this instance (for draining and connection resets). */
  localSocketIds(): string[] {
    return this.server ? [...this.server.of('/').sockets.keys()] : [];
  }

  /** Closes sockets of this instance; the clients reconnect (to another instance). */
  disconnectLocal(socketIds: string[]): void {
    const sockets = this.server?.of('/').sockets;
    for (const id of socketIds) sockets?.get(id)?.disconnect(true);
  }

  /**
   * Closes every socket in a room on every instance (through the adapter) and returns how many
   * there were, or null when some instance did not answer the count in time (they are closed anyway).
   */
  async disconnectRoom(room: string): Promise<number | null> {
    const server = this.server;
    if (!server) return 0;
    let count: number | null = null;
    try {
      count = (await server.in(room).fetchSockets()).length;
    } catch {
      // Some instance did not answer in time: the count is unknown (null says so), the cut still happens below.
      count = null;
    }
    server.in(room).disconnectSockets(true);
    return count;
  }

  /**
   * A message appended through this instance. When it is the next in seq for its channel here, its
   * local members get it now, without waiting for the bus round trip (the bus copy is then
   * skipped); otherwise an earlier message is still on its way and the bus brings this one after it.
   */
  deliverAppended(m: ChatMessage): void {
    const last = this.lastEmitted.get(m.channelId);
    if (!last || last.epoch !== epochOf(m.id) || m.seq !== last.seq + 1) return;
    this.emitNew(m);
  }

  private onBus(e: BusEvent): void {
    const server = this.server;
    if (!server) return;
    try {
      if (e.kind === 'message:new') {
        const last = this.lastEmitted.get(e.message.channelId);
        if (!last || last.epoch !== epochOf(e.message.id) || e.message.seq > last.seq) this.emitNew(e.message);
      } else if (e.kind === 'message:updated') {
        server.local.to(rooms.channel(e.message.channelId)).emit('message:updated', e.message);
      } else {
        server.local.to(rooms.channel(e.channelId)).emit('message:deleted', { channelId: e.channelId, messageId: e.messageId, seq: e.seq, deletedBy: e.deletedBy });
      }
    } catch (err) {
      this.logger.error('broadcast.failed', { metadata: { kind: e.kind }, err });
    }
  }

  /** `message:new` to the channel's (and thread's) local sockets. */
  private emitNew(m: ChatMessage): void {
    const server = this.server;
    if (!server) return;
    this.lastEmitted.set(m.channelId, { epoch: epochOf(m.id), seq: m.seq });
    const targets = m.threadId ? [rooms.channel(m.channelId), rooms.thread(m.channelId, m.threadId)] : rooms.channel(m.channelId);
    const key = `${m.channelId}\u0000${m.userId}\u0000${m.clientMsgId}`;
    const received = this.receivedAt.get(key);
    server.local.to(targets).emit('message:new', m);
    if (received !== undefined) {
      this.receivedAt.delete(key);
      this.metrics.messageFanout.observe((performance.now() - received) / 1000);
    }
    this.metrics.messagesDelivered.inc(this.localAudience(targets));
  }

  /** Number of local sockets in any of the rooms (what one emit delivers here). */
  private localAudience(targets: string | string[]): number {
    const adapterRooms = this.server!.of('/').adapter.rooms;
    if (typeof targets === 'string') return adapterRooms.get(targets)?.size ?? 0;
    const ids = new Set<string>();
    for (const t of targets) for (const id of adapterRooms.get(t) ?? []) ids.add(id);
    return ids.size;
  }
}

/** The epoch part of a message id (`m-<epoch>-<seq>`). */
function epochOf(messageId: string): string {
  return messageId.slice(2, messageId.lastIndexOf('-'));
}
