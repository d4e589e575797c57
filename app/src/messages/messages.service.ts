import { Inject, Injectable } from '@nestjs/common';
import type {
  ChatMessage, MessageDeletePayload, MessageEditPayload, MessageHistoryPayload, MessageHistoryResult,
  MessageSendPayload, MessageSendResult,
} from '../contracts/events';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import type { SocketContext } from '../common/socket-context';
import { ENGINE, RateLimitExceeded, type Engine, type RateBudget } from '../engine/engine.ports';
import { seqFromMessageId } from '../engine/message-id';
import { can, canAccessChannel } from '../auth/permissions';
import type { AuthenticatedUser } from '../contracts/events';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { Broadcaster } from '../socket/broadcaster';
import { rooms } from '../socket/rooms';
import { WebhookService } from '../webhooks/webhook.service';

export const DEFAULT_HISTORY_LIMIT = 50;

/** Input of a publish, from a socket or from the server API. */
export interface PublishInput {
  channelId: string;
  userId: string;
  content: string;
  clientMsgId: string;
  threadId?: string;
}

@Injectable()
export class MessagesService {
  constructor(
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly rateLimits: RateLimitService,
    private readonly broadcaster: Broadcaster,
    private readonly webhooks: WebhookService,
  ) {}

  async send(ctx: SocketContext, p: MessageSendPayload): Promise<MessageSendResult> {
    if (!ctx.rooms.has(rooms.channel(p.channelId))) {
      throw new GatewayError('CHANNEL_ERROR', `join channel ${p.channelId} before sending to it`);
    }
    if (!can(ctx.user, 'message:send')) throw new GatewayError('FORBIDDEN', 'this role may not send messages');
    // The sender's bucket is consumed by the append itself: one engine round trip per send.
    try {
      return await this.publish({ ...p, userId: ctx.user.userId }, this.rateLimits.budget(ctx.user.userId, 'message:send'));
    } catch (err) {
      if (err instanceof RateLimitExceeded) throw this.rateLimits.refusal('message:send', err.retryAfterMs);
      throw err;
    }
  }

  /** The one write path for messages: sockets and the server API (no `rate`) both land here. */
  async publish(input: PublishInput, rate?: RateBudget): Promise<MessageSendResult> {
    this.broadcaster.markReceived(input.channelId, input.userId, input.clientMsgId);
    const { message, duplicate } = await this.engine.messages.append({ ...input, now: this.clock.now(), ...(rate ? { rate } : {}) });
    if (!duplicate) {
      this.broadcaster.deliverAppended(message);
      this.webhooks.emit('message.created', { message });
    }
    return { messageId: message.id, seq: message.seq, createdAt: message.createdAt, ...(duplicate ? { duplicate: true } : {}) };
  }

  async edit(user: AuthenticatedUser, p: MessageEditPayload): Promise<{ message: ChatMessage }> {
    // Before the lookup: edits of unknown or foreign messages cost a store read each and must be limited too.
    await this.rateLimits.check(user.userId, 'message:edit');
    const { seq } = await this.ownedMessage(user, p.channelId, p.messageId, 'message:edit:any');
    const message = await this.engine.messages.update(p.channelId, seq, { content: p.content, by: user.userId, now: this.clock.now() });
    if (!message) throw new GatewayError('NOT_FOUND', 'message no longer retained');
    this.webhooks.emit('message.updated', { message, by: user.userId });
    return { message };
  }

  async delete(user: AuthenticatedUser, p: MessageDeletePayload): Promise<{ messageId: string }> {
    await this.rateLimits.check(user.userId, 'message:delete');
    const { seq } = await this.ownedMessage(user, p.channelId, p.messageId, 'message:delete:any');
    const message = await this.engine.messages.update(p.channelId, seq, { deleted: true, by: user.userId, now: this.clock.now() });
    if (!message) throw new GatewayError('NOT_FOUND', 'message no longer retained');
    this.webhooks.emit('message.deleted', { channelId: message.channelId, messageId: message.id, seq: message.seq, by: user.userId });
    return { messageId: message.id };
  }

  async history(user: AuthenticatedUser, p: MessageHistoryPayload): Promise<MessageHistoryResult> {
    if (!canAccessChannel(user, p.channelId)) throw new GatewayError('FORBIDDEN', `no grant for channel ${p.channelId}`);
    if (p.beforeSeq !== undefined && p.afterSeq !== undefined) {
      throw new GatewayError('INVALID_PAYLOAD', 'message:history takes beforeSeq or afterSeq, not both');
    }
    await this.rateLimits.check(user.userId, 'message:history');
    const meta = await this.engine.messages.meta(p.channelId);
    const page = await this.engine.messages.range(p.channelId, {
      beforeSeq: p.beforeSeq,
      afterSeq: p.afterSeq,
      limit: p.limit ?? DEFAULT_HISTORY_LIMIT,
      threadId: p.threadId,
    });
    return { ...page, epoch: meta.epoch };
  }

  /** Finds a retained, undeleted message the user may change: their own, or any with `anyPermission`. */
  private async ownedMessage(user: AuthenticatedUser, channelId: string, messageId: string, anyPermission: 'message:edit:any' | 'message:delete:any') {
    if (!canAccessChannel(user, channelId)) throw new GatewayError('FORBIDDEN', `no grant for channel ${channelId}`);
    const meta = await this.engine.messages.meta(channelId);
    const seq = seqFromMessageId(messageId, meta.epoch);
    const message = seq === null ? null : await this.engine.messages.get(channelId, seq);
    if (!message || message.deleted) throw new GatewayError('NOT_FOUND', 'message not found');
    if (message.userId !== user.userId && !can(user, anyPermission)) {
      throw new GatewayError('FORBIDDEN', 'only the author or a moderator may change this message');
    }
    return message;
  }
}
