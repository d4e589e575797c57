import { loadConfig } from '../config/config';
import { JsonLogger } from '../common/logger';
import type { SocketContext } from '../common/socket-context';
import { MemoryEngine } from '../engine/memory/memory.engine';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { Broadcaster } from '../socket/broadcaster';
import { ReadReceiptsService } from './read-receipts.service';

describe(ReadReceiptsService.name, () => {
  it('should move the cursor forwards only, announce moves only, and refuse seqs not yet assigned', async () => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32) });
    const engine = new MemoryEngine({ historyMaxLen: 10, idempotencyTtlSec: 60 });
    const clock = { now: () => 0 };
    const broadcaster = new Broadcaster(engine, new JsonLogger('silent'), new MetricsService(undefined, false));
    const sent: unknown[] = [];
    broadcaster.toChannel = ((c: string, e: string, p: unknown) => void sent.push([c, e, p])) as never;
    const service = new ReadReceiptsService(engine, clock, new RateLimitService(config, engine, clock), broadcaster);
    const ctx = (rooms: string[]): SocketContext => ({
      user: { userId: 'rd', roles: ['member'], channels: ['*'], expiresAt: null, issuedAt: null },
      socketId: 's', socketKey: 'i/s', rooms: { has: (r) => rooms.includes(r), join: () => undefined, leave: () => undefined },
    });
    for (let i = 0; i < 3; i++) await engine.messages.append({ channelId: 'c', userId: 'x', content: 'm', clientMsgId: `m-${i}-abcdef`, now: 0 });

    await expect(service.markRead(ctx([]), { channelId: 'c', seq: 1 })).rejects.toMatchObject({ code: 'CHANNEL_ERROR' });
    const joined = ctx(['channel:c']);
    expect(await service.markRead(joined, { channelId: 'c', seq: 2 })).toEqual({ seq: 2 });
    expect(await service.markRead(joined, { channelId: 'c', seq: 1 })).toEqual({ seq: 2 });
    await expect(service.markRead(joined, { channelId: 'c', seq: 4 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(sent).toEqual([['c', 'message:read', { channelId: 'c', userId: 'rd', seq: 2 }]]);
    expect(await service.readSeq('c', 'rd')).toBe(2);
  });
});
