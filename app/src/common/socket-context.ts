import type { AuthenticatedUser } from '../contracts/events';

/**
 * What a service may know of the calling connection: who it is and a narrow handle on its
 * room subscriptions. Services never hold a Socket; gateways build this from one.
 */
export interface SocketContext {
  readonly user: AuthenticatedUser;
  readonly socketId: string;
  /** `${instanceId}/${socketId}`, the key of this socket in shared membership state. */
  readonly socketKey: string;
  readonly rooms: RoomHandle;
}

export interface RoomHandle {
  has(room: string): boolean;
  join(room: string): void;
  leave(room: string): void;
}
