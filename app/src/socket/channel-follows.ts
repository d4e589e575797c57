import type { EventEmitter } from 'node:events';
import type { JsonLogger } from '../common/logger';
import type { MessageLog } from '../engine/engine.ports';
import { CHANNEL_ROOM_PREFIX } from './rooms';

const THREAD_ROOM_PREFIX = 'thread:';

/**
 * Keeps this instance following exactly the channels it has local sockets for: a channel's
 * events are needed while its room or any of its thread rooms exists on this instance. Driven by
 * the Socket.IO adapter's public `create-room` / `delete-room` events, so every way a socket
 * enters or leaves a room (join, leave, disconnect, drain) is covered without each caller
 * remembering to. Channel joins additionally await `MessageLog.follow` before reading history.
 */
export class ChannelFollows {
  /** channelId → local rooms that need its events */
  private readonly rooms = new Map<string, number>();

  constructor(
    private readonly messages: Pick<MessageLog, 'follow' | 'unfollow'>,
    private readonly logger: Pick<JsonLogger, 'warn'>,
    /** Called when the instance stops following a channel (its per-channel state can go). */
    private readonly unfollowed: (channelId: string) => void = () => undefined,
  ) {}

  watch(adapter: EventEmitter): void {
    adapter.on('create-room', (room: string) => this.change(room, +1));
    adapter.on('delete-room', (room: string) => this.change(room, -1));
  }

  /** Channels this instance currently follows. */
  get size(): number {
    return this.rooms.size;
  }

  private change(room: string, delta: 1 | -1): void {
    const channelId = channelOf(room);
    if (channelId === null) return;
    const before = this.rooms.get(channelId) ?? 0;
    const after = Math.max(0, before + delta);
    if (after === 0) this.rooms.delete(channelId);
    else this.rooms.set(channelId, after);
    if (before === 0 && after === 1) this.apply('follow', channelId);
    else if (before === 1 && after === 0) {
      this.unfollowed(channelId);
      this.apply('unfollow', channelId);
    }
  }

  private apply(op: 'follow' | 'unfollow', channelId: string): void {
    // A follow that fails (Redis down) is retried by the subscriber's resubscription on reconnect.
    this.messages[op](channelId).catch((err: Error) => this.logger.warn(`channel.${op}_failed`, { channelId, err }));
  }
}

/** The channel whose events a room needs, or null for user, token and presence rooms. */
function channelOf(room: string): string | null {
  if (room.startsWith(CHANNEL_ROOM_PREFIX)) return room.slice(CHANNEL_ROOM_PREFIX.length);
  if (room.startsWith(THREAD_ROOM_PREFIX)) {
    const rest = room.slice(THREAD_ROOM_PREFIX.length);
    const colon = rest.indexOf(':');
    return colon > 0 ? rest.slice(0, colon) : null;
  }
  return null;
}
