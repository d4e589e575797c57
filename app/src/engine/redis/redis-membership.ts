import type { MembershipStore } from '../engine.ports';
import { MEMBER_ADD_LUA, MEMBER_REMOVE_LUA } from './membership.lua';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { scriptsFor } from './lua-scripts';

interface MembershipCommands {
  sgMemberAdd(members: string, sockets: string, userId: string, socketKey: string): Promise<number>;
  sgMemberRemove(members: string, sockets: string, leftAt: string, userId: string, socketKey: string, now: number, retentionMs: number): Promise<number>;
}

export interface PruneResult {
  removed: number;
  lastForUser: Array<{ channelId: string; userId: string }>;
}

export interface RedisMembershipOptions {
  /** How long "left at" marks are kept; at least the rejoin grace so `wasRecentlyMember` can see them. */
  leftRetentionMs: number;
}

/** SSCAN batch size when pruning an instance. */
const PRUNE_BATCH = 100;

/**
 * Per channel: a set of member user ids and, per member, the set of its socket keys, updated by
 * scripts so that first-join / last-leave are decided atomically across instances. Each socket
 * key's memberships are also recorded under its instance, so a dead instance's entries can be
 * pruned without scanning the keyspace.
 */
export class RedisMembership implements MembershipStore {
  private readonly scripts: MembershipCommands;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly runner: RedisCommandRunner,
    private readonly opts: RedisMembershipOptions,
  ) {
    this.scripts = scriptsFor<MembershipCommands>(redis, {
      sgMemberAdd: { numberOfKeys: 2, lua: MEMBER_ADD_LUA },
      sgMemberRemove: { numberOfKeys: 3, lua: MEMBER_REMOVE_LUA },
    });
  }

  add(channelId: string, userId: string, socketKey: string): Promise<{ firstForUser: boolean }> {
    return this.runner.run('member_add', async () => {
      // The instance record is written first (same round trip, separate slot) so no membership
      // can exist that pruneInstance would not find.
      const [, first] = await Promise.all([
        this.redis.sadd(this.keys.instanceMemberships(instanceOf(socketKey)), instanceEntry(channelId, userId, socketKey)),
        this.scripts.sgMemberAdd(this.keys.members(channelId), this.keys.memberSockets(channelId, userId), userId, socketKey),
      ]);
      return { firstForUser: Number(first) === 1 };
    });
  }

  remove(channelId: string, userId: string, socketKey: string, now: number): Promise<{ lastForUser: boolean }> {
    return this.runner.run('member_remove', async () => {
      const [last] = await Promise.all([
        this.removeScript(channelId, userId, socketKey, now),
        this.redis.srem(this.keys.instanceMemberships(instanceOf(socketKey)), instanceEntry(channelId, userId, socketKey)),
      ]);
      return { lastForUser: last };
    });
  }

  members(channelId: string, limit: number): Promise<string[]> {
    return this.runner.run('members', async () => {
      const out = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await this.redis.sscan(this.keys.members(channelId), cursor, 'COUNT', Math.max(limit, 10));
        for (const userId of batch) if (out.size < limit) out.add(userId);
        cursor = next;
      } while (cursor !== '0' && out.size < limit);
      return [...out];
    });
  }

  isMember(channelId: string, userId: string): Promise<boolean> {
    return this.runner.run('is_member', async () => Number(await this.redis.sismember(this.keys.members(channelId), userId)) === 1);
  }

  wasRecentlyMember(channelId: string, userId: string, withinMs: number, now: number): Promise<boolean> {
    return this.runner.run('was_recently_member', async () => {
      const [member, leftAt] = await Promise.all([
        this.redis.sismember(this.keys.members(channelId), userId),
        this.redis.zscore(this.keys.leftAt(channelId), userId),
      ]);
      if (Number(member) === 1) return true;
      return leftAt !== null && now - Number(leftAt) < withinMs;
    });
  }

  /**
   * Removes every membership of the instance's sockets (after the instance died without cleaning
   * up) and reports the users whose last socket that was, so member_left can be announced.
   */
  async pruneInstance(instanceId: string, now: number): Promise<PruneResult> {
    const setKey = this.keys.instanceMemberships(instanceId);
    const result: PruneResult = { removed: 0, lastForUser: [] };
    let cursor = '0';
    do {
      // Each batch is its own engine command: the whole prune may take longer than one deadline.
      const [next, entries] = await this.runner.run('prune_instance', () => this.redis.sscan(setKey, cursor, 'COUNT', PRUNE_BATCH));
      cursor = next;
      for (const entry of entries) {
        const [channelId, userId, socketKey] = JSON.parse(entry) as [string, string, string];
        const last = await this.runner.run('prune_instance', async () => {
          const [wasLast] = await Promise.all([
            this.removeScript(channelId, userId, socketKey, now),
            this.redis.srem(setKey, entry),
          ]);
          return wasLast;
        });
        result.removed++;
        if (last) result.lastForUser.push({ channelId, userId });
      }
    } while (cursor !== '0');
    return result;
  }

  private async removeScript(channelId: string, userId: string, socketKey: string, now: number): Promise<boolean> {
    const last = await this.scripts.sgMemberRemove(
      this.keys.members(channelId), this.keys.memberSockets(channelId, userId), this.keys.leftAt(channelId),
      userId, socketKey, now, this.opts.leftRetentionMs,
    );
    return Number(last) === 1;
  }
}

/** Socket keys are `${instanceId}/${socketId}`; socket ids never contain `/`, instance ids might. */
function instanceOf(socketKey: string): string {
  const slash = socketKey.lastIndexOf('/');
  return slash < 0 ? socketKey : socketKey.slice(0, slash);
}

function instanceEntry(channelId: string, userId: string, socketKey: string): string {
  return JSON.stringify([channelId, userId, socketKey]);
}
