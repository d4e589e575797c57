import type { InboxLimits, NotificationInbox, StoredNotification } from '../notification-inbox.port';

interface UserInbox {
  /** id → record, in insertion (creation) order. */
  records: Map<string, StoredNotification>;
}

export class MemoryNotificationInbox implements NotificationInbox {
  private readonly users = new Map<string, UserInbox>();
  private readonly owner = new Map<string, string>();
  /** Sorted by expiresAt, so `expire` only looks at the front. */
  private expiries: Array<{ at: number; userId: string; id: string }> = [];

  async add(records: StoredNotification[], limits: InboxLimits): Promise<{ evicted: StoredNotification[] }> {
    const evicted: StoredNotification[] = [];
    for (const r of records) {
      let inbox = this.users.get(r.userId);
      if (!inbox) this.users.set(r.userId, (inbox = { records: new Map() }));
      inbox.records.set(r.id, { ...r });
      this.owner.set(r.id, r.userId);
      this.insertExpiry({ at: r.expiresAt, userId: r.userId, id: r.id });
      while (inbox.records.size > limits.maxItems) {
        const victim = [...inbox.records.values()].find((x) => x.state === 'acked') ?? inbox.records.values().next().value!;
        inbox.records.delete(victim.id);
        this.owner.delete(victim.id);
        if (victim.state !== 'acked') evicted.push(victim);
      }
    }
    return { evicted };
  }

  async get(id: string, now: number): Promise<StoredNotification | null> {
    const userId = this.owner.get(id);
    const r = userId === undefined ? undefined : this.users.get(userId)?.records.get(id);
    return r && r.expiresAt > now ? { ...r } : null;
  }

  async markDelivered(userId: string, ids: string[], now: number): Promise<void> {
    const records = this.users.get(userId)?.records;
    for (const id of ids) {
      const r = records?.get(id);
      if (r?.state === 'pending') Object.assign(r, { state: 'delivered', deliveredAt: new Date(now).toISOString() });
    }
  }

  async ack(userId: string, ids: string[], now: number): Promise<number> {
    const records = this.users.get(userId)?.records;
    let acked = 0;
    for (const id of new Set(ids)) {
      const r = records?.get(id);
      if (!r || r.state === 'acked') continue;
      Object.assign(r, { state: 'acked', ackedAt: new Date(now).toISOString() });
      acked++;
    }
    return acked;
  }

  async unackedAmong(userId: string, ids: string[]): Promise<string[]> {
    const records = this.users.get(userId)?.records;
    return ids.filter((id) => { const r = records?.get(id); return r !== undefined && r.state !== 'acked'; });
  }

  async unacked(userId: string, limit: number, now: number): Promise<StoredNotification[]> {
    const out: StoredNotification[] = [];
    for (const r of this.users.get(userId)?.records.values() ?? []) {
      if (out.length >= limit) break;
      if (r.state !== 'acked' && r.expiresAt > now) out.push({ ...r });
    }
    return out;
  }

  async expire(now: number, limit: number): Promise<{ removed: number; unacked: StoredNotification[] }> {
    let n = 0;
    while (n < this.expiries.length && n < limit && this.expiries[n].at <= now) n++;
    const due = this.expiries.splice(0, n);
    const unacked: StoredNotification[] = [];
    let removed = 0;
    for (const { userId, id } of due) {
      const inbox = this.users.get(userId);
      const r = inbox?.records.get(id);
      if (!inbox || !r) continue;
      inbox.records.delete(id);
      this.owner.delete(id);
      removed++;
      if (r.state !== 'acked') unacked.push(r);
      if (inbox.records.size === 0) this.users.delete(userId);
    }
    return { removed, unacked };
  }

  private insertExpiry(e: { at: number; userId: string; id: string }): void {
    let lo = 0;
    let hi = this.expiries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.expiries[mid].at <= e.at) lo = mid + 1;
      else hi = mid;
    }
    this.expiries.splice(lo, 0, e);
  }
}
