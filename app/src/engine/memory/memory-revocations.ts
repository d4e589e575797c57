import type { RevocationCheck, RevocationStore } from '../engine.ports';

export class MemoryRevocations implements RevocationStore {
  private readonly jtis = new Map<string, number>();
  private readonly users = new Map<string, number>();

  async revokeJti(jti: string, until: number | null, now: number): Promise<void> {
    const expiry = until ?? Infinity;
    if (expiry > now) this.jtis.set(jti, Math.max(expiry, this.jtis.get(jti) ?? 0));
  }

  async revokeUser(userId: string, before: number): Promise<void> {
    this.users.set(userId, Math.max(before, this.users.get(userId) ?? 0));
  }

  async isRevoked(c: RevocationCheck): Promise<boolean> {
    if (c.jti && this.jtis.has(c.jti)) return true;
    const before = this.users.get(c.userId);
    return before !== undefined && (c.issuedAt ?? 0) < before;
  }

  /**
   * Forgets jti entries whose tokens have expired anyway, and per-user marks older than
   * `userRetentionMs` (longer than any token lifetime, so every token they covered is expired;
   * Infinity keeps them).
   */
  prune(now: number, userRetentionMs = Infinity): number {
    let n = 0;
    for (const [k, exp] of this.jtis) if (exp <= now) { this.jtis.delete(k); n++; }
    for (const [u, before] of this.users) if (now - before > userRetentionMs) { this.users.delete(u); n++; }
    return n;
  }
}
