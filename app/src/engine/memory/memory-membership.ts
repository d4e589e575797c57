import type { MembershipStore } from '../engine.ports';

export class MemoryMembership implements MembershipStore {
  /** channelId → userId → socket keys */
  private readonly channels = new Map<string, Map<string, Set<string>>>();
  /** `${channelId}\u0000${userId}` → when the user's last socket left */
  private readonly leftAt = new Map<string, number>();

  async add(channelId: string, userId: string, socketKey: string): Promise<{ firstForUser: boolean }> {
    let users = this.channels.get(channelId);
    if (!users) this.channels.set(channelId, (users = new Map()));
    let sockets = users.get(userId);
    const firstForUser = !sockets || sockets.size === 0;
    if (!sockets) users.set(userId, (sockets = new Set()));
    sockets.add(socketKey);
    return { firstForUser };
  }

  async remove(channelId: string, userId: string, socketKey: string, now: number): Promise<{ lastForUser: boolean }> {
    const users = this.channels.get(channelId);
    const sockets = users?.get(userId);
    if (!users || !sockets || !sockets.delete(socketKey)) return { lastForUser: false };
    if (sockets.size > 0) return { lastForUser: false };
    users.delete(userId);
    if (users.size === 0) this.channels.delete(channelId);
    this.leftAt.set(`${channelId}\u0000${userId}`, now);
    return { lastForUser: true };
  }

  async members(channelId: string, limit: number): Promise<string[]> {
    return [...(this.channels.get(channelId)?.keys() ?? [])].slice(0, limit);
  }

  async isMember(channelId: string, userId: string): Promise<boolean> {
    return (this.channels.get(channelId)?.get(userId)?.size ?? 0) > 0;
  }

  async wasRecentlyMember(channelId: string, userId: string, withinMs: number, now: number): Promise<boolean> {
    if (await this.isMember(channelId, userId)) return true;
    const left = this.leftAt.get(`${channelId}\u0000${userId}`);
    return left !== undefined && now - left < withinMs;
  }

  /**
   * Removes every membership of the instance's sockets (socket keys `${instanceId}/${socketId}`)
   * and reports the users whose last socket that was.
   */
  async pruneInstance(instanceId: string, now: number): Promise<{ removed: number; lastForUser: Array<{ channelId: string; userId: string }> }> {
    const result = { removed: 0, lastForUser: [] as Array<{ channelId: string; userId: string }> };
    for (const [channelId, users] of [...this.channels]) {
      for (const [userId, sockets] of [...users]) {
        for (const socketKey of [...sockets]) {
          if (instanceOf(socketKey) !== instanceId) continue;
          const { lastForUser } = await this.remove(channelId, userId, socketKey, now);
          result.removed++;
          if (lastForUser) result.lastForUser.push({ channelId, userId });
        }
      }
    }
    return result;
  }

  /** Forgets "recently left" marks older than `olderThanMs`. */
  prune(now: number, olderThanMs: number): number {
    let n = 0;
    for (const [k, t] of this.leftAt) if (now - t >= olderThanMs) { this.leftAt.delete(k); n++; }
    return n;
  }

  channelCount(): number {
    return this.channels.size;
  }
}

/** Socket keys are `${instanceId}/${socketId}`; socket ids never contain `/`, instance ids might. */
function instanceOf(socketKey: string): string {
  const slash = socketKey.lastIndexOf('/');
  return slash < 0 ? socketKey : socketKey.slice(0, slash);
}
