/**
 * Ports for every piece of shared state. Each has a `memory` implementation (one instance, the
 * embedded default) and a `redis` one (many instances); one contract suite
 * (`engine.contract.spec.ts`) runs against both.
 *
 * Sequence numbers, history and idempotency keys share one port, MessageLog, because a send
 * must do all three atomically (and, in Redis, publish in the same script so that every
 * instance following the channel sees its messages in seq order).
 */
import type { ChatMessage } from '../contracts/events';
import type { HousekeepingStore } from './housekeeping.port';
import type { PresenceStore, ReadCursorStore } from './presence.port';
import type { NotificationInbox } from './notification-inbox.port';
import type { WebhookQueue } from './webhook-queue.port';
import type { HandshakeStore } from './handshake.port';

export type { HousekeepingStore } from './housekeeping.port';
export type { ChosenStatus, PresenceRecord, PresenceStore, PresenceTransition, ReadCursorStore } from './presence.port';
export type { NotificationInbox, StoredNotification, NotificationState, InboxLimits } from './notification-inbox.port';
export type { WebhookQueue, WebhookEvent, WebhookEventType, ClaimedWebhook, DeadLetter } from './webhook-queue.port';
export type { HandshakeStore, HandshakeRequest, HandshakeOutcome, HandshakeLimits } from './handshake.port';

export interface AppendInput {
  channelId: string;
  userId: string;
  content: string;
  clientMsgId: string;
  threadId?: string;
  /** ms since epoch, from the injected clock. */
  now: number;
  /**
   * The sender's rate bucket, consumed in the same step as the append (one round trip, except on
   * a Cluster, where the bucket lives in another slot). A duplicate takes no token; without one
   * left, nothing is stored and `append` rejects with RateLimitExceeded.
   */
  rate?: RateBudget;
}

/** A token bucket an engine call consumes in its own step: `capacity` tokens per `windowMs`. */
export interface RateBudget {
  key: string;
  capacity: number;
  windowMs: number;
}

/** The RateBudget given to an engine call had no token left. */
export class RateLimitExceeded extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`rate limited; retry in ${retryAfterMs} ms`);
  }
}

export interface AppendResult {
  message: ChatMessage;
  /** True when (channel, user, clientMsgId) was already stored: the original is returned and nothing is published. */
  duplicate: boolean;
}

export interface ChannelMeta {
  /** Changes whenever the channel's sequence could restart (history lost, store flushed). */
  epoch: string;
  /** Highest seq ever assigned in this epoch (0 when none). */
  lastSeq: number;
  /** Oldest seq still retained (0 when history is empty). */
  firstSeq: number;
}

export interface RangeQuery {
  /** Messages with seq > afterSeq, oldest first. */
  afterSeq?: number;
  /** The newest messages with seq < beforeSeq (returned oldest first). */
  beforeSeq?: number;
  limit: number;
  threadId?: string;
}

export interface RangeResult {
  messages: ChatMessage[];
  /** More messages match beyond this page (after it for afterSeq, before it otherwise). */
  hasMore: boolean;
}

export interface MessagePatch {
  content?: string;
  deleted?: true;
  /** Who edits or deletes (stored as editedBy / deletedBy). */
  by: string;
  /** ms since epoch */
  now: number;
}

/** Events the MessageLog publishes, in seq order per channel, to every instance following the channel. */
export type BusEvent =
  | { kind: 'message:new'; message: ChatMessage }
  | { kind: 'message:updated'; message: ChatMessage }
  | { kind: 'message:deleted'; channelId: string; messageId: string; seq: number; deletedBy: string };

export interface MessageLog {
  append(input: AppendInput): Promise<AppendResult>;
  get(channelId: string, seq: number): Promise<ChatMessage | null>;
  /** Applies an edit or a delete and publishes it; null when the message is not retained. */
  update(channelId: string, seq: number, patch: MessagePatch): Promise<ChatMessage | null>;
  range(channelId: string, query: RangeQuery): Promise<RangeResult>;
  /** Creates the channel's epoch on first use. */
  meta(channelId: string): Promise<ChannelMeta>;
  /** Registers the one local listener of the channels' events (the Broadcaster). */
  subscribe(listener: (event: BusEvent) => void): void;
  /**
   * Starts receiving one channel's events (its first local member joined); resolves once every
   * event published from then on will reach the listener. Idempotent.
   */
  follow(channelId: string): Promise<void>;
  /** Stops receiving one channel's events (its last local member left). Idempotent. */
  unfollow(channelId: string): Promise<void>;
}

export interface RateDecision {
  allowed: boolean;
  /** 0 when allowed; otherwise how long until one more event would be allowed. */
  retryAfterMs: number;
  /** Whole tokens left in the bucket after this decision. */
  remaining: number;
}

/** Token bucket: `capacity` events at once, refilled at `capacity` per `windowMs`. */
export interface RateLimiter {
  /**
   * Takes `cost` tokens (default 1) when the bucket holds at least one; a cost above what is left
   * empties it. A cost above 1 charges events already let through (the handshake flood guard's
   * batched background tokens); `allowed` then says whether any budget was left.
   */
  consume(key: string, capacity: number, windowMs: number, now: number, cost?: number): Promise<RateDecision>;
}

export interface RevocationCheck {
  userId: string;
  jti?: string;
  /** Token iat in ms; tokens without iat count as issued at 0. */
  issuedAt: number | null;
}

export interface RevocationStore {
  /** Revokes one token until `until` (ms), or forever when null. */
  revokeJti(jti: string, until: number | null, now: number): Promise<void>;
  /** Revokes every token of the user issued before `before` (ms). */
  revokeUser(userId: string, before: number): Promise<void>;
  isRevoked(check: RevocationCheck): Promise<boolean>;
}

export interface MembershipStore {
  /** `socketKey` is `${instanceId}/${socketId}` so that a dead instance's entries can be pruned. */
  add(channelId: string, userId: string, socketKey: string): Promise<{ firstForUser: boolean }>;
  remove(channelId: string, userId: string, socketKey: string, now: number): Promise<{ lastForUser: boolean }>;
  members(channelId: string, limit: number): Promise<string[]>;
  isMember(channelId: string, userId: string): Promise<boolean>;
  /** True when the user is a member now or left the channel less than `withinMs` ago. */
  wasRecentlyMember(channelId: string, userId: string, withinMs: number, now: number): Promise<boolean>;
  /**
   * Removes every membership of one instance's sockets (it died without cleaning up) and reports
   * the users whose last socket in a channel that was, so member_left can be announced.
   */
  pruneInstance(instanceId: string, now: number): Promise<{ removed: number; lastForUser: Array<{ channelId: string; userId: string }> }>;
}

export interface IpBlock { cidr: string; expiresAt: number | null }

export interface IpBlockStore {
  block(cidr: string, ttlSec: number | null, now: number): Promise<void>;
  unblock(cidr: string): Promise<boolean>;
  list(now: number): Promise<IpBlock[]>;
}

export interface InstanceInfo {
  instanceId: string;
  /** What the instance last reported about itself (connections, rooms, version, …). */
  stats: Record<string, unknown>;
  /** ms of the last heartbeat */
  lastSeen: number;
}

/** Which gateway instances are alive: each heartbeats with a TTL; a lapsed one is dead (SIGKILL). */
export interface InstanceRegistry {
  heartbeat(instanceId: string, stats: Record<string, unknown>, now: number, ttlMs: number): Promise<void>;
  /** Instances whose heartbeat has not lapsed. */
  alive(now: number): Promise<InstanceInfo[]>;
  /** Instances whose heartbeat lapsed and that nobody has cleaned up yet. */
  lapsed(now: number): Promise<string[]>;
  /** Removes an instance (after its state was pruned, or on clean shutdown). */
  forget(instanceId: string): Promise<void>;
}

/** Short leases so that one instance at a time runs a maintenance job. */
export interface LockStore {
  acquire(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases only when `owner` still holds it (a lease that expired and was retaken stays). */
  release(name: string, owner: string): Promise<void>;
}

export interface Engine {
  readonly kind: 'memory' | 'redis';
  readonly messages: MessageLog;
  readonly rateLimiter: RateLimiter;
  readonly revocations: RevocationStore;
  readonly membership: MembershipStore;
  readonly ipBlocks: IpBlockStore;
  readonly instances: InstanceRegistry;
  readonly locks: LockStore;
  readonly housekeeping: HousekeepingStore;
  readonly presence: PresenceStore;
  readonly readCursors: ReadCursorStore;
  readonly notifications: NotificationInbox;
  readonly webhooks: WebhookQueue;
  readonly handshakes: HandshakeStore;
  /**
   * True when other gateway instances share this state and are reached through the Socket.IO
   * adapter (inter-instance events are worth sending); false for one self-contained process.
   */
  readonly sharedAcrossInstances: boolean;
  /** Resolves when the backing store answers; rejects with EngineUnavailableError otherwise. */
  ping(): Promise<void>;
  /**
   * Connections for the Socket.IO Redis adapter (ready when resolved; closed with the engine), or
   * null when instances share no pub/sub (the memory engine keeps rooms in-process).
   */
  createAdapterClients(): Promise<{ pubClient: unknown; subClient: unknown } | null>;
  close(): Promise<void>;
}

export const ENGINE = Symbol('ENGINE');
