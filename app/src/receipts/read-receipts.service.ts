import { Inject, Injectable } from '@nestjs/common';
import type { MessageReadPayload } from '../contracts/events';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import type { SocketContext } from '../common/socket-context';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { Broadcaster } from '../socket/broadcaster';
import { rooms } from '../socket/rooms';

/**
 * Read receipts: a per-user cursor per channel that only moves forwards (two tabs reporting out
 * of order cannot move it back). The channel hears about a receipt only when the cursor moved.
 */
@Injectable()
export class ReadReceiptsService {
  constructor(
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly rateLimits: RateLimitService,
    private readonly broadcaster: Broadcaster,
  ) {}

  async markRead(ctx: SocketContext, p: MessageReadPayload): Promise<{ seq: number }> {
    if (!ctx.rooms.has(rooms.channel(p.channelId))) {
      throw new GatewayError('CHANNEL_ERROR', `join channel ${p.channelId} before marking it read`);
    }
    await this.rateLimits.check(ctx.user.userId, 'message:read');
    const { lastSeq } = await this.engine.messages.meta(p.channelId);
    if (p.seq > lastSeq) throw new GatewayError('INVALID_PAYLOAD', `seq ${p.seq} is beyond the channel's last seq ${lastSeq}`);
    const { seq, moved } = await this.engine.readCursors.advance(p.channelId, ctx.user.userId, p.seq, this.clock.now());
    if (moved) this.broadcaster.toChannel(p.channelId, 'message:read', { channelId: p.channelId, userId: ctx.user.userId, seq });
    return { seq };
  }

  /** The user's cursor in the channel (0 when none), for `channel:join`'s `readSeq`. */
  readSeq(channelId: string, userId: string): Promise<number> {
    return this.engine.readCursors.get(channelId, userId);
  }
}
