import type { LockStore } from '../engine.ports';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { scriptsFor } from './lua-scripts';

/** Deletes the lock only when the caller still owns it. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** `SET NX PX` leases: the TTL frees a lock whose holder died mid-job. */
export class RedisLocks implements LockStore {
  private readonly scripts: { sgLockRelease(key: string, owner: string): Promise<number> };

  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {
    this.scripts = scriptsFor<typeof this.scripts>(redis, {
      sgLockRelease: { numberOfKeys: 1, lua: RELEASE },
    });
  }

  acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.runner.run('lock_acquire', async () => (await this.redis.set(this.keys.lock(name), owner, 'PX', ttlMs, 'NX')) === 'OK');
  }

  release(name: string, owner: string): Promise<void> {
    return this.runner.run('lock_release', async () => {
      await this.scripts.sgLockRelease(this.keys.lock(name), owner);
    });
  }
}
