import { Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { AuthenticatedUser } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { MetricsService, type INVALID_FRAME_KINDS } from '../metrics/metrics.service';

const WINDOW_MS = 60_000;

export type InvalidFrameKind = (typeof INVALID_FRAME_KINDS)[number];

/**
 * Disconnects a socket that keeps sending well-formed frames no handler can use: payloads the
 * schema refuses (reported by the WsExceptionFilter), events without a handler (reported by the
 * EventDispatcher). Each costs a parse and an answer; a correct client sends none, and a buggy or
 * hostile one would otherwise loop forever. Malformed frames never get here: Socket.IO's parser
 * already closes the connection on the first one.
 */
@Injectable()
export class InvalidFrameGuard {
  /** Per socket, only once it sent an invalid frame: [window start, count]. */
  private readonly counts = new WeakMap<Socket, [number, number]>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
  ) {}

  /** Counts one invalid frame; returns true when it was the one that got the socket disconnected. */
  record(socket: Socket, kind: InvalidFrameKind): boolean {
    this.metrics.invalidFrames.inc({ kind });
    const now = this.clock.now();
    const entry = this.counts.get(socket);
    const count = entry && now - entry[0] < WINDOW_MS ? entry[1] + 1 : 1;
    this.counts.set(socket, [entry && count > 1 ? entry[0] : now, count]);
    if (count < this.config.maxInvalidFramesPerMinute || !socket.connected) return false;
    const user = socket.data.user as AuthenticatedUser | undefined;
    this.metrics.invalidFrameDisconnects.inc();
    this.logger.warn('connection.invalid_frames', {
      userId: user?.userId,
      metadata: { socketId: socket.id, invalidFrames: count, windowMs: WINDOW_MS, lastKind: kind },
    });
    // Not discarding: the ack of this last frame (INVALID_PAYLOAD) is flushed before the close.
    socket.disconnect(true);
    return true;
  }
}
