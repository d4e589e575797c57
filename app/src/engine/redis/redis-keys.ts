/**
 * Every Redis key of the engine. Keys of one channel share the `{ch:<id>}` hash tag so that the
 * scripts touching several of them stay within one Redis Cluster slot.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  private channel(channelId: string): string {
    return `${this.prefix}:{ch:${channelId}}`;
  }

  /** Pub/sub topic of the channel's MessageLog events; in the channel's slot, so SPUBLISH from its scripts works on a Cluster. */
  events(channelId: string): string {
    return `${this.channel(channelId)}:events`;
  }

  /** Hash: epoch, seq. */
  meta(channelId: string): string {
    return `${this.channel(channelId)}:meta`;
  }

  /** Stream of messages; entry ids are `<seq>-0`. */
  log(channelId: string): string {
    return `${this.channel(channelId)}:log`;
  }

  /** Hash: seq → JSON overlay of the message's edit or delete. */
  edits(channelId: string): string {
    return `${this.channel(channelId)}:edits`;
  }

  /** User ids are URI-encoded so that a `:` in one cannot make two (user, clientMsgId) pairs collide. */
  idempotency(channelId: string, userId: string, clientMsgId: string): string {
    return `${this.channel(channelId)}:idem:${encodeURIComponent(userId)}:${clientMsgId}`;
  }

  /** Set of the channel's member user ids. */
  members(channelId: string): string {
    return `${this.channel(channelId)}:members`;
  }

  /** Set of the user's socket keys in the channel. */
  memberSockets(channelId: string, userId: string): string {
    return `${this.channel(channelId)}:sockets:${encodeURIComponent(userId)}`;
  }

  /** Sorted set: userId → ms when the user's last socket left. */
  leftAt(channelId: string): string {
    return `${this.channel(channelId)}:left`;
  }

  /** Set of JSON `[channelId, userId, socketKey]` entries held by one gateway instance. */
  instanceMemberships(instanceId: string): string {
    return `${this.prefix}:{inst:${instanceId}}:memberships`;
  }

  rateBucket(key: string): string {
    return `${this.prefix}:rl:${key}`;
  }

  /** One user's presence (hash tag `{pr:<userId>}`): socket set, state hash, channels, connect bucket. */
  presenceUser(userId: string, part: 'sockets' | 'state' | 'channels' | 'connect-rate'): string {
    return `${this.prefix}:{pr:${encodeURIComponent(userId)}}:${part}`;
  }

  /** Set of `userId socketKey` entries registered through one instance. */
  presenceInstance(instanceId: string): string {
    return `${this.prefix}:{inst:${instanceId}}:presence`;
  }

  /** Set of instances holding presence entries. */
  get presenceInstances(): string {
    return `${this.prefix}:presence:instances`;
  }

  /** Revocation keys share one tag so `isRevoked` reads both in one round trip, on one node. */
  revokedJti(jti: string): string {
    return `${this.prefix}:{rev}:jti:${jti}`;
  }

  /** Sorted set: userId → ms before which the user's tokens are revoked. */
  get revokedUsers(): string {
    return `${this.prefix}:{rev}:users`;
  }

  /** Sorted set: cidr → expiry ms (+inf when permanent). */
  get ipBlocks(): string {
    return `${this.prefix}:ipblocks`;
  }

  /** Sorted set: instanceId → heartbeat expiry ms. Shares the `{instances}` tag with the stats, for one MULTI. */
  get instances(): string {
    return `${this.prefix}:{instances}`;
  }

  /** Hash: instanceId → JSON { stats, lastSeen }. */
  get instanceStats(): string {
    return `${this.prefix}:{instances}:stats`;
  }

  lock(name: string): string {
    return `${this.prefix}:lock:${name}`;
  }

  /** One user's notification inbox: `data` (hash id → JSON), `state` (hash), `unacked` / `acked` (sorted sets by creation). */
  notificationInbox(userId: string, part: 'data' | 'state' | 'unacked' | 'acked'): string {
    return `${this.prefix}:{ntf:${encodeURIComponent(userId)}}:${part}`;
  }

  /** notification id → its user id, so `GET /notifications/:id` finds the inbox. */
  notificationOwner(id: string): string {
    return `${this.prefix}:ntf:owner:${id}`;
  }

  /** Sorted set: JSON [userId, id] → expiry ms, read in bounded pages by the expiry job. */
  get notificationExpiry(): string {
    return `${this.prefix}:ntf:expiry`;
  }

  /** The webhook queue's keys share the `{wh}` tag so that its scripts stay in one slot. */
  webhooks(part: 'data' | 'due' | 'attempts' | 'errors' | 'dead'): string {
    return `${this.prefix}:{wh}:${part}`;
  }
}
