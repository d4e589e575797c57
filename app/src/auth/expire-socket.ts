import type { Socket } from 'socket.io';

/** Tells the client its token ran out, then closes the connection (the SDK reconnects with a new token). */
export function expireSocket(socket: Socket): void {
  socket.emit('auth:expired', { reason: 'token expired without auth:refresh' });
  socket.disconnect(true);
}
