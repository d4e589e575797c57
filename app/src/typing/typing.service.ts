import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { TypingPayload } from '../contracts/events';
import { GatewayError } from '../common/gateway-error';
import type { SocketContext } from '../common/socket-context';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { Broadcaster } from '../socket/broadcaster';
import { rooms } from '../socket/rooms';

/** The server says `isTyping: false` itself this long after the last `true`. */
export const TYPING_EXPIRY_MS = 5000;

interface Typing {
  timer: NodeJS.Timeout;
  channelId: string;
  threadId?: string;
  userId: string;
  socketId: string;
}

/**
 * Typing indicators: relayed to the others in the channel as volatile emits (a lost indicator
 * is harmless, a queued one is noise). Each `true` arms a timer per socket, channel and thread
 * that sends `false` when the client goes quiet; an explicit `false` or a disconnect ends it.
 */
@Injectable()
export class TypingService implements OnApplicationShutdown {
  private readonly active = new Map<string, Typing>();

  constructor(
    private readonly rateLimits: RateLimitService,
    private readonly broadcaster: Broadcaster,
  ) {}

  async typing(ctx: SocketContext, p: TypingPayload): Promise<void> {
    if (!ctx.rooms.has(rooms.channel(p.channelId))) {
      throw new GatewayError('CHANNEL_ERROR', `join channel ${p.channelId} before typing in it`);
    }
    const key = keyOf(ctx.socketId, p.channelId, p.threadId);
    const running = this.active.get(key);
    // A stop that ends a running indicator always gets through (bounded by the starts, and others
    // must not see a stuck indicator); a stop with nothing running is relayed to the whole channel
    // for nothing, so it has a bucket of its own.
    if (p.isTyping) await this.rateLimits.check(ctx.user.userId, 'user:typing');
    else if (!running) await this.rateLimits.check(ctx.user.userId, 'user:typing_stop');
    if (running) clearTimeout(running.timer);
    if (!p.isTyping) {
      this.active.delete(key);
      this.relay(ctx.user.userId, ctx.socketId, p.channelId, p.threadId, false);
      return;
    }
    const entry: Typing = { channelId: p.channelId, threadId: p.threadId, userId: ctx.user.userId, socketId: ctx.socketId, timer: null as never };
    entry.timer = setTimeout(() => this.expire(key), TYPING_EXPIRY_MS);
    entry.timer.unref();
    this.active.set(key, entry);
    this.relay(ctx.user.userId, ctx.socketId, p.channelId, p.threadId, true);
  }

  /** A socket went away: whatever it was typing stops now. */
  socketClosed(socketId: string): void {
    for (const [key, t] of this.active) {
      if (t.socketId !== socketId) continue;
      clearTimeout(t.timer);
      this.active.delete(key);
      this.relay(t.userId, t.socketId, t.channelId, t.threadId, false);
    }
  }

  /** Sockets currently typing (tests, debugging). */
  get activeCount(): number {
    return this.active.size;
  }

  onApplicationShutdown(): void {
    for (const t of this.active.values()) clearTimeout(t.timer);
    this.active.clear();
  }

  private expire(key: string): void {
    const t = this.active.get(key);
    if (!t) return;
    this.active.delete(key);
    this.relay(t.userId, t.socketId, t.channelId, t.threadId, false);
  }

  private relay(userId: string, socketId: string, channelId: string, threadId: string | undefined, isTyping: boolean): void {
    this.broadcaster.volatileToChannel(channelId, 'user:typing', { channelId, ...(threadId ? { threadId } : {}), userId, isTyping }, socketId);
  }
}

function keyOf(socketId: string, channelId: string, threadId: string | undefined): string {
  return `${socketId}\u0000${channelId}\u0000${threadId ?? ''}`;
}
