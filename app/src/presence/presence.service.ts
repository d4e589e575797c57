import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticatedUser, PresenceEntry, PresenceGetPayload, PresenceStatus } from '../contracts/events';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { LOGGER, type JsonLogger } from '../common/logger';
import type { SocketContext } from '../common/socket-context';
import { ENGINE, type Engine } from '../engine/engine.ports';
import { MAX_TRACKED_CHANNELS, type ChosenStatus, type ConnectAdmission, type ConnectLimits, type PresenceTransition } from '../engine/presence.port';
import { canAccessChannel } from '../auth/permissions';
import { MetricsService } from '../metrics/metrics.service';
import { WebhookService } from '../webhooks/webhook.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { rooms } from '../socket/rooms';
import { PresenceCoalescer } from './presence-coalescer';
import { isoOrNull, presenceEntry, visibleStatus } from './presence-view';

/** Most members listed by `presence:get { channelId }` (the same cap as `channel:join`'s members). */
export const MAX_CHANNEL_PRESENCE = 1000;

/**
 * Presence rules: a user is online while any socket is registered in the engine (any instance);
 * the chosen status survives reconnects; invisible looks offline to everyone else. Changes go to
 * `presence:global` and the user's channels, through the coalescer.
 */
@Injectable()
export class PresenceService {
  /**
   * This instance's sockets from their admission on: socketKey → user, the pending registration,
   * and whether the socket opened (an admitted socket whose handshake then failed is abandoned).
   */
  private readonly local = new Map<string, { userId: string; registered: Promise<void>; opened: boolean }>();
  /** userId → sockets on this instance, for the online_users gauge. */
  private readonly localUsers = new Map<string, number>();

  constructor(
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly rateLimits: RateLimitService,
    private readonly coalescer: PresenceCoalescer,
    private readonly metrics: MetricsService,
    private readonly webhooks: WebhookService,
  ) {}

  /**
   * Backends hear real connectivity (`user.online` / `user.offline` webhooks), invisible users
   * included: they are online for the system of record, only hidden from other users.
   */
  webhookOnline(userId: string, status: string): void {
    this.webhooks.emit('user.online', { userId, status });
  }

  webhookOffline(userId: string, lastSeen: number | null): void {
    this.webhooks.emit('user.offline', { userId, lastSeen: isoOrNull(lastSeen) });
  }

  /**
   * The handshake's per-user step (PresenceStore.admit): an admitted socket is registered in the
   * store and listed as this instance's at once, so a reconcile that runs before it opens keeps it.
   */
  admit(userId: string, socketKey: string, limits: ConnectLimits): Promise<ConnectAdmission> {
    return this.admitted(userId, socketKey, this.engine.presence.admit(userId, socketKey, limits, this.clock.now())) as Promise<ConnectAdmission>;
  }

  /**
   * Tracks an admission issued elsewhere (a handshake batch) the way `admit` does; null stands for
   * a handshake refused before admission (a revoked token), which registered nothing.
   */
  async admitted(userId: string, socketKey: string, admission: Promise<ConnectAdmission | null>): Promise<ConnectAdmission | null> {
    // Only an ordering barrier for disconnect; the caller gets (and answers) the failure itself.
    const entry = { userId, registered: admission.then(() => undefined, () => undefined), opened: false };
    this.local.set(socketKey, entry);
    const result = await admission.catch((err) => {
      this.local.delete(socketKey);
      throw err;
    });
    if (!result?.allowed) this.local.delete(socketKey);
    return result;
  }

  /** An admitted socket opened: it counts as online here, and the user is announced when it was their first. */
  opened(userId: string, socketKey: string, t: PresenceTransition & { first: boolean }): void {
    const entry = this.local.get(socketKey);
    if (entry) entry.opened = true;
    else this.local.set(socketKey, { userId, registered: Promise.resolve(), opened: true });
    this.localUsers.set(userId, (this.localUsers.get(userId) ?? 0) + 1);
    this.metrics.onlineUsers.set(this.localUsers.size);
    if (t.first && t.status !== 'invisible') this.announce(userId, 'offline', t.status, t.lastSeen, []);
    if (t.first) this.webhookOnline(userId, t.status);
  }

  /**
   * Takes back an admission whose socket never opened (refused after admission, or the client left
   * mid-handshake). Nothing is announced: the user was never shown online through this socket.
   */
  abandon(userId: string, socketKey: string): void {
    const entry = this.local.get(socketKey);
    if (!entry || entry.opened) return;
    this.local.delete(socketKey);
    entry.registered
      .then(() => this.engine.presence.disconnect(userId, socketKey, this.clock.now()))
      .catch((err) => this.logger.warn('presence.unregister_failed', { userId, err }));
  }

  /** Unregisters a socket; announces the user offline when it was their last anywhere. */
  async disconnected(userId: string, socketKey: string): Promise<void> {
    const entry = this.local.get(socketKey);
    if (entry) this.local.delete(socketKey);
    if (entry?.opened) {
      const left = (this.localUsers.get(userId) ?? 1) - 1;
      if (left > 0) this.localUsers.set(userId, left);
      else this.localUsers.delete(userId);
      this.metrics.onlineUsers.set(this.localUsers.size);
    }
    // A disconnect must not overtake its own connect, or the socket would stay registered.
    await entry?.registered;
    const t = await this.engine.presence.disconnect(userId, socketKey, this.clock.now());
    if (t.last && t.status !== 'invisible') this.announce(userId, t.status, 'offline', t.lastSeen, t.channels);
    if (t.last) this.webhookOffline(userId, t.lastSeen);
  }

  async update(user: AuthenticatedUser, status: ChosenStatus): Promise<{ status: ChosenStatus }> {
    await this.rateLimits.check(user.userId, 'presence:update');
    const r = await this.engine.presence.setStatus(user.userId, status, this.clock.now());
    const before = visibleStatus(r.previous, r.online);
    const after = visibleStatus(status, r.online);
    if (before !== after) this.announce(user.userId, before, after, r.lastSeen, await this.channelsOf(user.userId));
    return { status };
  }

  /**
   * `presence:get` for a socket. The channel form needs the grant; in the user form, users who
   * share no channel with the caller look like users never seen (offline, lastSeen null), unless
   * the caller is an admin or holds the `presence:all` claim.
   */
  async get(user: AuthenticatedUser, p: PresenceGetPayload): Promise<{ users: PresenceEntry[] }> {
    await this.rateLimits.check(user.userId, 'presence:get');
    if ('channelId' in p && !canAccessChannel(user, p.channelId)) throw new GatewayError('FORBIDDEN', `no grant for channel ${p.channelId}`);
    const result = await this.query(p, user.userId);
    if ('channelId' in p || seesAll(user)) return result;
    const visible = await this.coMembers(user.userId);
    return { users: result.users.map((u) => (u.userId === user.userId || visible.has(u.userId) ? u : { userId: u.userId, status: 'offline', lastSeen: null })) };
  }

  /** Users who are members of a channel the user is a member of now (bounded by MAX_TRACKED_CHANNELS). */
  private async coMembers(userId: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const channelId of await this.engine.presence.channelsOf(userId, MAX_TRACKED_CHANNELS)) {
      if (!(await this.engine.membership.isMember(channelId, userId))) continue;
      for (const member of await this.engine.membership.members(channelId, MAX_CHANNEL_PRESENCE)) out.add(member);
    }
    return out;
  }

  /** Presence of users or of a channel's members; `viewerId` null for backends (the server API). */
  async query(p: PresenceGetPayload, viewerId: string | null): Promise<{ users: PresenceEntry[] }> {
    const userIds = 'userIds' in p ? [...new Set(p.userIds)] : await this.engine.membership.members(p.channelId, MAX_CHANNEL_PRESENCE);
    if (userIds.length === 0) return { users: [] };
    const records = await this.engine.presence.get(userIds);
    return { users: records.map((r) => presenceEntry(r, viewerId)) };
  }

  /**
   * Every user's presence:changed (the `presence:global` room) is for admins and holders of the
   * `presence:all` claim; anyone else already hears the users they share a channel with through
   * the channel rooms, so their subscription is scoped to that (`scope: 'channels'`).
   */
  async subscribe(ctx: SocketContext): Promise<{ scope: 'all' | 'channels' }> {
    await this.rateLimits.check(ctx.user.userId, 'presence:subscribe');
    if (!seesAll(ctx.user)) return { scope: 'channels' };
    ctx.rooms.join(rooms.presenceGlobal);
    return { scope: 'all' };
  }

  async unsubscribe(ctx: SocketContext): Promise<void> {
    await this.rateLimits.check(ctx.user.userId, 'presence:unsubscribe');
    ctx.rooms.leave(rooms.presenceGlobal);
  }

  /** Called when one of the user's sockets joins a channel: the channel then hears their presence. */
  trackChannel(userId: string, channelId: string): Promise<void> {
    return this.engine.presence.trackChannel(userId, channelId);
  }

  /** Live sockets of this instance, for reconciliation. */
  localSockets(): Map<string, string> {
    return new Map([...this.local].map(([socketKey, e]) => [socketKey, e.userId]));
  }

  /**
   * Sends `presence:changed` to presence:global and the given channels. Used by the prune and
   * reconcile jobs too, so every "went offline" looks the same to clients.
   */
  announce(userId: string, from: PresenceStatus, to: PresenceStatus, lastSeen: number | null, channelIds: string[]): void {
    const targets = [rooms.presenceGlobal, ...channelIds.map((c) => rooms.channel(c))];
    this.coalescer.presence(targets, from, { userId, status: to, lastSeen: isoOrNull(lastSeen) });
    this.logger.debugEvent('presence.changed', { userId, metadata: { from, to, channels: channelIds.length } });
  }

  /** The channels the user is in now (recorded channels they since left are dropped). */
  private async channelsOf(userId: string): Promise<string[]> {
    const recorded = await this.engine.presence.channelsOf(userId, MAX_TRACKED_CHANNELS);
    const member = await Promise.all(recorded.map((c) => this.engine.membership.isMember(c, userId)));
    return recorded.filter((_, i) => member[i]);
  }
}

function seesAll(user: AuthenticatedUser): boolean {
  return user.roles.includes('admin') || user.presenceAll === true;
}
