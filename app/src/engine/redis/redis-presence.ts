import type { ChosenStatus, ConnectAdmission, ConnectLimits, PresenceRecord, PresenceSocketEntry, PresenceStore, PresenceTransition } from '../presence.port';
import { PRESENCE_ADMIT_LUA, PRESENCE_CONNECT_LUA, PRESENCE_READ_LUA, PRESENCE_READ_MANY_LUA, PRESENCE_DISCONNECT_LUA, PRESENCE_SET_STATUS_LUA, PRESENCE_TRACK_CHANNEL_LUA } from './presence.lua';
import type { RedisCommandRunner } from './redis-command-runner';
import { isCluster, type RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { scriptsFor } from './lua-scripts';

type AdmitReply = [number, number, number, number?, string?, string?];

interface PresenceCommands {
  sgPresenceRead(sockets: string, state: string): Promise<[string, string, number]>;
  sgPresenceReadMany(keyCount: number, ...keys: string[]): Promise<Array<string | number>>;
  sgPresenceAdmit(
    bucket: string, sockets: string, state: string, capacity: number, windowMs: number, now: number, maxSockets: number, socketKey: string, retentionMs: number,
  ): Promise<AdmitReply>;
  sgPresenceAdmitRecorded(
    bucket: string, sockets: string, state: string, instance: string, instances: string,
    capacity: number, windowMs: number, now: number, maxSockets: number, socketKey: string, retentionMs: number, entry: string, instanceId: string,
  ): Promise<AdmitReply>;
  sgPresenceConnect(sockets: string, state: string, socketKey: string, now: number, retentionMs: number): Promise<[number, string, string]>;
  sgPresenceDisconnect(sockets: string, state: string, channels: string, socketKey: string, now: number, retentionMs: number): Promise<[number, string, string, string[]]>;
  sgPresenceSetStatus(sockets: string, state: string, status: string, now: number, retentionMs: number): Promise<[string, number, string]>;
  sgPresenceTrackChannel(channels: string, channelId: string, max: number, retentionMs: number): Promise<number>;
}

export interface RedisPresenceOptions {
  /** How long an untouched user's status, lastSeen and socket set are kept. */
  retentionMs: number;
  /** Most channels recorded per user as targets of their presence:changed. */
  maxTrackedChannels: number;
}

/** SSCAN batch size for instance sets. */
const SCAN_BATCH = 200;

/**
 * Per user (hash tag `{pr:<userId>}`): the set of socket keys, a state hash (status, lastSeen),
 * the set of channels joined while online and the connect-rate bucket (in the same slot, so the
 * handshake's admission is one script). Each socket is also recorded under its instance
 * (like memberships), so a dead instance's sockets are found without scanning the keyspace; the
 * set `presence:instances` lists the instances that hold any, for reconciliation.
 */
export class RedisPresence implements PresenceStore {
  private readonly scripts: PresenceCommands;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly runner: RedisCommandRunner,
    private readonly opts: RedisPresenceOptions,
  ) {
    this.scripts = scriptsFor<PresenceCommands>(redis, {
      sgPresenceRead: { numberOfKeys: 2, lua: PRESENCE_READ_LUA },
      // The key count is the first argument: one script for any number of users.
      sgPresenceReadMany: { lua: PRESENCE_READ_MANY_LUA },
      sgPresenceAdmit: { numberOfKeys: 3, lua: PRESENCE_ADMIT_LUA },
      sgPresenceAdmitRecorded: { numberOfKeys: 5, lua: PRESENCE_ADMIT_LUA },
      sgPresenceConnect: { numberOfKeys: 2, lua: PRESENCE_CONNECT_LUA },
      sgPresenceDisconnect: { numberOfKeys: 3, lua: PRESENCE_DISCONNECT_LUA },
      sgPresenceSetStatus: { numberOfKeys: 2, lua: PRESENCE_SET_STATUS_LUA },
      sgPresenceTrackChannel: { numberOfKeys: 1, lua: PRESENCE_TRACK_CHANNEL_LUA },
    });
  }

  connect(userId: string, socketKey: string, now: number): Promise<PresenceTransition & { first: boolean }> {
    return this.runner.run('presence_connect', async () => {
      const instanceId = instanceOf(socketKey);
      // The instance record is written in the same round trip so that no socket exists that
      // pruneInstance would not find.
      const [, , [first, status, seen]] = await Promise.all([
        this.redis.sadd(this.instanceKey(instanceId), entryOf(userId, socketKey)),
        this.redis.sadd(this.instancesKey, instanceId),
        this.scripts.sgPresenceConnect(this.userKey(userId, 'sockets'), this.userKey(userId, 'state'), socketKey, now, this.opts.retentionMs),
      ]);
      return { userId, status: status as ChosenStatus, lastSeen: parseSeen(seen), first: Number(first) === 1 };
    });
  }

  disconnect(userId: string, socketKey: string, now: number): Promise<PresenceTransition & { last: boolean; channels: string[] }> {
    return this.runner.run('presence_disconnect', async () => {
      const [result] = await Promise.all([
        this.disconnectScript(userId, socketKey, now),
        this.redis.srem(this.instanceKey(instanceOf(socketKey)), entryOf(userId, socketKey)),
      ]);
      return result;
    });
  }

  setStatus(userId: string, status: ChosenStatus, now: number): Promise<{ previous: ChosenStatus; online: boolean; lastSeen: number | null }> {
    return this.runner.run('presence_set_status', async () => {
      const [previous, online, seen] = await this.scripts.sgPresenceSetStatus(
        this.userKey(userId, 'sockets'), this.userKey(userId, 'state'), status, now, this.opts.retentionMs,
      );
      return { previous: previous as ChosenStatus, online: Number(online) === 1, lastSeen: parseSeen(seen) };
    });
  }

  get(userIds: string[]): Promise<PresenceRecord[]> {
    return this.runner.run('presence_get', async () => {
      const replies = await this.read(userIds);
      return userIds.map((userId, i) => {
        const [status, seen, count] = replies[i];
        return { userId, status: (status || 'online') as ChosenStatus, online: Number(count) > 0, lastSeen: parseSeen(seen) };
      });
    });
  }

  /**
   * One script for all the users on one node; on a Cluster one per user (their keys sit in
   * different slots), issued together so that they leave in one write per node.
   */
  private async read(userIds: string[]): Promise<Array<[string, string, number]>> {
    if (isCluster(this.redis) || userIds.length === 1) {
      return Promise.all(userIds.map((userId) => this.scripts.sgPresenceRead(this.userKey(userId, 'sockets'), this.userKey(userId, 'state'))));
    }
    const keys = userIds.flatMap((userId) => [this.userKey(userId, 'sockets'), this.userKey(userId, 'state')]);
    const flat = await this.scripts.sgPresenceReadMany(keys.length, ...keys);
    return userIds.map((_, i) => [String(flat[3 * i]), String(flat[3 * i + 1]), Number(flat[3 * i + 2])]);
  }

  socketCount(userId: string): Promise<number> {
    return this.runner.run('presence_socket_count', () => this.redis.scard(this.userKey(userId, 'sockets')));
  }

  admit(userId: string, socketKey: string, limits: ConnectLimits, now: number): Promise<ConnectAdmission> {
    return this.runner.run('presence_admit', async () => {
      const [code, retryAfterMs, sockets, first, status, seen] = isCluster(this.redis)
        ? await this.admitAcrossSlots(userId, socketKey, limits, now)
        : await this.scripts.sgPresenceAdmitRecorded(
          this.userKey(userId, 'connect-rate'), this.userKey(userId, 'sockets'), this.userKey(userId, 'state'),
          this.instanceKey(instanceOf(socketKey)), this.instancesKey,
          limits.capacity, limits.windowMs, now, limits.maxSockets, socketKey, this.opts.retentionMs, entryOf(userId, socketKey), instanceOf(socketKey),
        );
      if (Number(code) === 1) {
        return { allowed: true, sockets: Number(sockets), transition: { userId, status: status as ChosenStatus, lastSeen: parseSeen(seen ?? ''), first: Number(first) === 1 } };
      }
      return { allowed: false, refusal: Number(code) === 2 ? 'socket_limit' : 'rate_limited', retryAfterMs: Number(retryAfterMs), sockets: Number(sockets) };
    });
  }

  /**
   * On a Cluster the instance record lives in other slots than the user's keys: it goes out in the
   * same round trip as the admission, as in connect(), and a refused socket's record is taken back.
   */
  private async admitAcrossSlots(userId: string, socketKey: string, limits: ConnectLimits, now: number): Promise<AdmitReply> {
    const instanceId = instanceOf(socketKey);
    const entry = entryOf(userId, socketKey);
    const [reply] = await Promise.all([
      this.scripts.sgPresenceAdmit(
        this.userKey(userId, 'connect-rate'), this.userKey(userId, 'sockets'), this.userKey(userId, 'state'),
        limits.capacity, limits.windowMs, now, limits.maxSockets, socketKey, this.opts.retentionMs,
      ),
      this.redis.sadd(this.instanceKey(instanceId), entry),
      this.redis.sadd(this.instancesKey, instanceId),
    ]);
    // Not awaited: the refusal is what the caller needs now, and a record left behind by a failed
    // SREM names a socket that is not registered, which the next reconcile removes (a no-op disconnect).
    if (Number(reply[0]) !== 1) this.redis.srem(this.instanceKey(instanceId), entry).catch(() => undefined);
    return reply;
  }

  trackChannel(userId: string, channelId: string): Promise<void> {
    return this.runner.run('presence_track_channel', async () => {
      await this.scripts.sgPresenceTrackChannel(this.userKey(userId, 'channels'), channelId, this.opts.maxTrackedChannels, this.opts.retentionMs);
    });
  }

  channelsOf(userId: string, limit: number): Promise<string[]> {
    return this.runner.run('presence_channels', async () => {
      const out = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await this.redis.sscan(this.userKey(userId, 'channels'), cursor, 'COUNT', Math.max(limit, 10));
        for (const c of batch) if (out.size < limit) out.add(c);
        cursor = next;
      } while (cursor !== '0' && out.size < limit);
      return [...out];
    });
  }

  async instanceSockets(instanceId: string): Promise<PresenceSocketEntry[]> {
    const out: PresenceSocketEntry[] = [];
    let cursor = '0';
    do {
      // Each batch is its own engine command: a large instance takes longer than one deadline.
      const [next, batch] = await this.runner.run('presence_instance_sockets', () => this.redis.sscan(this.instanceKey(instanceId), cursor, 'COUNT', SCAN_BATCH));
      cursor = next;
      for (const entry of batch) out.push(parseEntry(entry));
    } while (cursor !== '0');
    return out;
  }

  instancesWithSockets(): Promise<string[]> {
    return this.runner.run('presence_instances', async () => {
      const ids = await this.redis.smembers(this.instancesKey);
      // An instance whose set emptied is dropped from the list lazily, here.
      const sizes = await Promise.all(ids.map((id) => this.redis.scard(this.instanceKey(id))));
      const empty = ids.filter((_, i) => Number(sizes[i]) === 0);
      if (empty.length > 0) await this.redis.srem(this.instancesKey, ...empty);
      return ids.filter((_, i) => Number(sizes[i]) > 0);
    });
  }

  async pruneInstance(instanceId: string, now: number): Promise<{ removed: number; wentOffline: Array<PresenceTransition & { channels: string[] }> }> {
    const setKey = this.instanceKey(instanceId);
    const result = { removed: 0, wentOffline: [] as Array<PresenceTransition & { channels: string[] }> };
    let cursor = '0';
    do {
      const [next, entries] = await this.runner.run('presence_prune', () => this.redis.sscan(setKey, cursor, 'COUNT', SCAN_BATCH));
      cursor = next;
      for (const entry of entries) {
        const { userId, socketKey } = parseEntry(entry);
        const t = await this.runner.run('presence_prune', async () => {
          const [res] = await Promise.all([this.disconnectScript(userId, socketKey, now), this.redis.srem(setKey, entry)]);
          return res;
        });
        result.removed++;
        if (t.last) result.wentOffline.push({ userId, status: t.status, lastSeen: t.lastSeen, channels: t.channels });
      }
    } while (cursor !== '0');
    await this.runner.run('presence_prune', () => this.redis.srem(this.instancesKey, instanceId));
    return result;
  }

  private async disconnectScript(userId: string, socketKey: string, now: number): Promise<PresenceTransition & { last: boolean; channels: string[] }> {
    const [last, status, seen, channels] = await this.scripts.sgPresenceDisconnect(
      this.userKey(userId, 'sockets'), this.userKey(userId, 'state'), this.userKey(userId, 'channels'), socketKey, now, this.opts.retentionMs,
    );
    return { userId, status: status as ChosenStatus, lastSeen: parseSeen(seen), last: Number(last) === 1, channels: channels ?? [] };
  }

  /** User ids are URI-encoded so that a `}` in one cannot change the hash tag. */
  private userKey(userId: string, part: 'sockets' | 'state' | 'channels' | 'connect-rate'): string {
    return this.keys.presenceUser(userId, part);
  }

  private instanceKey(instanceId: string): string {
    return this.keys.presenceInstance(instanceId);
  }

  private get instancesKey(): string {
    return this.keys.presenceInstances;
  }
}

export function parseSeen(seen: string | null): number | null {
  return seen ? Number(seen) : null;
}

export function entryOf(userId: string, socketKey: string): string {
  return JSON.stringify([userId, socketKey]);
}

function parseEntry(entry: string): PresenceSocketEntry {
  const [userId, socketKey] = JSON.parse(entry) as [string, string];
  return { userId, socketKey };
}

/** Socket keys are `${instanceId}/${socketId}`; socket ids never contain `/`, instance ids might. */
export function instanceOf(socketKey: string): string {
  const slash = socketKey.lastIndexOf('/');
  return slash < 0 ? socketKey : socketKey.slice(0, slash);
}
