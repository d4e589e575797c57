import type { AuthenticatedUser } from '../contracts/events';
import { loadConfig } from '../config/config';
import type { SocketContext } from '../common/socket-context';
import { MemoryEngine } from '../engine/memory/memory.engine';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { Broadcaster } from '../socket/broadcaster';
import { recordRoomEvents } from '../../test/support/room-events';
import { JsonLogger } from '../common/logger';
import { ChannelsService } from './channels.service';
import { PresenceCoalescer } from '../presence/presence-coalescer';
import { ShutdownHooks } from '../lifecycle/shutdown-hooks';
import { WebhookService } from '../webhooks/webhook.service';
import { EngineUnavailableError } from '../common/gateway-error';
import { until } from '../../test/support/clients';

function setup(env: Record<string, string> = {}) {
  // Coalescing off: member events go out at once, so each test sees them synchronously.
  const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), HISTORY_MAX_LEN: '10', PRESENCE_COALESCE_MS: '0', ...env });
  const engine = new MemoryEngine({ historyMaxLen: 10, idempotencyTtlSec: 60 });
  let now = 1_700_000_000_000;
  const clock = { now: () => now };
  const broadcaster = new Broadcaster(engine, new JsonLogger('silent'), new MetricsService(undefined, false));
  const emitted = recordRoomEvents(broadcaster);
  const coalescer = new PresenceCoalescer(config, engine, new JsonLogger('silent'), broadcaster, new ShutdownHooks());
  const webhooks = new WebhookService(config, engine, clock, new JsonLogger('silent'), new ShutdownHooks());
  const service = new ChannelsService(config, engine, clock, new RateLimitService(config, engine, clock), coalescer, webhooks, new JsonLogger('silent'));
  const ctx = (userId: string, socketId = `s-${userId}`): SocketContext & { joined: Set<string> } => {
    const joined = new Set<string>();
    const user: AuthenticatedUser = { userId, roles: ['member'], channels: ['*'], expiresAt: null, issuedAt: null };
    return { user, socketId, socketKey: `i1/${socketId}`, joined, rooms: { has: (r) => joined.has(r), join: (r) => void joined.add(r), leave: (r) => void joined.delete(r) } };
  };
  const send = async (channelId: string, n: number) => {
    for (let i = 0; i < n; i++) await engine.messages.append({ channelId, userId: 'x', content: `c${i}`, clientMsgId: `id-${channelId}-${Math.random()}`, now });
  };
  return { service, engine, ctx, send, emitted, tick: (ms: number) => { now += ms; } };
}

describe(ChannelsService.name, () => {
  it('should join the room before reading history and announce only the first socket of a user', async () => {
    const { service, ctx, emitted } = setup();
    const a1 = ctx('alice', 'a1');
    const a2 = ctx('alice', 'a2');
    await service.join(a1, { channelId: 'c' });
    await service.join(a2, { channelId: 'c' });
    expect(a1.joined.has('channel:c')).toBe(true);
    expect(emitted.filter(([, e]) => e === 'channel:member_joined')).toHaveLength(1);
    await service.leave(a1, 'c');
    expect(emitted.filter(([, e]) => e === 'channel:member_left')).toHaveLength(0);
    await service.leaveAll('alice', 'i1/a2', ['c']);
    expect(emitted.filter(([, e]) => e === 'channel:member_left')).toEqual([['c', 'channel:member_left', { channelId: 'c', userId: 'alice' }]]);
  });

  it('should take back the membership of a join whose subscription or position read failed, and announce nothing', async () => {
    const { service, engine, ctx, emitted } = setup();
    const follow = engine.messages.follow.bind(engine.messages);
    // The store's subscription step fails while the membership write beside it succeeds.
    engine.messages.follow = () => Promise.reject(new EngineUnavailableError('subscribe failed'));
    const a = ctx('ann', 'a1');
    await expect(service.join(a, { channelId: 'f' })).rejects.toBeInstanceOf(EngineUnavailableError);
    expect(a.joined.has('channel:f')).toBe(false);
    await until(async () => !(await engine.membership.isMember('f', 'ann')));
    expect(emitted).toEqual([]);

    // The position read fails after the membership was written beside it: taken back, and the
    // others never hear of the join (no joined-then-left pair).
    engine.messages.follow = follow;
    const meta = engine.messages.meta.bind(engine.messages);
    engine.messages.meta = () => Promise.reject(new EngineUnavailableError('meta failed'));
    await expect(service.join(a, { channelId: 'f' })).rejects.toBeInstanceOf(EngineUnavailableError);
    await until(async () => !(await engine.membership.isMember('f', 'ann')));
    expect(emitted).toEqual([]);
    engine.messages.meta = meta;
    expect(await service.join(a, { channelId: 'f' })).toMatchObject({ channelId: 'f', members: ['ann'] });
    expect(emitted.map(([, e]) => e)).toEqual(['channel:member_joined']);
  });

  it('should replay exactly the messages after sinceSeq within the same epoch', async () => {
    const { service, ctx, send } = setup();
    const first = await service.join(ctx('bob'), { channelId: 'r' });
    await send('r', 5);
    const res = await service.join(ctx('bob', 'b2'), { channelId: 'r', sinceSeq: 2, epoch: first.epoch });
    expect(res).toMatchObject({ recovered: true, hasMore: false, lastSeq: 5 });
    expect(res.missed.map((m) => m.seq)).toEqual([3, 4, 5]);
  });

  it('should say recovered: false when history no longer reaches back to sinceSeq', async () => {
    const { service, ctx, send } = setup();
    const first = await service.join(ctx('carl'), { channelId: 'old' });
    await send('old', 15); // retains 6..15
    expect(await service.join(ctx('carl', 'c2'), { channelId: 'old', sinceSeq: 4, epoch: first.epoch })).toMatchObject({ recovered: false, missed: [] });
    expect((await service.join(ctx('carl', 'c3'), { channelId: 'old', sinceSeq: 5, epoch: first.epoch })).missed).toHaveLength(10);
  });

  it('should leave the room again when the join fails after attaching', async () => {
    const { service, engine, ctx } = setup();
    engine.membership.add = () => Promise.reject(new Error('store down'));
    const c = ctx('dora');
    await expect(service.join(c, { channelId: 'x' })).rejects.toThrow('store down');
    expect(c.joined.size).toBe(0);
  });

  it('should refuse channels outside the grant before touching any state', async () => {
    const { service, ctx } = setup();
    const c = ctx('eli');
    (c.user as { channels: string[] }).channels = ['only-this'];
    await expect(service.join(c, { channelId: 'other' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(c.joined.size).toBe(0);
  });
});
