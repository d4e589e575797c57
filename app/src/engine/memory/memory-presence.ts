import { MemoryRateLimiter } from './memory-rate-limiter';
import { MAX_TRACKED_CHANNELS } from '../presence.port';
import type { ChosenStatus, ConnectAdmission, ConnectLimits, PresenceRecord, PresenceSocketEntry, PresenceStore, PresenceTransition } from '../presence.port';

interface UserState {
  sockets: Set<string>;
  status: ChosenStatus;
  lastSeen: number | null;
  channels: Set<string>;
}

export class MemoryPresence implements PresenceStore {
  private readonly users = new Map<string, UserState>();
  /** instanceId → socketKey → userId */
  private readonly instances = new Map<string, Map<string, string>>();

  /** `rates`: the engine's buckets, so the housekeeping job prunes the connect buckets too. */
  constructor(private readonly rates: MemoryRateLimiter = new MemoryRateLimiter()) {}

  async connect(userId: string, socketKey: string, now: number): Promise<PresenceTransition & { first: boolean }> {
    const u = this.user(userId);
    const first = u.sockets.size === 0;
    u.sockets.add(socketKey);
    this.instanceOf(socketKey).set(socketKey, userId);
    if (u.status !== 'invisible') u.lastSeen = now;
    return { userId, status: u.status, lastSeen: u.lastSeen, first };
  }

  async disconnect(userId: string, socketKey: string, now: number): Promise<PresenceTransition & { last: boolean; channels: string[] }> {
    const u = this.user(userId);
    this.instances.get(instanceOf(socketKey))?.delete(socketKey);
    if (!u.sockets.delete(socketKey) || u.sockets.size > 0) return { userId, status: u.status, lastSeen: u.lastSeen, last: false, channels: [] };
    if (u.status !== 'invisible') u.lastSeen = now;
    const channels = [...u.channels];
    u.channels.clear();
    return { userId, status: u.status, lastSeen: u.lastSeen, last: true, channels };
  }

  async setStatus(userId: string, status: ChosenStatus, now: number): Promise<{ previous: ChosenStatus; online: boolean; lastSeen: number | null }> {
    const u = this.user(userId);
    const previous = u.status;
    u.status = status;
    const online = u.sockets.size > 0;
    // Going invisible is the moment others last saw the user; while invisible lastSeen stays put.
    if (online && (status !== 'invisible' || previous !== 'invisible')) u.lastSeen = now;
    return { previous, online, lastSeen: u.lastSeen };
  }

  async get(userIds: string[]): Promise<PresenceRecord[]> {
    return userIds.map((userId) => {
      const u = this.users.get(userId);
      return { userId, status: u?.status ?? 'online', online: (u?.sockets.size ?? 0) > 0, lastSeen: u?.lastSeen ?? null };
    });
  }

  async socketCount(userId: string): Promise<number> {
    return this.users.get(userId)?.sockets.size ?? 0;
  }

  async admit(userId: string, socketKey: string, limits: ConnectLimits, now: number): Promise<ConnectAdmission> {
    const { allowed, retryAfterMs } = await this.rates.consume(`conn:u:${userId}`, limits.capacity, limits.windowMs, now);
    const sockets = this.users.get(userId)?.sockets.size ?? 0;
    if (!allowed) return { allowed: false, refusal: 'rate_limited', retryAfterMs, sockets };
    if (sockets >= limits.maxSockets) return { allowed: false, refusal: 'socket_limit', retryAfterMs: 0, sockets };
    return { allowed: true, sockets, transition: await this.connect(userId, socketKey, now) };
  }

  async trackChannel(userId: string, channelId: string): Promise<void> {
    const channels = this.user(userId).channels;
    if (channels.size < MAX_TRACKED_CHANNELS) channels.add(channelId);
  }

  async channelsOf(userId: string, limit: number): Promise<string[]> {
    return [...(this.users.get(userId)?.channels ?? [])].slice(0, limit);
  }

  async instanceSockets(instanceId: string): Promise<PresenceSocketEntry[]> {
    return [...(this.instances.get(instanceId) ?? [])].map(([socketKey, userId]) => ({ userId, socketKey }));
  }

  async instancesWithSockets(): Promise<string[]> {
    return [...this.instances].filter(([, s]) => s.size > 0).map(([id]) => id);
  }

  async pruneInstance(instanceId: string, now: number): Promise<{ removed: number; wentOffline: Array<PresenceTransition & { channels: string[] }> }> {
    const entries = await this.instanceSockets(instanceId);
    const wentOffline: Array<PresenceTransition & { channels: string[] }> = [];
    for (const { userId, socketKey } of entries) {
      const { last, channels, status, lastSeen } = await this.disconnect(userId, socketKey, now);
      if (last) wentOffline.push({ userId, status, lastSeen, channels });
    }
    this.instances.delete(instanceId);
    return { removed: entries.length, wentOffline };
  }

  private user(userId: string): UserState {
    let u = this.users.get(userId);
    if (!u) this.users.set(userId, (u = { sockets: new Set(), status: 'online', lastSeen: null, channels: new Set() }));
    return u;
  }

  private instanceOf(socketKey: string): Map<string, string> {
    const id = instanceOf(socketKey);
    let m = this.instances.get(id);
    if (!m) this.instances.set(id, (m = new Map()));
    return m;
  }
}

/** Socket keys are `${instanceId}/${socketId}`; socket ids never contain `/`, instance ids might. */
function instanceOf(socketKey: string): string {
  const slash = socketKey.lastIndexOf('/');
  return slash < 0 ? socketKey : socketKey.slice(0, slash);
}
