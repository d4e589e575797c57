import { hash } from 'node:crypto';
import type { AuthenticatedUser } from '../contracts/events';

/** Most tokens remembered; past it the oldest entry goes (a reconnect storm reuses recent ones). */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;
/**
 * How long one verification stands in for the next: with a JWKS, a key withdrawn from the set
 * stops admitting a cached token within this time (its own `exp` still applies first).
 */
export const VERIFIED_TOKEN_CACHE_TTL_MS = 5 * 60_000;

/**
 * Claims of recently verified tokens, so a reconnecting client does not pay for its verification
 * again. Keyed by the token's SHA-256, not the token: the cache holds no bearer credential a heap
 * dump could leak, and a hash costs a fraction of a verification. Only tokens that passed every
 * check are stored; the caller re-checks the time-bound claims on each hit, and revocation is
 * checked per handshake elsewhere, so a hit never admits what a fresh verification would refuse
 * for time reasons.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { user: AuthenticatedUser; until: number }>();

  constructor(private readonly maxSize = VERIFIED_TOKEN_CACHE_SIZE, private readonly ttlMs = VERIFIED_TOKEN_CACHE_TTL_MS) {}

  /** The key a token is stored under. */
  static keyOf(token: string): string {
    // The one-shot form: no Hash object for the collector to finalize.
    return hash('sha256', token, 'base64url');
  }

  get(key: string, now: number): AuthenticatedUser | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.user;
  }

  set(key: string, user: AuthenticatedUser, now: number): void {
    if (this.entries.size >= this.maxSize && !this.entries.has(key)) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, { user, until: now + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }

  /** The stored keys, oldest first (for tests: they are digests, never tokens). */
  keys(): string[] {
    return [...this.entries.keys()];
  }
}
