import type { InboxLimits, NotificationInbox, NotificationState, StoredNotification } from '../notification-inbox.port';
import { NTF_ACK_LUA, NTF_ADD_LUA, NTF_DELIVERED_LUA, NTF_DROP_LUA } from './notification-inbox.lua';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { scriptsFor } from './lua-scripts';

interface InboxCommands {
  sgNtfAdd(data: string, state: string, unacked: string, acked: string, ...argv: Array<string | number>): Promise<string[]>;
  sgNtfDelivered(state: string, ...argv: Array<string | number>): Promise<number>;
  sgNtfAck(state: string, unacked: string, acked: string, ...argv: Array<string | number>): Promise<number>;
  sgNtfDrop(data: string, state: string, unacked: string, acked: string, ...ids: string[]): Promise<Array<number | string>>;
}

type Body = Omit<StoredNotification, 'state' | 'deliveredAt' | 'ackedAt'>;

/**
 * Per user, under one hash tag: bodies, delivery states and two sorted sets (unacked / acked) by
 * creation time, updated by scripts. Outside the tag: an id → user index for lookups by id and
 * one expiry sorted set that the maintenance job pages through (both are written after the
 * inbox; a lost index entry only makes `get` answer null, never loses a notification).
 */
export class RedisNotificationInbox implements NotificationInbox {
  private readonly scripts: InboxCommands;

  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {
    this.scripts = scriptsFor<InboxCommands>(redis, {
      sgNtfAdd: { numberOfKeys: 4, lua: NTF_ADD_LUA },
      sgNtfDelivered: { numberOfKeys: 1, lua: NTF_DELIVERED_LUA },
      sgNtfAck: { numberOfKeys: 3, lua: NTF_ACK_LUA },
      sgNtfDrop: { numberOfKeys: 4, lua: NTF_DROP_LUA },
    });
  }

  add(records: StoredNotification[], limits: InboxLimits): Promise<{ evicted: StoredNotification[] }> {
    return this.runner.run('notification_add', async () => {
      const byUser = new Map<string, StoredNotification[]>();
      for (const r of records) byUser.set(r.userId, [...(byUser.get(r.userId) ?? []), r]);
      const expiryArgs: Array<string | number> = [];
      const owners: Promise<unknown>[] = [];
      for (const r of records) {
        expiryArgs.push(r.expiresAt, JSON.stringify([r.userId, r.id]));
        owners.push(this.redis.set(this.keys.notificationOwner(r.id), r.userId, 'PX', limits.ttlMs));
      }
      const replies = await Promise.all([...byUser].map(([userId, list]) => {
        const argv: Array<string | number> = [limits.maxItems, limits.ttlMs];
        for (const r of list) argv.push(r.id, Date.parse(r.createdAt), JSON.stringify(body(r)));
        return this.scripts.sgNtfAdd(...this.inboxKeys(userId), ...argv);
      }));
      await Promise.all([...owners, records.length ? this.redis.zadd(this.keys.notificationExpiry, ...expiryArgs) : null]);
      return { evicted: replies.flatMap((flat) => pairs(flat.map(String))) };
    });
  }

  get(id: string, now: number): Promise<StoredNotification | null> {
    return this.runner.run('notification_get', async () => {
      const userId = await this.redis.get(this.keys.notificationOwner(id));
      if (userId === null) return null;
      const [json, state] = await Promise.all([
        this.redis.hget(this.keys.notificationInbox(userId, 'data'), id),
        this.redis.hget(this.keys.notificationInbox(userId, 'state'), id),
      ]);
      const r = json === null ? null : record(json, state ?? 'pending,,');
      return r && r.expiresAt > now ? r : null;
    });
  }

  markDelivered(userId: string, ids: string[], now: number): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.runner.run('notification_delivered', async () => {
      await this.scripts.sgNtfDelivered(this.keys.notificationInbox(userId, 'state'), now, ...ids);
    });
  }

  ack(userId: string, ids: string[], now: number): Promise<number> {
    return this.runner.run('notification_ack', async () => Number(await this.scripts.sgNtfAck(
      this.keys.notificationInbox(userId, 'state'),
      this.keys.notificationInbox(userId, 'unacked'),
      this.keys.notificationInbox(userId, 'acked'),
      now, ...ids,
    )));
  }

  unackedAmong(userId: string, ids: string[]): Promise<string[]> {
    return this.runner.run('notification_unacked_among', async () => {
      if (ids.length === 0) return [];
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.zscore(this.keys.notificationInbox(userId, 'unacked'), id);
      const replies = (await pipeline.exec()) ?? [];
      return ids.filter((_, i) => {
        const [err, score] = replies[i] ?? [];
        if (err) throw err;
        return score !== null && score !== undefined;
      });
    });
  }

  unacked(userId: string, limit: number, now: number): Promise<StoredNotification[]> {
    return this.runner.run('notification_unacked', async () => {
      const ids = await this.redis.zrange(this.keys.notificationInbox(userId, 'unacked'), '0', String(limit - 1));
      if (ids.length === 0) return [];
      const [bodies, states] = await Promise.all([
        this.redis.hmget(this.keys.notificationInbox(userId, 'data'), ...ids),
        this.redis.hmget(this.keys.notificationInbox(userId, 'state'), ...ids),
      ]);
      const out: StoredNotification[] = [];
      bodies.forEach((json, i) => {
        const r = json === null ? null : record(json, states[i] ?? 'pending,,');
        if (r && r.expiresAt > now) out.push(r);
      });
      return out;
    });
  }

  expire(now: number, limit: number): Promise<{ removed: number; unacked: StoredNotification[] }> {
    return this.runner.run('notification_expire', async () => {
      const members = await this.redis.zrangebyscore(this.keys.notificationExpiry, '-inf', now, 'LIMIT', 0, limit);
      if (members.length === 0) return { removed: 0, unacked: [] };
      const byUser = new Map<string, string[]>();
      for (const m of members) {
        const [userId, id] = JSON.parse(m) as [string, string];
        byUser.set(userId, [...(byUser.get(userId) ?? []), id]);
      }
      const replies = await Promise.all([...byUser].map(([userId, ids]) => this.scripts.sgNtfDrop(...this.inboxKeys(userId), ...ids)));
      await this.redis.zrem(this.keys.notificationExpiry, ...members);
      let removed = 0;
      const unacked: StoredNotification[] = [];
      for (const [count, ...rest] of replies) {
        removed += Number(count);
        unacked.push(...pairs(rest.map(String)));
      }
      return { removed, unacked };
    });
  }

  private inboxKeys(userId: string): [string, string, string, string] {
    return (['data', 'state', 'unacked', 'acked'] as const).map((p) => this.keys.notificationInbox(userId, p)) as [string, string, string, string];
  }
}

function body(r: StoredNotification): Body {
  return { id: r.id, userId: r.userId, type: r.type, priority: r.priority, payload: r.payload, createdAt: r.createdAt, expiresAt: r.expiresAt };
}

/** `state,deliveredAtMs,ackedAtMs` → the record's state fields. */
export function record(json: string, state: string): StoredNotification {
  const [s, delivered, acked] = state.split(',');
  const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);
  return { ...(JSON.parse(json) as Body), state: s as NotificationState, deliveredAt: iso(delivered), ackedAt: iso(acked) };
}

function pairs(flat: string[]): StoredNotification[] {
  const out: StoredNotification[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) if (flat[i]) out.push(record(flat[i], flat[i + 1]));
  return out;
}
