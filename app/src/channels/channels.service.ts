import { Inject, Injectable } from '@nestjs/common';
import { LOGGER, type JsonLogger } from '../common/logger';
import type { ChannelJoinPayload, ChannelJoinResult, ChatMessage } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import type { SocketContext } from '../common/socket-context';
import { ENGINE, type ChannelMeta, type Engine, type RangeResult } from '../engine/engine.ports';
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
    try {
      // Joining the room made this instance follow the channel. Everything else goes out in the
      // same round trip as the subscription: the membership, the read cursor, the presence record,
      // the member list (after the membership on the same connection) and, once the subscription
      // is confirmed, the channel's position and the replay, so no message falls between the
      // replay and the live stream. A channel this instance already follows is confirmed at once
      // (a microtask, so still in this round trip): one round trip after the rate limit; a channel
      // new to this instance waits for its SUBSCRIBE first.
      const position = this.engine.messages.follow(p.channelId).then(() => Promise.all([
        this.engine.messages.meta(p.channelId),
        p.sinceSeq === undefined ? null : this.engine.messages.range(p.channelId, { afterSeq: p.sinceSeq, limit: MAX_REPLAY }),
      ]));
      const [firstForUser, readSeq, , listed, [meta, range]] = await Promise.all([
        wasInRoom ? false : this.engine.membership.add(p.channelId, user.userId, ctx.socketKey).then((r) => r.firstForUser),
        this.engine.readCursors.get(p.channelId, user.userId),
        // The user's presence:changed goes to the channels their sockets joined.
        wasInRoom ? undefined : this.engine.presence.trackChannel(user.userId, p.channelId),
        this.engine.membership.members(p.channelId, MAX_MEMBERS_LISTED),
        position,
      ]);
      // Announced once every step succeeded: a join that fails is never seen by the others.
      if (firstForUser) {
        this.coalescer.member(p.channelId, user.userId, true, ctx.socketId);
        this.webhooks.memberJoined(p.channelId, user.userId);
      }
      // Read beside the membership write, the list may predate it (a script reloaded after a failover).
      const members = listed.includes(user.userId) || listed.length >= MAX_MEMBERS_LISTED ? listed : [...listed, user.userId];
      return { channelId: p.channelId, epoch: meta.epoch, lastSeq: meta.lastSeq, members, ...this.replay(p, meta, range), readSeq };
    } catch (err) {
      if (!wasInRoom) {
        ctx.rooms.leave(room);
        // The membership may have been added beside a step that failed: a socket that is not in
        // the room must not stay a member (a no-op when the add did not happen either).
        this.engine.membership.remove(p.channelId, user.userId, ctx.socketKey, this.clock.now()).catch((cleanup: Error) =>
          this.logger.warn('channel.join_undo_failed', { userId: user.userId, metadata: { channelId: p.channelId }, err: cleanup }));
      }
      throw err;
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

  /** Fills the gap after `sinceSeq` from the range read with the join, or says honestly (recovered: false) that it cannot. */
  private replay(p: ChannelJoinPayload, meta: ChannelMeta, range: RangeResult | null): Replay {
    const since = p.sinceSeq;
    if (since === undefined || range === null) return { missed: [], hasMore: false, recovered: true };
    const epochChanged = p.epoch !== undefined && p.epoch !== meta.epoch;
    if (epochChanged || since > meta.lastSeq) return { missed: [], hasMore: false, recovered: false };
    if (since === meta.lastSeq) return { missed: [], hasMore: false, recovered: true };
    const { messages, hasMore } = range;
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
