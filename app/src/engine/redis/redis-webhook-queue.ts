import type { ClaimedWebhook, DeadLetter, WebhookEvent, WebhookQueue } from '../webhook-queue.port';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { WH_ACK_LUA, WH_CLAIM_LUA, WH_DEAD_LUA, WH_ENQUEUE_LUA, WH_REQUEUE_LUA, WH_RETRY_LUA } from './webhook-queue.lua';
import { scriptsFor } from './lua-scripts';

type Arg = string | number;
interface QueueCommands {
  sgWhEnqueue(data: string, due: string, dead: string, ...argv: Arg[]): Promise<number>;
  sgWhClaim(due: string, attempts: string, data: string, ...argv: Arg[]): Promise<Array<string | number>>;
  sgWhAck(due: string, data: string, attempts: string, errors: string, id: string): Promise<number>;
  sgWhRetry(due: string, attempts: string, errors: string, ...argv: Arg[]): Promise<number>;
  sgWhDead(due: string, attempts: string, errors: string, dead: string, data: string, ...argv: Arg[]): Promise<number>;
  sgWhRequeue(dead: string, due: string, attempts: string, ...argv: Arg[]): Promise<number>;
}

/**
 * One sorted set `due` (id → ms when next visible) holds queued and in-flight events alike: a
 * claim pushes the score to the end of the visibility timeout, so an event whose worker died
 * becomes due again by itself. Bodies, attempt counters and last errors are hashes; dead letters
 * a sorted set by time of death. All keys share the `{wh}` tag.
 */
export class RedisWebhookQueue implements WebhookQueue {
  private readonly scripts: QueueCommands;
  private readonly k: Record<'data' | 'due' | 'attempts' | 'errors' | 'dead', string>;

  constructor(private readonly redis: RedisClient, keys: RedisKeys, private readonly runner: RedisCommandRunner) {
    this.scripts = scriptsFor<QueueCommands>(redis, {
      sgWhEnqueue: { numberOfKeys: 3, lua: WH_ENQUEUE_LUA },
      sgWhClaim: { numberOfKeys: 3, lua: WH_CLAIM_LUA },
      sgWhAck: { numberOfKeys: 4, lua: WH_ACK_LUA },
      sgWhRetry: { numberOfKeys: 3, lua: WH_RETRY_LUA },
      sgWhDead: { numberOfKeys: 5, lua: WH_DEAD_LUA },
      sgWhRequeue: { numberOfKeys: 3, lua: WH_REQUEUE_LUA },
    });
    this.k = { data: keys.webhooks('data'), due: keys.webhooks('due'), attempts: keys.webhooks('attempts'), errors: keys.webhooks('errors'), dead: keys.webhooks('dead') };
  }

  enqueue(events: WebhookEvent[], now: number): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return this.runner.run('webhook_enqueue', async () => {
      await this.scripts.sgWhEnqueue(this.k.data, this.k.due, this.k.dead, now, ...events.flatMap((e) => [e.id, JSON.stringify(e)]));
    });
  }

  claim(limit: number, visibilityMs: number, now: number): Promise<ClaimedWebhook[]> {
    return this.runner.run('webhook_claim', async () => {
      const flat = await this.scripts.sgWhClaim(this.k.due, this.k.attempts, this.k.data, now, limit, now + visibilityMs);
      const out: ClaimedWebhook[] = [];
      for (let i = 0; i + 2 < flat.length; i += 3) out.push({ attempt: Number(flat[i + 1]), event: JSON.parse(String(flat[i + 2])) as WebhookEvent });
      return out;
    });
  }

  ack(id: string): Promise<void> {
    return this.runner.run('webhook_ack', async () => {
      await this.scripts.sgWhAck(this.k.due, this.k.data, this.k.attempts, this.k.errors, id);
    });
  }

  retry(id: string, attempt: number, dueAt: number, error: string): Promise<void> {
    return this.runner.run('webhook_retry', async () => {
      await this.scripts.sgWhRetry(this.k.due, this.k.attempts, this.k.errors, id, attempt, dueAt, error);
    });
  }

  deadLetter(id: string, attempt: number, error: string, now: number, maxDead: number): Promise<void> {
    return this.runner.run('webhook_dead_letter', async () => {
      await this.scripts.sgWhDead(this.k.due, this.k.attempts, this.k.errors, this.k.dead, this.k.data, id, attempt, error, now, maxDead);
    });
  }

  deadLetters(limit: number): Promise<DeadLetter[]> {
    return this.runner.run('webhook_dead_letters', async () => {
      const rows = scorePairs(await this.redis.call('ZRANGE', this.k.dead, '0', String(limit - 1), 'WITHSCORES'));
      const ids = rows.map(([id]) => id);
      const deadAt = rows.map(([, score]) => score);
      if (ids.length === 0) return [];
      const [bodies, attempts, errors] = await Promise.all([
        this.redis.hmget(this.k.data, ...ids),
        this.redis.hmget(this.k.attempts, ...ids),
        this.redis.hmget(this.k.errors, ...ids),
      ]);
      const out: DeadLetter[] = [];
      ids.forEach((_, i) => {
        if (bodies[i] === null) return;
        out.push({ event: JSON.parse(bodies[i]!) as WebhookEvent, attempts: Number(attempts[i] ?? 0), lastError: errors[i] ?? '', deadAt: deadAt[i] });
      });
      return out;
    });
  }

  requeueDead(ids: string[] | null, limit: number, now: number): Promise<number> {
    if (ids?.length === 0) return Promise.resolve(0);
    return this.runner.run('webhook_requeue', async () => Number(await this.scripts.sgWhRequeue(this.k.dead, this.k.due, this.k.attempts, now, limit, ...(ids ?? []))));
  }

  depth(): Promise<number> {
    return this.runner.run('webhook_depth', async () => Number(await this.redis.zcard(this.k.due)));
  }
}

/** WITHSCORES replies are flat `[member, score, …]` under RESP2 and `[[member, score], …]` under RESP3. */
function scorePairs(reply: unknown): Array<[string, number]> {
  const rows = reply as Array<string | [string, string]>;
  if (rows.length > 0 && Array.isArray(rows[0])) return (rows as Array<[string, string]>).map(([m, sc]) => [m, Number(sc)]);
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < rows.length; i += 2) out.push([rows[i] as string, Number(rows[i + 1])]);
  return out;
}
