import type { AuthenticatedUser } from '../contracts/events';

/**
 * What a service may know of the calling connection: who it is and a narrow handle on its
 * room subscriptions. Services never hold a Socket; gateways build this from one.
 */
export interface SocketContext {
  /** The connection's current user (changes on `auth:refresh`). */
  readonly user: AuthenticatedUser;
  readonly socketId: string;
  /** `${instanceId}/${socketId}`, the key of this socket in shared membership state. */
  readonly socketKey: string;
  readonly rooms: RoomHandle;
  /** Replaces the connection's user after a verified refresh (SessionService only). */
  setUser?(user: AuthenticatedUser): void;
}

export interface RoomHandle {
  has(room: string): boolean;
  join(room: string): void;
  leave(room: string): void;
}
