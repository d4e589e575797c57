import { Catch, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { toErrorBody } from './gateway-error';
import { LOGGER, type JsonLogger } from './logger';
import { MetricsService } from '../metrics/metrics.service';
import { markActiveSpanError } from '../tracing/spans';

/**
 * The one place handler errors become answers: an `{ ok: false, error }` ack when the client
 * passed a callback, else an `{entity}:error` event. Unknown errors are logged with their stack
 * here and reach the client only as INTERNAL_ERROR.
 */
@Catch()
export class WsExceptionFilter implements ExceptionFilter {
  constructor(
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // Args as bound by GatewayIoAdapter: [socket, data, ack, pattern].
    const [socket, , ack, pattern] = host.getArgs() as [Socket, unknown, unknown, string];
    const body = toErrorBody(exception);
    const event = typeof pattern === 'string' ? pattern : 'unknown';
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
      socket.emit(`${entity}:error`, { ...body, event });
    }
  }
}
