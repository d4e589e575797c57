import { loadConfig } from '../config/config';
import type { SocketContext } from '../common/socket-context';
import { MemoryEngine } from '../engine/memory/memory.engine';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { ThreadsService } from './threads.service';

describe(ThreadsService.name, () => {
  it('should join channel-scoped thread rooms with the channel grant, without joining the channel', async () => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32) });
    const engine = new MemoryEngine({ historyMaxLen: 10, idempotencyTtlSec: 60 });
    const clock = { now: () => 0 };
    const service = new ThreadsService(new RateLimitService(config, engine, clock));
    const joined = new Set<string>();
    const ctx: SocketContext = {
      user: { userId: 'th', roles: ['member'], channels: ['team-*'], expiresAt: null, issuedAt: null },
      socketId: 's', socketKey: 'i/s', rooms: { has: (r) => joined.has(r), join: (r) => void joined.add(r), leave: (r) => void joined.delete(r) },
    };
    expect(await service.join(ctx, { channelId: 'team-a', threadId: 't1' })).toEqual({ channelId: 'team-a', threadId: 't1' });
    expect([...joined]).toEqual(['thread:team-a:t1']);
    await expect(service.join(ctx, { channelId: 'private', threadId: 't1' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await service.leave(ctx, { channelId: 'team-b', threadId: 't1' })).toEqual({ left: false });
    expect(await service.leave(ctx, { channelId: 'team-a', threadId: 't1' })).toEqual({ left: true });
    expect(joined.size).toBe(0);
  });
});
