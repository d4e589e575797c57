import type { ErrorCode, GatewayErrorBody } from '../contracts/events';

/** Codes the SDK adds to the gateway's own error codes. */
export type ClientErrorCode =
  | ErrorCode
  /** no answer within the ack or connect timeout */
  | 'TIMEOUT'
  /** the connection dropped before the answer came */
  | 'DISCONNECTED'
  /** `close()` was called */
  | 'CLOSED'
  /** the offline queue is full */
  | 'QUEUE_FULL'
  /** the server could not be reached (network error) */
  | 'CONNECT_FAILED';

export class GatewayClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'GatewayClientError';
  }

  static fromBody(body: GatewayErrorBody): GatewayClientError {
    return new GatewayClientError(body.code, body.message, body.retryAfterMs);
  }
}

/** Errors worth retrying with the same request (sends reuse their clientMsgId). */
export function isRetryable(code: ClientErrorCode): boolean {
  return code === 'UNAVAILABLE' || code === 'RATE_LIMITED' || code === 'TIMEOUT';
}
