import type { HousekeepingStore, ScanPage } from '../housekeeping.port';
import type { RedisCommandRunner } from './redis-command-runner';
import { primariesOf, type RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { scriptsFor } from './lua-scripts';

/** Drops edit overlays of seqs below the stream's first entry (the trimmed ones). */
const TRIM_LUA = `
local trimmed = redis.call('XTRIM', KEYS[1], 'MAXLEN', tonumber(ARGV[1]))
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local firstSeq = first[1] and tonumber(string.match(first[1][1], '^(%d+)')) or math.huge
local fields = redis.call('HKEYS', KEYS[2])
for _, f in ipairs(fields) do
  if tonumber(f) < firstSeq then redis.call('HDEL', KEYS[2], f) end
end
return trimmed`;

/**
 * Deletes an idle channel only when it still has no members and its newest entry is still the
 * one the caller judged idle (ARGV[1], '' for none): a message that just arrived keeps it.
 */
const DROP_IDLE_LUA = `
if redis.call('SCARD', KEYS[4]) > 0 then return 0 end
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local newest = last[1] and last[1][1] or ''
if newest ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[5])
return 1`;

interface HousekeepingScripts {
  sgTrim(log: string, edits: string, maxLen: number): Promise<number>;
  sgDropIdle(meta: string, log: string, edits: string, members: string, leftAt: string, newestId: string): Promise<number>;
}

/**
 * Sweeps run SCAN on every primary (one on a single node or Sentinel group, each shard's on a
 * Cluster). The cursor handed back is `<primary index>:<that primary's SCAN cursor>` over the
 * primaries sorted by address; a failover during a sweep may make it visit a shard twice or miss
 * one until the next sweep, which is harmless for these idempotent jobs.
 */
export class RedisHousekeeping implements HousekeepingStore {
  private readonly scripts: HousekeepingScripts;

  constructor(private readonly redis: RedisClient, private readonly keys: RedisKeys, private readonly runner: RedisCommandRunner) {
    this.scripts = scriptsFor<HousekeepingScripts>(redis, {
      sgTrim: { numberOfKeys: 2, lua: TRIM_LUA },
      sgDropIdle: { numberOfKeys: 5, lua: DROP_IDLE_LUA },
    });
  }

  private async scanChannels(cursor: string, budget: number, suffix: string): Promise<{ next: string; channels: string[] }> {
    const primaries = primariesOf(this.redis).sort((a, b) => address(a).localeCompare(address(b)));
    const [indexPart, nodeCursor] = cursor.includes(':') ? cursor.split(':') : ['0', cursor];
    const index = Math.min(Number(indexPart) || 0, Math.max(0, primaries.length - 1));
    const node = primaries[index];
    if (!node) return { next: '0', channels: [] };
    const pattern = `${this.keys.prefix}:{ch:*}:${suffix}`;
    const [after, found] = await node.scan(nodeCursor || '0', 'MATCH', pattern, 'COUNT', Math.max(10, budget));
    const channels = found.map((k) => k.slice(`${this.keys.prefix}:{ch:`.length, -(`}:${suffix}`.length)));
    if (after !== '0') return { next: `${index}:${after}`, channels };
    return { next: index + 1 < primaries.length ? `${index + 1}:0` : '0', channels };
  }

  trimHistories(maxLen: number, cursor: string, budget: number): Promise<ScanPage & { trimmed: number }> {
    return this.runner.run('housekeeping_trim', async () => {
      const { next, channels } = await this.scanChannels(cursor, budget, 'log');
      let trimmed = 0;
      for (const ch of channels) trimmed += Number(await this.scripts.sgTrim(this.keys.log(ch), this.keys.edits(ch), maxLen));
      return { cursor: next, scanned: channels.length, trimmed };
    });
  }

  expireKeys(now: number, opts: { revocationRetentionMs: number; leftRetentionMs: number }): Promise<{ removed: number }> {
    return this.runner.run('housekeeping_expire', async () => {
      // jti keys, idempotency keys and rate buckets carry TTLs; only sorted-set marks need help.
      if (!Number.isFinite(opts.revocationRetentionMs)) return { removed: 0 };
      const removed = Number(await this.redis.zremrangebyscore(this.keys.revokedUsers, '-inf', now - opts.revocationRetentionMs));
      return { removed };
    });
  }

  dropIdleChannels(now: number, idleMs: number, cursor: string, budget: number): Promise<ScanPage & { dropped: number }> {
    return this.runner.run('housekeeping_idle', async () => {
      const { next, channels } = await this.scanChannels(cursor, budget, 'meta');
      let dropped = 0;
      for (const ch of channels) {
        const last = await this.newest(ch);
        if (last && now - last.at < idleMs) continue;
        dropped += Number(
          await this.scripts.sgDropIdle(this.keys.meta(ch), this.keys.log(ch), this.keys.edits(ch), this.keys.members(ch), this.keys.leftAt(ch), last?.id ?? ''),
        );
      }
      return { cursor: next, scanned: channels.length, dropped };
    });
  }

  /** Stream id and createdAt (ms) of the newest retained message, or null when there is none. */
  private async newest(channelId: string): Promise<{ id: string; at: number } | null> {
    const last = (await this.redis.xrevrange(this.keys.log(channelId), '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    if (last.length === 0) return null;
    const [id, fields] = last[0];
    try {
      return { id, at: Date.parse((JSON.parse(fields[fields.indexOf('m') + 1]) as { createdAt: string }).createdAt) };
    } catch {
      // An unreadable newest entry counts as old: orphan-cleanup may drop the channel, which is what it is for.
      return { id, at: 0 };
    }
  }
}

function address(node: { options: { host?: string; port?: number } }): string {
  return `${node.options.host ?? ''}:${String(node.options.port ?? 0).padStart(5, '0')}`;
}
