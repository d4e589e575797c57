import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { AuthenticatedUser } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { LOGGER, type JsonLogger } from '../common/logger';
import { Broadcaster } from './broadcaster';

/** How often every local socket's outgoing buffer is looked at. */
export const SLOW_CONSUMER_SWEEP_MS = 500;

/** What the sweep reads of an Engine.IO connection (its public shape is not typed by socket.io). */
export interface BufferedConnection {
  writeBuffer?: Array<{ data?: unknown }>;
  transport?: { name?: string; writable?: boolean; socket?: { bufferedAmount?: number; terminate?: () => void } };
  close?(discard?: boolean): void;
}

/**
 * Outgoing bytes waiting for one connection: packets Engine.IO holds while its transport is busy,
 * plus what the WebSocket has not handed to the kernel yet. Stops counting past `limit`.
 */
export function bufferedBytes(conn: BufferedConnection, limit = Infinity): number {
  // Engine.IO marks its transport writable again only once the last frame reached the kernel, so
  // a writable transport with nothing queued holds nothing: the common case, two reads per socket.
  if (conn.transport?.writable === true && (conn.writeBuffer?.length ?? 0) === 0) return 0;
  let total = conn.transport?.name === 'websocket' ? conn.transport.socket?.bufferedAmount ?? 0 : 0;
  for (const packet of conn.writeBuffer ?? []) {
    const d = packet.data;
    total += typeof d === 'string' ? Buffer.byteLength(d) : Buffer.isBuffer(d) || d instanceof ArrayBuffer ? d.byteLength : 0;
    if (total > limit) break;
  }
  return total;
}

/**
 * Disconnects sockets whose outgoing buffer passed `MAX_SOCKET_BUFFER_BYTES`. A client that stops
 * reading (frozen tab, dead NAT mapping without RST, a hostile peer) otherwise keeps every
 * broadcast addressed to it in memory until the heartbeat notices (ping interval + timeout, 45 s
 * by default), which is unbounded under a flood. A sweep costs nothing per message; per socket, an
 * idle one costs two property reads (at 3,000 idle sockets the sweep was a third of an instance's
 * idle CPU before that shortcut).
 */
@Injectable()
export class SlowConsumerGuard implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly broadcaster: Broadcaster,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweep(), SLOW_CONSUMER_SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Returns how many sockets were cut. */
  sweep(): number {
    const limit = this.config.maxSocketBufferBytes;
    const slow: Array<{ socket: Socket; bytes: number }> = [];
    for (const socket of this.broadcaster.localSockets()) {
      const bytes = bufferedBytes(socket.conn as unknown as BufferedConnection, limit);
      if (bytes > limit) slow.push({ socket, bytes });
    }
    for (const { socket, bytes } of slow) this.cut(socket, bytes);
    return slow.length;
  }

  private cut(socket: Socket, bytes: number): void {
    const user = socket.data.user as AuthenticatedUser | undefined;
    this.logger.warn('connection.slow_consumer', { userId: user?.userId, metadata: { socketId: socket.id, bufferedBytes: bytes, limit: this.config.maxSocketBufferBytes } });
    const conn = socket.conn as unknown as BufferedConnection;
    // Socket.IO's own close waits for the buffer to drain, which a stalled reader never does:
    // run the disconnect cleanup, drop the buffered packets, and tear the TCP connection down.
    socket.disconnect(true);
    conn.close?.(true);
    conn.transport?.socket?.terminate?.();
  }
}
