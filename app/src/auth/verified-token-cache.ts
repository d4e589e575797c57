import type { AuthenticatedUser } from '../contracts/events';

/** Most tokens remembered; past it the oldest entry goes (a reconnect storm reuses recent ones). */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;
/**
 * How long one verification stands in for the next: with a JWKS, a key withdrawn from the set
 * stops admitting a cached token within this time (its own `exp` still applies first).
 */
export const VERIFIED_TOKEN_CACHE_TTL_MS = 5 * 60_000;

/**
 * Claims of recently verified tokens, keyed by the token itself, so a reconnecting client does
 * not pay for its signature check again. Only tokens that passed every check are stored; the
 * caller re-checks the time-bound claims on each hit, and revocation is checked per handshake
 * elsewhere, so a hit never admits what a fresh verification would refuse for time reasons.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { user: AuthenticatedUser; until: number }>();

  constructor(private readonly maxSize = VERIFIED_TOKEN_CACHE_SIZE, private readonly ttlMs = VERIFIED_TOKEN_CACHE_TTL_MS) {}

  get(token: string, now: number): AuthenticatedUser | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.until <= now) {
      this.entries.delete(token);
      return undefined;
    }
    return hit.user;
  }

  set(token: string, user: AuthenticatedUser, now: number): void {
    if (this.entries.size >= this.maxSize && !this.entries.has(token)) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(token, { user, until: now + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }
}
