import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ErrorCode } from '../contracts/events';
import { GatewayError, toErrorBody } from '../common/gateway-error';
import { LOGGER, type JsonLogger } from '../common/logger';
import { MetricsService } from '../metrics/metrics.service';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  INVALID_PAYLOAD: 400,
  AUTH_FAILED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CHANNEL_ERROR: 409,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  UNAVAILABLE: 503,
};

/** Server API errors use the socket ack shape: `{ ok: false, error: { code, message, retryAfterMs? } }`. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: JsonLogger, private readonly metrics: MetricsService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const res = host.switchToHttp().getResponse<Response>();
    const req = host.switchToHttp().getRequest<Request>();
    let err: unknown = exception;
    // Framework errors (malformed JSON, unknown route) keep their meaning in our shape.
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      err = new GatewayError(status === 404 ? 'NOT_FOUND' : status < 500 ? 'INVALID_PAYLOAD' : 'INTERNAL_ERROR', status === 404 ? 'no such endpoint' : exception.message);
    }
    const body = toErrorBody(err);
    this.metrics.errors.inc({ code: body.code });
    if (body.code === 'INTERNAL_ERROR') this.logger.error('api.failed', { metadata: { method: req.method, path: req.route?.path ?? 'unknown' }, err: exception });
    if (body.retryAfterMs) res.setHeader('retry-after', String(Math.ceil(body.retryAfterMs / 1000)));
    res.status(HTTP_STATUS[body.code]).json({ ok: false, error: body });
  }
}
