import { loadConfig } from '../config/config';
import { JsonLogger } from '../common/logger';
import { MemoryEngine } from '../engine/memory/memory.engine';
import { ShutdownHooks } from '../lifecycle/shutdown-hooks';
import { MetricsService } from '../metrics/metrics.service';
import { Broadcaster } from '../socket/broadcaster';
import { recordRoomEvents } from '../../test/support/room-events';
import { PresenceCoalescer } from './presence-coalescer';

function setup(windowMs = 5000) {
  const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), PRESENCE_COALESCE_MS: String(windowMs) });
  const engine = new MemoryEngine({ historyMaxLen: 10, idempotencyTtlSec: 60 });
  const broadcaster = new Broadcaster(engine, new JsonLogger('silent'), new MetricsService(undefined, false));
  const emitted = recordRoomEvents(broadcaster);
  const hooks = new ShutdownHooks();
  const coalescer = new PresenceCoalescer(config, engine, new JsonLogger('silent'), broadcaster, hooks);
  return { coalescer, engine, emitted, hooks };
}

const change = (userId: string, status: 'online' | 'offline' | 'away') => ({ userId, status, lastSeen: null });

describe(PresenceCoalescer.name, () => {
  it('should drop a leave and rejoin, and an offline and online, within one window', async () => {
    const { coalescer, engine, emitted } = setup();
    await engine.membership.add('c', 'ann', 'i/s2');
    await engine.presence.connect('ann', 'i/s2', 0);
    coalescer.member('c', 'ann', false);
    coalescer.presence(['presence:global', 'channel:c'], 'online', change('ann', 'offline'));
    coalescer.member('c', 'ann', true, 's2');
    coalescer.presence(['presence:global'], 'offline', change('ann', 'online'));
    await coalescer.flushAll();
    expect(emitted).toEqual([]);
  });

  it('should send each user\u2019s latest state once per flush, to the union of rooms', async () => {
    const { coalescer, engine, emitted } = setup();
    for (const u of ['a', 'b']) {
      await engine.membership.add('c', u, `i/${u}`);
      await engine.presence.connect(u, `i/${u}`, 0);
    }
    await engine.presence.setStatus('b', 'away', 0);
    coalescer.member('c', 'a', true, 'sa');
    coalescer.member('c', 'b', true, 'sb');
    coalescer.presence(['presence:global'], 'offline', change('b', 'online'));
    coalescer.presence(['presence:global', 'channel:c'], 'online', change('b', 'away'));
    expect(emitted).toEqual([]);
    await coalescer.flushAll();
    expect(emitted).toEqual([
      ['c', 'channel:member_joined', { channelId: 'c', userId: 'a' }],
      ['c', 'channel:member_joined', { channelId: 'c', userId: 'b' }],
      [['presence:global', 'channel:c'], 'presence:changed', change('b', 'away')],
    ]);
  });

  it('should not announce what the engine no longer confirms (the user came back through another instance)', async () => {
    const { coalescer, engine, emitted } = setup();
    await engine.membership.add('c', 'back', 'other/s1');
    await engine.presence.connect('back', 'other/s1', 0);
    coalescer.member('c', 'back', false);
    coalescer.presence(['presence:global'], 'online', change('back', 'offline'));
    await coalescer.flushAll();
    expect(emitted).toEqual([]);
  });

  it('should emit at once when the window is 0 and flush what is held at drain', async () => {
    const direct = setup(0);
    direct.coalescer.member('c', 'x', true, 's');
    expect(direct.emitted).toHaveLength(1);
    const held = setup();
    await held.engine.membership.add('c', 'y', 'i/s');
    held.coalescer.member('c', 'y', true);
    expect(held.coalescer.pendingRooms).toBe(1);
    await held.hooks.flushAll(() => undefined);
    expect(held.emitted).toHaveLength(1);
    expect(held.coalescer.pendingRooms).toBe(0);
  });

  it('should flush by itself after the window', async () => {
    const { coalescer, engine, emitted } = setup(20);
    await engine.membership.add('c', 'z', 'i/s');
    coalescer.member('c', 'z', true);
    const deadline = Date.now() + 2000;
    while (emitted.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(emitted).toEqual([['c', 'channel:member_joined', { channelId: 'c', userId: 'z' }]]);
    coalescer.onApplicationShutdown();
  });
});
