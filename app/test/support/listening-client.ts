import { io } from 'socket.io-client';
import type { ConnectionReady } from '../../src/contracts/events';
import type { TestSocket } from './clients';

const open: TestSocket[] = [];

/**
 * Connects with listeners for `events` registered before the handshake, for events the server
 * sends right after `connection:ready` (such as redelivered notifications), which a listener
 * added once `connect()` resolves could miss.
 */
export function connectListening<E extends string>(url: string, token: string, events: E[]): Promise<TestSocket & { ready: ConnectionReady; got: Record<E, any[]> }> {
  const socket: TestSocket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000 });
  open.push(socket);
  const got = Object.fromEntries(events.map((e) => [e, [] as any[]])) as Record<E, any[]>;
  for (const e of events) (socket as any).on(e, (p: unknown) => got[e].push(p));
  return new Promise((resolve, reject) => {
    socket.once('connection:ready', (ready) => resolve(Object.assign(socket, { ready, got })));
    socket.once('connect_error', (err) => reject(err));
  });
}

export function closeListening(): void {
  while (open.length) open.pop()!.disconnect();
}
