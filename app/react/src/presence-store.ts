import type { GatewayClient, PresenceEntry } from '@socket-gateway/client';
import { ExternalStore, Shared } from './external-store';

/** The users whose presence to follow, or a channel whose members to follow. */
export type PresenceQuery = readonly string[] | string;

/** userId → presence; a new object only when an entry changed. */
export type PresenceMap = Readonly<Record<string, PresenceEntry>>;

/**
 * Presence for one query: read with `presence:get` on every (re)connection, then kept current by
 * `presence:changed` (the provider holds one `presence:subscribe` for all of them).
 */
export class PresenceStore extends ExternalStore<PresenceMap> {
  readonly shared = new Shared(() => this.start(), () => this.stop());
  private offs: Array<() => void> = [];
  private fetching = false;
  private again = false;

  constructor(private readonly client: GatewayClient, private readonly query: PresenceQuery, private readonly feed: Shared) {
    super({});
  }

  private start(): void {
    const client = this.client;
    this.feed.acquire();
    const refetch = () => this.refresh();
    const channelId = typeof this.query === 'string' ? this.query : null;
    this.offs = [
      client.on('connection:ready', refetch),
      client.on('presence:changed', (e) => {
        if (channelId === null && !this.query.includes(e.userId)) return;
        if (channelId !== null && !(e.userId in this.value)) return;
        this.set({ ...this.value, [e.userId]: e });
      }),
    ];
    if (channelId !== null) {
      // A channel's member list changes: read the newcomers' presence too.
      this.offs.push(client.on('channel:member_joined', (e) => e.channelId === channelId && refetch()));
    } else {
      // The gateway shows a user's presence only to those who share a channel with them: read again
      // when the user joins a channel, or one of the users joins a channel the user is in.
      this.offs.push(client.on('subscribed', refetch));
      this.offs.push(client.on('channel:member_joined', (e) => this.query.includes(e.userId) && refetch()));
    }
    if (client.state === 'connected') refetch();
  }

  private stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.feed.release();
  }

  /**
   * One `presence:get` at a time, and at most one more after it for every reason that came up
   * meanwhile: a reconnect rejoining many channels reads presence twice, not once per channel
   * (`presence:get` is rate-limited per user).
   */
  private refresh(): void {
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    void this.fetch().finally(() => {
      this.fetching = false;
      if (this.again) {
        this.again = false;
        this.refresh();
      }
    });
  }

  private async fetch(): Promise<void> {
    const query = typeof this.query === 'string' ? { channelId: this.query } : { userIds: [...this.query] };
    try {
      const { users } = await this.client.getPresence(query);
      const next: Record<string, PresenceEntry> = {};
      for (const u of users) next[u.userId] = u;
      if (!sameEntries(next, this.value)) this.set(next);
    } catch {
      // Not connected, or not allowed: the next connection:ready reads again.
    }
  }
}

function sameEntries(a: PresenceMap, b: PresenceMap): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] && b[k].status === a[k].status && b[k].lastSeen === a[k].lastSeen);
}
