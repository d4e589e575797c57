import { Inject, Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { toErrorBody } from './gateway-error';
import { LOGGER, type JsonLogger } from './logger';
import { MetricsService } from '../metrics/metrics.service';
import { InvalidFrameGuard } from '../socket/invalid-frame.guard';
import { markActiveSpanError } from '../tracing/spans';
import { Broadcaster } from '../socket/broadcaster';

/**
 * The one place handler errors become answers (the EventDispatcher hands it every error): an
 * `{ ok: false, error }` ack when the client passed a callback, else an `{entity}:error` event.
 * Unknown errors are logged with their stack here and reach the client only as INTERNAL_ERROR.
 */
@Injectable()
export class WsExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
    private readonly invalidFrames: InvalidFrameGuard,
    private readonly broadcaster: Broadcaster,
  ) {}

  respond(socket: Socket, event: string, ack: ((r: unknown) => void) | undefined, exception: unknown): void {
    const body = toErrorBody(exception);
    this.metrics.errors.inc({ code: body.code });
    markActiveSpanError(body.code);
    this.metrics.events.inc({ event, result: body.code });
    if (body.code === 'RATE_LIMITED') this.metrics.rateLimited.inc({ event });
    const userId = (socket?.data as { user?: { userId: string } } | undefined)?.user?.userId;
    if (body.code === 'INTERNAL_ERROR') this.logger.error('event.failed', { userId, metadata: { event }, err: exception });
    else this.logger.debugEvent('event.refused', { userId, metadata: { event, code: body.code } });
    if (typeof ack === 'function') {
      ack({ ok: false, error: body });
    } else if (socket && typeof socket.emit === 'function') {
      const entity = event.split(':')[0] || 'unknown';
      this.broadcaster.toLocalSocket(socket, `${entity}:error`, { ...body, event });
    }
    if (body.code === 'INVALID_PAYLOAD' && socket?.data) this.invalidFrames.record(socket, 'invalid_payload');
  }
}
