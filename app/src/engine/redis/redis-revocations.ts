import type { RevocationCheck, RevocationStore } from '../engine.ports';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/** A second revocation never shortens a mark, nor turns a permanent one (PTTL -1) into a timed one. */
const EXTEND_LUA = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 or ttl >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1`;

/**
 * Revoked token ids are keys that expire with their tokens; per-user "revoked before" marks live in
 * one sorted set (ZADD GT keeps the latest). Both share a hash tag, so both reads go to one node.
 */
export class RedisRevocations implements RevocationStore {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {}

  revokeJti(jti: string, until: number | null, now: number): Promise<void> {
    return this.runner.run('revoke_jti', async () => {
      const key = this.keys.revokedJti(jti);
      if (until === null) {
        await this.redis.set(key, '1');
        return;
      }
      const ttlMs = Math.ceil(until - now);
      if (ttlMs > 0) await this.redis.eval(EXTEND_LUA, 1, key, ttlMs);
    });
  }

  revokeUser(userId: string, before: number): Promise<void> {
    return this.runner.run('revoke_user', async () => {
      await this.redis.zadd(this.keys.revokedUsers, 'GT', before, userId);
    });
  }

  isRevoked(c: RevocationCheck): Promise<boolean> {
    return this.runner.run('is_revoked', async () => {
      // Two commands issued together: the command client's auto-pipelining sends them in one write.
      const [before, jtiRevoked] = await Promise.all([
        this.redis.zscore(this.keys.revokedUsers, c.userId),
        c.jti ? this.redis.exists(this.keys.revokedJti(c.jti)).then((n) => n === 1) : false,
      ]);
      return jtiRevoked || (before !== null && before !== undefined && (c.issuedAt ?? 0) < Number(before));
    });
  }
}
