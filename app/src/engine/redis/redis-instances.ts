import type { InstanceInfo, InstanceRegistry } from '../engine.ports';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';

/**
 * A sorted set instanceId → heartbeat expiry, plus a hash of the instances' last stats. Expired
 * members stay until `forget`, so the maintenance job can find dead instances and prune them.
 * Both keys share one hash tag, so their MULTI runs on one Cluster slot.
 */
export class RedisInstances implements InstanceRegistry {
  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {}

  heartbeat(instanceId: string, stats: Record<string, unknown>, now: number, ttlMs: number): Promise<void> {
    return this.runner.run('instance_heartbeat', async () => {
      await this.redis
        .multi()
        .zadd(this.keys.instances, now + ttlMs, instanceId)
        .hset(this.keys.instanceStats, instanceId, JSON.stringify({ stats, lastSeen: now }))
        .exec();
    });
  }

  alive(now: number): Promise<InstanceInfo[]> {
    return this.runner.run('instance_alive', async () => {
      const ids = await this.redis.zrangebyscore(this.keys.instances, `(${now}`, '+inf');
      if (ids.length === 0) return [];
      const raw = await this.redis.hmget(this.keys.instanceStats, ...ids);
      return ids.map((instanceId, i) => {
        const parsed = raw[i] ? (JSON.parse(raw[i]!) as { stats: Record<string, unknown>; lastSeen: number }) : { stats: {}, lastSeen: 0 };
        return { instanceId, stats: parsed.stats, lastSeen: parsed.lastSeen };
      });
    });
  }

  lapsed(now: number): Promise<string[]> {
    return this.runner.run('instance_lapsed', async () => this.redis.zrangebyscore(this.keys.instances, '-inf', now, 'LIMIT', 0, 100));
  }

  forget(instanceId: string): Promise<void> {
    return this.runner.run('instance_forget', async () => {
      await this.redis.multi().zrem(this.keys.instances, instanceId).hdel(this.keys.instanceStats, instanceId).exec();
    });
  }
}
