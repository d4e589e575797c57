import type { IpBlock, IpBlockStore } from '../engine.ports';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/** One sorted set, cidr → expiry ms (+inf when permanent); `list` drops what has expired. */
export class RedisIpBlocks implements IpBlockStore {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {}

  block(cidr: string, ttlSec: number | null, now: number): Promise<void> {
    return this.runner.run('ip_block', async () => {
      await this.redis.zadd(this.keys.ipBlocks, ttlSec ? now + ttlSec * 1000 : '+inf', cidr);
    });
  }

  unblock(cidr: string): Promise<boolean> {
    return this.runner.run('ip_unblock', async () => Number(await this.redis.zrem(this.keys.ipBlocks, cidr)) === 1);
  }

  list(now: number): Promise<IpBlock[]> {
    return this.runner.run('ip_list', async () => {
      const [, reply] = await Promise.all([
        this.redis.zremrangebyscore(this.keys.ipBlocks, '-inf', now),
        this.redis.call('ZRANGE', this.keys.ipBlocks, '0', '-1', 'WITHSCORES'),
      ]);
      return scorePairs(reply).map(([cidr, score]) => ({ cidr, expiresAt: Number.isFinite(score) ? score : null }));
    });
  }
}

/** WITHSCORES replies are flat `[member, score, …]` under RESP2 and `[[member, score], …]` under RESP3. */
function scorePairs(reply: unknown): Array<[string, number]> {
  const rows = reply as Array<string | [string, string]>;
  if (rows.length > 0 && Array.isArray(rows[0])) return (rows as Array<[string, string]>).map(([m, s]) => [m, Number(s)]);
  const out: Array<[string, number]> = [];
  for (let i = 0; i < rows.length; i += 2) out.push([rows[i] as string, Number(rows[i + 1])]);
  return out;
}
