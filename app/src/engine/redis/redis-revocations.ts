import type { RevocationCheck, RevocationStore } from '../engine.ports';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { scriptsFor } from './lua-scripts';

/** A second revocation never shortens a mark, nor turns a permanent one (PTTL -1) into a timed one. */
const EXTEND_LUA = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 or ttl >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
return 1`;

/**
 * KEYS: user marks (sorted set), the token's jti key ('' placeholder when the token has none)
 * ARGV: userId, has jti (0/1)
 * Returns { user mark ('' when none), jti revoked (0/1) }: the handshake's revocation read in one command.
 */
const IS_REVOKED_LUA = `
local before = redis.call('ZSCORE', KEYS[1], ARGV[1]) or ''
local jti = 0
if ARGV[2] == '1' then jti = redis.call('EXISTS', KEYS[2]) end
return {before, jti}`;

interface RevocationScripts {
  sgIsRevoked(users: string, jtiKey: string, userId: string, hasJti: string): Promise<[string, number]>;
}

/**
 * Revoked token ids are keys that expire with their tokens; per-user "revoked before" marks live in
 * one sorted set (ZADD GT keeps the latest). Both share a hash tag, so one script reads both.
 */
export class RedisRevocations implements RevocationStore {
  private readonly scripts: RevocationScripts;

  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {
    this.scripts = scriptsFor<RevocationScripts>(redis, {
      sgIsRevoked: { numberOfKeys: 2, lua: IS_REVOKED_LUA },
    });
  }

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
      // Without a jti the second key is only a placeholder in the same slot; the script skips it.
      const [mark, jti] = await this.scripts.sgIsRevoked(this.keys.revokedUsers, this.keys.revokedJti(c.jti ?? ''), c.userId, c.jti ? '1' : '0');
      const before = mark === '' ? null : mark;
      const jtiRevoked = Number(jti) === 1;
      return jtiRevoked || (before !== null && before !== undefined && (c.issuedAt ?? 0) < Number(before));
    });
  }
}
