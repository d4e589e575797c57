import type Redis from 'ioredis';
import type { LockStore } from '../engine.ports';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisKeys } from './redis-keys';

/** Deletes the lock only when the caller still owns it. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** `SET NX PX` leases: the TTL frees a lock whose holder died mid-job. */
export class RedisLocks implements LockStore {
  constructor(private readonly redis: Redis, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {}

  acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.runner.run('lock_acquire', async () => (await this.redis.set(this.keys.lock(name), owner, 'PX', ttlMs, 'NX')) === 'OK');
  }

  release(name: string, owner: string): Promise<void> {
    return this.runner.run('lock_release', async () => {
      await this.redis.eval(RELEASE, 1, this.keys.lock(name), owner);
    });
  }
}
