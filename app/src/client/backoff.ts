/** Exponential backoff settings shared by reconnects, join retries and send retries. */
export interface BackoffOptions {
  /** First cap of the delay window. @default 500 */
  baseMs: number;
  /** Largest delay window. @default 10000 */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 10_000 };

/**
 * "Full jitter": a uniform delay in [0, min(max, base·2^attempt)). Spreading every client over
 * the whole window is what stops a fleet reconnecting in lockstep after an instance dies.
 * `attempt` counts from 0.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const window = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(random() * window);
}
