import type { ErrorCode, GatewayErrorBody } from '../contracts/events';

/** The only error type services throw on purpose; the exception filter turns it into an ack. */
export class GatewayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  toBody(): GatewayErrorBody {
    const body: GatewayErrorBody = { code: this.code, message: this.message };
    if (this.retryAfterMs !== undefined) body.retryAfterMs = this.retryAfterMs;
    return body;
  }
}

/** Thrown by engines when their backing store cannot be reached in time. */
export class EngineUnavailableError extends GatewayError {
  constructor(cause: string) {
    super('UNAVAILABLE', `state store unavailable: ${cause}`, 1000);
  }
}

/** Maps any thrown value to the documented error body; internal details never leave the server. */
export function toErrorBody(err: unknown): GatewayErrorBody {
  if (err instanceof GatewayError) return err.toBody();
  return { code: 'INTERNAL_ERROR', message: 'internal error' };
}
