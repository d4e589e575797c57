import type { RevocationCheck, RevocationStore } from '../engine.ports';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/**
 * Revoked token ids are keys that expire with their tokens; per-user "revoked before" marks live in
 * one sorted set (ZADD GT keeps the latest). Both share a hash tag so one pipeline reads both.
 */
export class RedisRevocations implements RevocationStore {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {}

  revokeJti(jti: string, expiresAt: number, now: number): Promise<void> {
    return this.runner.run('revoke_jti', async () => {
      const ttlMs = Math.ceil(expiresAt - now);
      if (ttlMs > 0) await this.redis.set(this.keys.revokedJti(jti), '1', 'PX', ttlMs);
    });
  }

  revokeUser(userId: string, before: number): Promise<void> {
    return this.runner.run('revoke_user', async () => {
      await this.redis.zadd(this.keys.revokedUsers, 'GT', before, userId);
    });
  }

  isRevoked(c: RevocationCheck): Promise<boolean> {
    return this.runner.run('is_revoked', async () => {
      const pipeline = this.redis.pipeline();
      pipeline.zscore(this.keys.revokedUsers, c.userId);
      if (c.jti) pipeline.exists(this.keys.revokedJti(c.jti));
      const replies = (await pipeline.exec()) ?? [];
      for (const [err] of replies) if (err) throw err;
      const before = replies[0]?.[1] as string | null;
      const jtiRevoked = c.jti ? Number(replies[1]?.[1]) === 1 : false;
      return jtiRevoked || (before !== null && before !== undefined && (c.issuedAt ?? 0) < Number(before));
    });
  }
}
