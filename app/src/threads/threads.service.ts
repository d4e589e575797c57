import { Injectable } from '@nestjs/common';
import type { ThreadPayload } from '../contracts/events';
import { GatewayError } from '../common/gateway-error';
import type { SocketContext } from '../common/socket-context';
import { canAccessChannel } from '../auth/permissions';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { rooms } from '../socket/rooms';

/**
 * Thread subscriptions. Joining a thread needs the channel's grant, not a join of the channel:
 * a client may follow one thread (e.g. a notification's "open thread") without receiving the
 * whole channel. The room is scoped by channel, so the same thread id in two channels never mixes.
 */
@Injectable()
export class ThreadsService {
  constructor(private readonly rateLimits: RateLimitService) {}

  async join(ctx: SocketContext, p: ThreadPayload): Promise<{ channelId: string; threadId: string }> {
    if (!canAccessChannel(ctx.user, p.channelId)) throw new GatewayError('FORBIDDEN', `no grant for channel ${p.channelId}`);
    await this.rateLimits.check(ctx.user.userId, 'thread:join');
    ctx.rooms.join(rooms.thread(p.channelId, p.threadId));
    return { channelId: p.channelId, threadId: p.threadId };
  }

  async leave(ctx: SocketContext, p: ThreadPayload): Promise<{ left: boolean }> {
    await this.rateLimits.check(ctx.user.userId, 'thread:leave');
    const room = rooms.thread(p.channelId, p.threadId);
    if (!ctx.rooms.has(room)) return { left: false };
    ctx.rooms.leave(room);
    return { left: true };
  }
}
