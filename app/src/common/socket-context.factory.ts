import type { Socket } from 'socket.io';
import type { AuthenticatedUser } from '../contracts/events';
import type { SocketContext } from './socket-context';

/** A socket's key in shared state: unique across the fleet, and names the instance that holds it. */
export function socketKeyOf(instanceId: string, socketId: string): string {
  return `${instanceId}/${socketId}`;
}

/** Builds the service-facing view of a socket (see SocketContext). */
export function contextOf(socket: Socket, instanceId: string): SocketContext {
  return {
    get user() {
      return socket.data.user as AuthenticatedUser;
    },
    setUser: (user) => {
      socket.data.user = user;
    },
    socketId: socket.id,
    socketKey: socketKeyOf(instanceId, socket.id),
    rooms: {
      has: (room) => socket.rooms.has(room),
      join: (room) => void socket.join(room),
      leave: (room) => void socket.leave(room),
    },
  };
}
