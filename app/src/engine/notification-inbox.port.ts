import type { GatewayNotification } from '../contracts/events';

/** Where one user's copy of a notification stands. */
export type NotificationState = 'pending' | 'delivered' | 'acked';

/**
 * One user's copy of a notification, with its delivery state. Each (notification, user) pair has
 * its own id, so a client acks exactly its own copies and the state of each is one record.
 */
export interface StoredNotification extends GatewayNotification {
  userId: string;
  state: NotificationState;
  /** ISO time the gateway first handed it to a connected socket of the user. */
  deliveredAt: string | null;
  /** ISO time the user confirmed it with `notification:ack`. */
  ackedAt: string | null;
  /** ms since epoch; past it the record is dropped (and, when unacked, reported undelivered). */
  expiresAt: number;
}

export interface InboxLimits {
  /** How long a record is kept, in ms. */
  ttlMs: number;
  /** Records kept per user; acked ones are dropped first, then the oldest unacked. */
  maxItems: number;
}

/**
 * The bounded per-user inbox of notifications. Unacked records are what `connection:ready`
 * redelivers; acked ones stay (until TTL or the bound) so their state remains queryable.
 */
export interface NotificationInbox {
  /**
   * Stores new records (state `pending`). Returns the unacked records pushed out by the per-user
   * bound, which were never confirmed (the caller reports them undelivered).
   */
  add(records: StoredNotification[], limits: InboxLimits): Promise<{ evicted: StoredNotification[] }>;
  /** A record by id, whoever it belongs to; null when unknown or expired. */
  get(id: string, now: number): Promise<StoredNotification | null>;
  /** Moves the user's `pending` records among `ids` to `delivered` (others are left alone). */
  markDelivered(userId: string, ids: string[], now: number): Promise<void>;
  /** Confirms the user's unacked records among `ids`; ids of other users are ignored. Returns how many changed. */
  ack(userId: string, ids: string[], now: number): Promise<number>;
  /** The ids among `ids` that the user holds and has not acked (a batch sends only those). */
  unackedAmong(userId: string, ids: string[]): Promise<string[]>;
  /** The user's unacked, unexpired records, oldest first. */
  unacked(userId: string, limit: number, now: number): Promise<StoredNotification[]>;
  /**
   * Drops up to `limit` records whose expiry has passed (oldest expiry first) and returns those
   * that were still unacked. Bounded work per call, for the maintenance job.
   */
  expire(now: number, limit: number): Promise<{ removed: number; unacked: StoredNotification[] }>;
}
