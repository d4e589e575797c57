/**
 * Ports for presence and read cursors (issue 3). Kept in their own file and referenced from
 * `engine.ports.ts`; one contract suite (`engine.contract.spec.ts`) runs them on both engines.
 */
import type { PresenceStatus } from '../contracts/events';

/** What a user chose with `presence:update`; `offline` is never chosen, it is the absence of sockets. */
export type ChosenStatus = Exclude<PresenceStatus, 'offline'>;

export interface PresenceRecord {
  userId: string;
  /** The chosen status (default `online`), also while the user has no socket. */
  status: ChosenStatus;
  /** True while the user has at least one socket on any instance. */
  online: boolean;
  /**
   * ms when the user was last visibly present (connect, disconnect or a status change while not
   * invisible); null when never seen. An invisible user's lastSeen does not move, so it reveals nothing.
   */
  lastSeen: number | null;
}

export interface PresenceTransition {
  userId: string;
  /** Chosen status at the time of the change. */
  status: ChosenStatus;
  lastSeen: number | null;
}

export interface PresenceSocketEntry { userId: string; socketKey: string }

/** The handshake's per-user limits: the connect bucket (the RateLimiter's arithmetic) and the socket cap. */
export interface ConnectLimits {
  capacity: number;
  windowMs: number;
  /** Most sockets one user may hold on every instance together (MAX_SOCKETS_PER_USER). */
  maxSockets: number;
}
export type ConnectAdmission =
  /** `sockets`: the user's sockets on every instance before this one, which is now registered. */
  | { allowed: true; sockets: number; transition: PresenceTransition & { first: boolean } }
  /** `retryAfterMs`: for `rate_limited`, ms until the bucket holds a token again (0 for `socket_limit`). */
  | { allowed: false; refusal: 'rate_limited' | 'socket_limit'; retryAfterMs: number; sockets: number };

export interface PresenceStore {
  /** Registers a socket (`${instanceId}/${socketId}`); `first` when the user had none anywhere. */
  connect(userId: string, socketKey: string, now: number): Promise<PresenceTransition & { first: boolean }>;
  /**
   * Removes a socket; `last` when it was the user's last one anywhere. Then `channels` holds the
   * channels recorded with `trackChannel` during the session (and the record is cleared).
   */
  disconnect(userId: string, socketKey: string, now: number): Promise<PresenceTransition & { last: boolean; channels: string[] }>;
  /** Sets the chosen status; returns the previous one and whether the user is online. */
  setStatus(userId: string, status: ChosenStatus, now: number): Promise<{ previous: ChosenStatus; online: boolean; lastSeen: number | null }>;
  get(userIds: string[]): Promise<PresenceRecord[]>;
  /** Sockets the user holds on every instance (the MAX_SOCKETS_PER_USER check). */
  socketCount(userId: string): Promise<number>;
  /**
   * The handshake's per-user step, in one call (one round trip): takes a token of the user's
   * connect bucket, refuses when the user already holds `maxSockets` sockets, and otherwise
   * registers the socket exactly as `connect` does. A socket refused later in the handshake is
   * removed with `disconnect`.
   */
  admit(userId: string, socketKey: string, limits: ConnectLimits, now: number): Promise<ConnectAdmission>;
  /** Records that one of the user's sockets joined the channel (the targets of the user's presence:changed). */
  trackChannel(userId: string, channelId: string): Promise<void>;
  /** Channels recorded for the user while online (may include channels since left; callers filter). */
  channelsOf(userId: string, limit: number): Promise<string[]>;
  /** Socket entries an instance holds (bounded scan batches), for reconciliation. */
  instanceSockets(instanceId: string): Promise<PresenceSocketEntry[]>;
  /** Instances that hold presence entries (live or dead), for reconciliation. */
  instancesWithSockets(): Promise<string[]>;
  /**
   * Removes every socket of the instance (dead or cleaned up) and reports the users whose last
   * socket that was, with the channels recorded for them.
   */
  pruneInstance(instanceId: string, now: number): Promise<{ removed: number; wentOffline: Array<PresenceTransition & { channels: string[] }> }>;
}

/** Per channel and user, the highest seq the user has read; it never moves backwards. */
export interface ReadCursorStore {
  /** Stores max(current, seq); `moved` when the stored cursor grew. */
  advance(channelId: string, userId: string, seq: number, now: number): Promise<{ seq: number; moved: boolean }>;
  /** 0 when the user has no cursor in the channel. */
  get(channelId: string, userId: string): Promise<number>;
}

/** An untouched user's chosen status, lastSeen and channel record are kept this long (Redis TTL). */
export const PRESENCE_RETENTION_MS = 30 * 24 * 3600_000;
/** A channel's read cursors are kept this long after the last read receipt in it (Redis TTL). */
export const READ_CURSOR_RETENTION_MS = 90 * 24 * 3600_000;
/** Most channels a user's presence:changed is sent to. */
export const MAX_TRACKED_CHANNELS = 1000;
