import type { RateDecision, RateLimiter } from '../engine.ports';
import { RATE_CONSUME_LUA } from './rate-limiter.lua';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { scriptsFor } from './lua-scripts';

interface RateCommands {
  sgRateConsume(key: string, capacity: number, windowMs: number, now: number, cost: number): Promise<[number, number, number]>;
}

/** Token buckets shared by every instance: one hash per key, updated by one script. */
export class RedisRateLimiter implements RateLimiter {
  private readonly scripts: RateCommands;

  constructor(redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {
    this.scripts = scriptsFor<RateCommands>(redis, {
      sgRateConsume: { numberOfKeys: 1, lua: RATE_CONSUME_LUA },
    });
  }

  consume(key: string, capacity: number, windowMs: number, now: number, cost = 1): Promise<RateDecision> {
    return this.runner.run('rate_consume', async () => {
      const [allowed, retryAfterMs, remaining] = await this.scripts.sgRateConsume(this.keys.rateBucket(key), capacity, windowMs, now, cost);
      return { allowed: Number(allowed) === 1, retryAfterMs: Number(retryAfterMs), remaining: Number(remaining) };
    });
  }
}
