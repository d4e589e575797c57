import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type JsonLogger } from '../common/logger';
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
    @Inject(LOGGER) private readonly logger: JsonLogger,
  ) {}

  async join(ctx: SocketContext, p: ChannelJoinPayload): Promise<ChannelJoinResult> {
    const { user } = ctx;
    if (!canAccessChannel(user, p.channelId)) throw new GatewayError('FORBIDDEN', `no grant for channel ${p.channelId}`);
    await this.admitJoin(user.userId, p);

    const room = rooms.channel(p.channelId);
    const wasInRoom = ctx.rooms.has(room);
    // Join the room before reading history: a message published in between then arrives live
    // and in the replay, and the client drops the duplicate by seq — it is never lost.
    ctx.rooms.join(room);
    let announced = false;
    try {
      // Joining the room made this instance follow the channel. What does not depend on that
      // subscription (the membership, the read cursor, the presence record) goes out with it;
      // the channel's position is read once it is confirmed, so no message falls between the
      // replay and the live stream. Two round trips after the rate limit, not four.
      const [, firstForUser, readSeq] = await Promise.all([
        this.engine.messages.follow(p.channelId),
        wasInRoom ? false : this.engine.membership.add(p.channelId, user.userId, ctx.socketKey).then((r) => r.firstForUser),
        this.engine.readCursors.get(p.channelId, user.userId),
        // The user's presence:changed goes to the channels their sockets joined.
        wasInRoom ? undefined : this.engine.presence.trackChannel(user.userId, p.channelId),
      ]);
      if (firstForUser) {
        this.coalescer.member(p.channelId, user.userId, true, ctx.socketId);
        this.webhooks.memberJoined(p.channelId, user.userId);
        announced = true;
      }
      const [meta, members] = await Promise.all([
        this.engine.messages.meta(p.channelId),
        this.engine.membership.members(p.channelId, MAX_MEMBERS_LISTED),
      ]);
      const replay = await this.replay(p, meta);
      return { channelId: p.channelId, epoch: meta.epoch, lastSeq: meta.lastSeq, members, ...replay, readSeq };
    } catch (err) {
      if (!wasInRoom) {
        ctx.rooms.leave(room);
        // The membership may have been added beside a step that failed: a socket that is not in
        // the room must not stay a member (a no-op when the add did not happen either).
        this.undoMembership(user.userId, ctx.socketKey, p.channelId, announced).catch((cleanup: Error) =>
          this.logger.warn('channel.join_undo_failed', { userId: user.userId, metadata: { channelId: p.channelId }, err: cleanup }));
      }
      throw err;
    }
  }

  private async undoMembership(userId: string, socketKey: string, channelId: string, announced: boolean): Promise<void> {
    const { lastForUser } = await this.engine.membership.remove(channelId, userId, socketKey, this.clock.now());
    if (lastForUser && announced) {
      this.coalescer.member(channelId, userId, false);
      this.webhooks.memberLeft(channelId, userId);
    }
  }

  /**
   * Rejoining a channel held moments ago (a reconnect) draws on a generous bucket, so a client
   * resubscribing to its 30 channels is never refused while fresh joins stay tightly limited.
   * A client that says where it left off (`sinceSeq`) claims a rejoin: its rejoin token goes out
   * with the membership check, one round trip instead of two. A wrong claim costs it that token
   * and still meets the fresh-join bucket.
   */
  private async admitJoin(userId: string, p: ChannelJoinPayload): Promise<void> {
    const recently = this.engine.membership.wasRecentlyMember(p.channelId, userId, this.config.rejoinGraceMs, this.clock.now());
    if (p.sinceSeq === undefined) {
      await this.rateLimits.check(userId, (await recently) ? 'channel:rejoin' : 'channel:join');
      return;
    }
    const [recent, rejoin] = await Promise.allSettled([recently, this.rateLimits.check(userId, 'channel:rejoin')]);
    if (recent.status === 'rejected') throw recent.reason;
    if (!recent.value) return this.rateLimits.check(userId, 'channel:join');
    if (rejoin.status === 'rejected') throw rejoin.reason;
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
