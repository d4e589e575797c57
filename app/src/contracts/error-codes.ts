/** Every error code an ack or a `connect_error` can carry (documented in the README, "Errors"). */
export const ERROR_CODES = [
  'AUTH_FAILED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'INVALID_PAYLOAD',
  'CHANNEL_ERROR',
  'NOT_FOUND',
  'UNAVAILABLE',
  'INTERNAL_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
