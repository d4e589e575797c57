import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { PresenceChanged, PresenceStatus } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { ShutdownHooks } from '../lifecycle/shutdown-hooks';
import { Broadcaster, type RoomEvent } from '../socket/broadcaster';
import { rooms } from '../socket/rooms';
import { visibleStatus } from './presence-view';

/** A held room event: the state before the first one of the window and the latest one. */
type Entry =
  | { kind: 'member'; channelId: string; userId: string; from: boolean; to: boolean; exceptSocketId?: string }
  | { kind: 'presence'; rooms: Set<string>; userId: string; from: PresenceStatus; to: PresenceChanged };

interface RoomBuffer {
  entries: Map<string, Entry>;
  timer: NodeJS.Timeout | null;
  /** When the first event of this window arrived; the hold never exceeds MAX_HOLD_FACTOR × window. */
  openedAt: number;
}

const MAX_HOLD_FACTOR = 5;
/** Buffer key of presence events (member events are buffered per channel room). */
const PRESENCE_BUFFER = '\u0000presence';

/**
 * Coalesces member events per channel and presence events per user. During a mass reconnect every user leaves and
 * rejoins every channel and goes offline and online again; emitted one by one, each of N users'
 * events reaches the N others (N² deliveries). Held for a short window per room, a user's events
 * merge into their latest state, states equal to where the window started are dropped (leave then
 * rejoin, offline then online), and what is left is checked against the engine before it goes out
 * (a user who went back online through another instance is not announced offline).
 * The contract is unchanged: the same events and payloads, at most one per user and kind per flush.
 * A flush reaches the other instances as one adapter message (Broadcaster.toRooms), not one per event.
 */
@Injectable()
export class PresenceCoalescer implements OnApplicationShutdown {
  private readonly buffers = new Map<string, RoomBuffer>();
  private readonly windowMs: number;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly broadcaster: Broadcaster,
    hooks: ShutdownHooks,
  ) {
    this.windowMs = config.presenceCoalesceMs;
    hooks.register('presence-coalescer', () => this.flushAll());
  }

  /** `channel:member_joined` / `channel:member_left` (the joining socket itself is skipped). */
  member(channelId: string, userId: string, joined: boolean, exceptSocketId?: string): void {
    if (this.windowMs === 0) return this.emit({ kind: 'member', channelId, userId, from: !joined, to: joined, exceptSocketId });
    const buffer = this.buffer(rooms.channel(channelId));
    const key = `m\u0000${userId}`;
    const held = buffer.entries.get(key);
    if (held?.kind === 'member') {
      held.to = joined;
      held.exceptSocketId = joined ? exceptSocketId : undefined;
    } else {
      buffer.entries.set(key, { kind: 'member', channelId, userId, from: !joined, to: joined, exceptSocketId });
    }
    this.schedule(rooms.channel(channelId), buffer);
  }

  /**
   * `presence:changed` to the rooms (presence:global, the user's channels); `from` is the status
   * others saw before this change. Held per user rather than per room so that one emit reaches
   * the union of the rooms: a socket in two of them gets the event once.
   */
  presence(targetRooms: string[], from: PresenceStatus, change: PresenceChanged): void {
    if (this.windowMs === 0) return this.emit({ kind: 'presence', rooms: new Set(targetRooms), userId: change.userId, from, to: change });
    const buffer = this.buffer(PRESENCE_BUFFER);
    const key = `p\u0000${change.userId}`;
    const held = buffer.entries.get(key);
    if (held?.kind === 'presence') {
      held.to = change;
      for (const room of targetRooms) held.rooms.add(room);
    } else {
      buffer.entries.set(key, { kind: 'presence', rooms: new Set(targetRooms), userId: change.userId, from, to: change });
    }
    this.schedule(PRESENCE_BUFFER, buffer);
  }

  /** Sends everything held now (drain, shutdown). */
  async flushAll(): Promise<void> {
    for (const room of [...this.buffers.keys()]) this.flush(room);
    await this.flushing;
  }

  onApplicationShutdown(): void {
    for (const b of this.buffers.values()) if (b.timer) clearTimeout(b.timer);
    this.buffers.clear();
  }

  /** Rooms with held events (for tests and debugging). */
  get pendingRooms(): number {
    return this.buffers.size;
  }

  private buffer(room: string): RoomBuffer {
    let b = this.buffers.get(room);
    if (!b) this.buffers.set(room, (b = { entries: new Map(), timer: null, openedAt: Date.now() }));
    return b;
  }

  /** Debounced: each event pushes the flush back by one window, up to the maximum hold. */
  private schedule(room: string, buffer: RoomBuffer): void {
    if (buffer.timer) clearTimeout(buffer.timer);
    const remaining = buffer.openedAt + this.windowMs * MAX_HOLD_FACTOR - Date.now();
    buffer.timer = setTimeout(() => this.flush(room), Math.max(0, Math.min(this.windowMs, remaining)));
    buffer.timer.unref();
  }

  private flush(room: string): void {
    const buffer = this.buffers.get(room);
    if (!buffer) return;
    if (buffer.timer) clearTimeout(buffer.timer);
    this.buffers.delete(room);
    const changed = [...buffer.entries.values()].filter((e) => (e.kind === 'member' ? e.from !== e.to : e.from !== e.to.status));
    if (changed.length === 0) return;
    // Flushes run one after another so that a room's events keep their order.
    this.flushing = this.flushing
      .then(() => this.confirmed(changed))
      .then((list) => this.broadcaster.toRooms(list.map(roomEvent)))
      .catch((err) => this.logger.error('presence.flush_failed', { err }));
  }

  /** Keeps the entries that still match the engine's state; on any store error, keeps them all. */
  private async confirmed(entries: Entry[]): Promise<Entry[]> {
    try {
      const presenceUsers = [...new Set(entries.filter((e) => e.kind === 'presence').map((e) => e.userId))];
      const records = presenceUsers.length > 0 ? await this.engine.presence.get(presenceUsers) : [];
      const now = new Map(records.map((r) => [r.userId, visibleStatus(r.status, r.online)]));
      const checks = await Promise.all(entries.map(async (e) => {
        if (e.kind === 'presence') return now.get(e.userId) === e.to.status;
        return (await this.engine.membership.isMember(e.channelId, e.userId)) === e.to;
      }));
      return entries.filter((_, i) => checks[i]);
    } catch (err) {
      this.logger.warn('presence.coalesce_check_failed', { err });
      return entries;
    }
  }

  private emit(e: Entry): void {
    this.broadcaster.toRooms([roomEvent(e)]);
  }
}

function roomEvent(e: Entry): RoomEvent {
  if (e.kind === 'presence') return { rooms: [...e.rooms], event: 'presence:changed', payload: e.to };
  return {
    rooms: [rooms.channel(e.channelId)],
    event: e.to ? 'channel:member_joined' : 'channel:member_left',
    payload: { channelId: e.channelId, userId: e.userId },
    ...(e.exceptSocketId ? { exceptSocketId: e.exceptSocketId } : {}),
  };
}
