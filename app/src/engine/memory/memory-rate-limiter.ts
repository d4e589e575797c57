import type { RateDecision, RateLimiter } from '../engine.ports';

/** Token buckets in a Map; idle buckets are dropped once full again so the map stays bounded. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number; capacity: number; windowMs: number }>();

  async consume(key: string, capacity: number, windowMs: number, now: number, cost = 1): Promise<RateDecision> {
    const ratePerMs = capacity / windowMs;
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now, capacity, windowMs };
    const tokens = Math.min(capacity, b.tokens + Math.max(0, now - b.at) * ratePerMs);
    if (tokens >= 1) {
      const left = Math.max(0, tokens - cost);
      this.buckets.set(key, { tokens: left, at: now, capacity, windowMs });
      return { allowed: true, retryAfterMs: 0, remaining: Math.floor(left) };
    }
    this.buckets.set(key, { tokens, at: now, capacity, windowMs });
    return { allowed: false, retryAfterMs: Math.max(1, Math.ceil((1 - tokens) / ratePerMs)), remaining: 0 };
  }

  /** Removes buckets that have refilled completely; returns how many were removed. */
  prune(now: number): number {
    let n = 0;
    for (const [k, b] of this.buckets) {
      if (b.tokens + (now - b.at) * (b.capacity / b.windowMs) >= b.capacity) { this.buckets.delete(k); n++; }
    }
    return n;
  }

  size(): number {
    return this.buckets.size;
  }
}
