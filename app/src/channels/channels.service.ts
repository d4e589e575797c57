import { Inject, Injectable } from '@nestjs/common';
import type { ChannelJoinPayload, ChannelJoinResult, ChatMessage } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import type { SocketContext } from '../common/socket-context';
import { ENGINE, type ChannelMeta, type Engine } from '../engine/engine.ports';
import { canAccessChannel } from '../auth/permissions';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { PresenceCoalescer } from '../presence/presence-coalescer';
import { WebhookService } from '../webhooks/webhook.service';
import { rooms } from '../socket/rooms';

export const MAX_REPLAY = 100;
export const MAX_MEMBERS_LISTED = 1000;

interface Replay { missed: ChatMessage[]; hasMore: boolean; recovered: boolean }

@Injectable()
export class ChannelsService {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly rateLimits: RateLimitService,
    private readonly coalescer: PresenceCoalescer,
    private readonly webhooks: WebhookService,
  ) {}

  async join(ctx: SocketContext, p: ChannelJoinPayload): Promise<ChannelJoinResult> {
    const { user } = ctx;
    if (!canAccessChannel(user, p.channelId)) throw new GatewayError('FORBIDDEN', `no grant for channel ${p.channelId}`);
    const now = this.clock.now();
    // Rejoining a channel held moments ago (a reconnect) draws on a generous bucket, so a client
    // resubscribing to its 30 channels is never refused while fresh joins stay tightly limited.
    const rejoin = await this.engine.membership.wasRecentlyMember(p.channelId, user.userId, this.config.rejoinGraceMs, now);
    await this.rateLimits.check(user.userId, rejoin ? 'channel:rejoin' : 'channel:join');

    const room = rooms.channel(p.channelId);
    const wasInRoom = ctx.rooms.has(room);
    // Join the room before reading history: a message published in between then arrives live
    // and in the replay, and the client drops the duplicate by seq — it is never lost.
    ctx.rooms.join(room);
    try {
      // Joining the room made this instance follow the channel; history is read only once that
      // subscription is confirmed, so no message falls between the replay and the live stream.
      await this.engine.messages.follow(p.channelId);
      if (!wasInRoom) {
        const { firstForUser } = await this.engine.membership.add(p.channelId, user.userId, ctx.socketKey);
        if (firstForUser) {
          this.coalescer.member(p.channelId, user.userId, true, ctx.socketId);
          this.webhooks.memberJoined(p.channelId, user.userId);
        }
      }
      const meta = await this.engine.messages.meta(p.channelId);
      const [replay, members, readSeq] = await Promise.all([
        this.replay(p, meta),
        this.engine.membership.members(p.channelId, MAX_MEMBERS_LISTED),
        this.engine.readCursors.get(p.channelId, user.userId),
        // The user's presence:changed goes to the channels their sockets joined.
        wasInRoom ? undefined : this.engine.presence.trackChannel(user.userId, p.channelId),
      ]);
      return { channelId: p.channelId, epoch: meta.epoch, lastSeq: meta.lastSeq, members, ...replay, readSeq };
    } catch (err) {
      if (!wasInRoom) ctx.rooms.leave(room);
      throw err;
    }
  }

  /** Fills the gap after `sinceSeq`, or says honestly (recovered: false) that it cannot. */
  private async replay(p: ChannelJoinPayload, meta: ChannelMeta): Promise<Replay> {
    const since = p.sinceSeq;
    if (since === undefined) return { missed: [], hasMore: false, recovered: true };
    const epochChanged = p.epoch !== undefined && p.epoch !== meta.epoch;
    if (epochChanged || since > meta.lastSeq) return { missed: [], hasMore: false, recovered: false };
    if (since === meta.lastSeq) return { missed: [], hasMore: false, recovered: true };
    const { messages, hasMore } = await this.engine.messages.range(p.channelId, { afterSeq: since, limit: MAX_REPLAY });
    // The first retained message must follow sinceSeq directly; otherwise history was trimmed past it.
    if (messages.length === 0 || messages[0].seq !== since + 1) return { missed: [], hasMore: false, recovered: false };
    return { missed: messages, hasMore, recovered: true };
  }

  /** `channel:leave`: a bucket of its own per event (RATE_LIMIT_DEFAULT), like every client event. */
  async leave(ctx: SocketContext, channelId: string): Promise<{ left: boolean }> {
    await this.rateLimits.check(ctx.user.userId, 'channel:leave');
    return this.leaveRoom(ctx, channelId);
  }

  private async leaveRoom(ctx: SocketContext, channelId: string): Promise<{ left: boolean }> {
    const room = rooms.channel(channelId);
    if (!ctx.rooms.has(room)) return { left: false };
    ctx.rooms.leave(room);
    await this.removeMembership(ctx.user.userId, ctx.socketKey, channelId);
    return { left: true };
  }

  /**
   * After `auth:refresh`: grants are checked on join only, so a token that no longer grants a
   * channel (or a role that lost `join:any`) must also take the socket out of that channel and
   * its threads, else it would keep reading and writing there until it disconnects.
   */
  async leaveUngranted(ctx: SocketContext, joinedRooms: readonly string[]): Promise<string[]> {
    const dropped: string[] = [];
    for (const room of joinedRooms) {
      // Channel ids never contain ':', so the second segment of `channel:<id>` / `thread:<id>:<t>` is the channel.
      const m = /^(channel|thread):([^:]+)/.exec(room);
      if (!m || canAccessChannel(ctx.user, m[2])) continue;
      if (m[1] === 'thread') {
        ctx.rooms.leave(room);
      } else if ((await this.leaveRoom(ctx, m[2])).left) {
        dropped.push(m[2]);
      }
    }
    return dropped;
  }

  /** Called when a socket goes away: releases every channel membership it held. */
  async leaveAll(userId: string, socketKey: string, channelIds: string[]): Promise<void> {
    await Promise.all(channelIds.map((c) => this.removeMembership(userId, socketKey, c)));
  }

  private async removeMembership(userId: string, socketKey: string, channelId: string): Promise<void> {
    const { lastForUser } = await this.engine.membership.remove(channelId, userId, socketKey, this.clock.now());
    if (lastForUser) {
      this.coalescer.member(channelId, userId, false);
      this.webhooks.memberLeft(channelId, userId);
    }
  }
}
