import type { AuthenticatedUser } from '../contracts/events';
import { loadConfig } from '../config/config';
import { JsonLogger } from '../common/logger';
import type { SocketContext } from '../common/socket-context';
import { MemoryEngine } from '../engine/memory/memory.engine';
import { ShutdownHooks } from '../lifecycle/shutdown-hooks';
import { MaintenanceRegistry } from '../maintenance/maintenance.registry';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { Broadcaster } from '../socket/broadcaster';
import { recordRoomEvents } from '../../test/support/room-events';
import { PresenceCoalescer } from './presence-coalescer';
import { PresenceMaintenanceService } from './presence-maintenance.service';
import { PresenceService } from './presence.service';
import { WebhookService } from '../webhooks/webhook.service';

function setup() {
  const config = loadConfig({
    JWT_SECRET: 'x'.repeat(32), PRESENCE_COALESCE_MS: '0', INSTANCE_ID: 'self', PRESENCE_HEARTBEAT_MS: '1000',
    WEBHOOK_URL: 'http://127.0.0.1:9/hooks', WEBHOOK_SECRET: 'w'.repeat(32),
  });
  const engine = new MemoryEngine({ historyMaxLen: 10, idempotencyTtlSec: 60 });
  let now = 1_700_000_000_000;
  const clock = { now: () => now };
  const logger = new JsonLogger('silent');
  const metrics = new MetricsService(undefined, false);
  const broadcaster = new Broadcaster(engine, logger, metrics);
  const emitted = recordRoomEvents(broadcaster);
  const coalescer = new PresenceCoalescer(config, engine, logger, broadcaster, new ShutdownHooks());
  const webhooks = new WebhookService(config, engine, clock, logger, new ShutdownHooks());
  const service = new PresenceService(engine, clock, logger, new RateLimitService(config, engine, clock), coalescer, metrics, webhooks);
  const registry = new MaintenanceRegistry(config, engine, clock, logger, metrics);
  const maintenance = new PresenceMaintenanceService(config, engine, clock, logger, registry, broadcaster, service, coalescer, webhooks);
  const user = (userId: string, channels = ['*']): AuthenticatedUser => ({ userId, roles: ['member'], channels, expiresAt: null, issuedAt: null });
  const ctx = (userId: string): SocketContext & { joined: Set<string> } => {
    const joined = new Set<string>();
    return { user: user(userId), socketId: 's', socketKey: 'self/s', joined, rooms: { has: (r) => joined.has(r), join: (r) => void joined.add(r), leave: (r) => void joined.delete(r) } };
  };
  /** Webhook event types that reached the shared queue, in order. */
  const webhookTypes = async () => {
    await webhooks.flush();
    return (await engine.webhooks.claim(100, 60_000, now)).map((c) => c.event.type);
  };
  return { service, maintenance, registry, engine, emitted, webhookTypes, user, ctx, metrics, tick: (ms: number) => { now += ms; }, now: () => now };
}

/** A socket through the handshake's admission, then opened (no limits in the way). */
async function connect(service: PresenceService, userId: string, socketKey: string): Promise<void> {
  const a = await service.admit(userId, socketKey, { capacity: 1000, windowMs: 60_000, maxSockets: 1000 });
  if (!a.allowed) throw new Error(`admission refused: ${a.refusal}`);
  service.opened(userId, socketKey, a.transition);
}

const changes = (emitted: Array<[unknown, string, unknown]>) => emitted.filter(([, e]) => e === 'presence:changed');

describe(PresenceService.name, () => {
  it('should announce the first socket online and the last one offline, to global and the user\u2019s channels', async () => {
    const { service, engine, emitted, metrics } = setup();
    await connect(service, 'ann', 'self/s1');
    await connect(service, 'ann', 'other/s2');
    expect(changes(emitted)).toEqual([[['presence:global'], 'presence:changed', { userId: 'ann', status: 'online', lastSeen: expect.any(String) }]]);
    expect((await metrics.registry.getSingleMetric('socket_gateway_online_users')!.get()).values[0].value).toBe(1);
    await engine.membership.add('room', 'ann', 'other/s2');
    await service.trackChannel('ann', 'room');
    await service.disconnected('ann', 'self/s1');
    expect(changes(emitted)).toHaveLength(1);
    await service.disconnected('ann', 'other/s2');
    expect(changes(emitted)[1]).toEqual([['presence:global', 'channel:room'], 'presence:changed', { userId: 'ann', status: 'offline', lastSeen: expect.any(String) }]);
  });

  it('should announce visible status changes only, to the channels the user is still in', async () => {
    const { service, engine, emitted, user } = setup();
    await connect(service, 'bo', 'self/s1');
    for (const c of ['in', 'left']) {
      await engine.membership.add(c, 'bo', 'self/s1');
      await service.trackChannel('bo', c);
    }
    await engine.membership.remove('left', 'bo', 'self/s1', 0);
    emitted.length = 0;
    await service.update(user('bo'), 'away');
    await service.update(user('bo'), 'away');
    await service.update(user('bo'), 'invisible');
    await service.update(user('bo'), 'invisible');
    expect(changes(emitted).map(([rooms, , p]) => [rooms, (p as { status: string }).status])).toEqual([
      [['presence:global', 'channel:in'], 'away'],
      [['presence:global', 'channel:in'], 'offline'],
    ]);
    emitted.length = 0;
    await service.disconnected('bo', 'self/s1');
    await connect(service, 'bo', 'self/s2');
    expect(changes(emitted)).toEqual([]);
  });

  it('should show users their own real status and others what is visible, and check the grant of channel queries', async () => {
    const { service, engine, user } = setup();
    await connect(service, 'cy', 'self/s1');
    await service.update(user('cy'), 'invisible');
    await engine.membership.add('room', 'cy', 'self/s1');
    expect((await service.get(user('cy'), { userIds: ['cy'] })).users[0].status).toBe('invisible');
    expect((await service.get(user('dee'), { channelId: 'room' })).users).toEqual([{ userId: 'cy', status: 'offline', lastSeen: expect.any(String) }]);
    expect((await service.query({ userIds: ['cy', 'cy'] }, null)).users).toHaveLength(1);
    await expect(service.get(user('eve', ['other']), { channelId: 'room' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('should join and leave presence:global on subscribe', async () => {
    const { service, ctx } = setup();
    const c = ctx('fay');
    expect(await service.subscribe(c)).toEqual({ scope: 'channels' });
    expect(c.joined.has('presence:global')).toBe(false);
    const a = ctx('gil');
    expect(await service.subscribe({ ...a, user: { ...a.user, roles: ['admin'] } })).toEqual({ scope: 'all' });
    expect(a.joined.has('presence:global')).toBe(true);
    await service.unsubscribe(a);
    expect(a.joined.size).toBe(0);
  });
});

describe(PresenceMaintenanceService.name, () => {
  it('should register presence-prune at half the heartbeat and prune lapsed instances but itself', async () => {
    const { maintenance, registry, engine, emitted, now } = setup();
    maintenance.onModuleInit();
    expect(registry.names()).toContain('presence-prune');
    await engine.instances.heartbeat('dead', {}, now() - 10_000, 1500);
    await engine.instances.heartbeat('self', {}, now() - 10_000, 1500);
    await engine.presence.connect('gone', 'dead/s1', 0);
    await engine.presence.connect('both', 'dead/s2', 0);
    await engine.presence.connect('both', 'live/s3', 0);
    await engine.presence.connect('me', 'self/s4', 0);
    await engine.membership.add('room', 'gone', 'dead/s1');
    await engine.presence.trackChannel('gone', 'room');
    const res = await maintenance.pruneLapsed(now());
    expect(res).toEqual({ instances: 1, memberships: 1, sockets: 2, offline: 1 });
    expect(emitted).toEqual(expect.arrayContaining([
      ['room', 'channel:member_left', { channelId: 'room', userId: 'gone' }],
      [['presence:global', 'channel:room'], 'presence:changed', { userId: 'gone', status: 'offline', lastSeen: expect.any(String) }],
    ]));
    expect(await engine.instances.lapsed(now())).toEqual(['self']);
    expect((await engine.presence.get(['both', 'me'])).map((r) => r.online)).toEqual([true, true]);
  });

  it('should re-register live sockets and drop stale ones of this instance', async () => {
    const { service, maintenance, engine } = setup();
    await connect(service, 'live', 'self/a');
    await engine.presence.disconnect('live', 'self/a', 0);
    await engine.presence.connect('stale', 'self/b', 0);
    expect(await maintenance.reconcileLocal(true)).toEqual({ added: 1, removed: 1 });
    expect(await maintenance.reconcileLocal(false)).toEqual({ added: 1, removed: 1 });
    expect((await engine.presence.get(['live', 'stale'])).map((r) => r.online)).toEqual([true, false]);
    expect(await maintenance.reconcileLocal(false)).toEqual({ added: 0, removed: 0 });
  });

  it('should send user.online and user.offline webhooks on the first and last socket, invisible users included', async () => {
    const { service, engine, webhookTypes } = setup();
    await engine.presence.setStatus('ghost', 'invisible', 0);
    await connect(service, 'ghost', 'self/a');
    await connect(service, 'ghost', 'self/b');
    await service.disconnected('ghost', 'self/a');
    await service.disconnected('ghost', 'self/b');
    expect(await webhookTypes()).toEqual(['user.online', 'user.offline']);
  });

  it('should send user.offline and member.left webhooks for the users of a pruned dead instance', async () => {
    const { maintenance, engine, service, webhookTypes, now } = setup();
    await connect(service, 'carol', 'dead/s1');
    await engine.membership.add('room', 'carol', 'dead/s1');
    await engine.instances.heartbeat('dead', {}, now() - 10_000, 1000);
    expect(await webhookTypes()).toEqual(['user.online']);
    await maintenance.pruneLapsed(now());
    await new Promise((r) => setImmediate(r));
    expect((await webhookTypes()).sort()).toEqual(['channel.vacated', 'member.left', 'user.offline']);
  });
});
