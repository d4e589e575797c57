import { loadConfig } from '../config/config';
import { JsonLogger } from '../common/logger';
import type { SocketContext } from '../common/socket-context';
import { MemoryEngine } from '../engine/memory/memory.engine';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { Broadcaster } from '../socket/broadcaster';
import { TYPING_EXPIRY_MS, TypingService } from './typing.service';

function setup() {
  const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), RATE_LIMIT_TYPING: '2' });
  const engine = new MemoryEngine({ historyMaxLen: 10, idempotencyTtlSec: 60 });
  const clock = { now: () => Date.now() };
  const broadcaster = new Broadcaster(engine, new JsonLogger('silent'), new MetricsService(undefined, false));
  const sent: unknown[] = [];
  broadcaster.volatileToChannel = ((channelId: string, event: string, payload: unknown, except?: string) => void sent.push([channelId, payload, except])) as never;
  const service = new TypingService(new RateLimitService(config, engine, clock), broadcaster);
  const ctx = (rooms: string[]): SocketContext => ({
    user: { userId: 'ty', roles: ['member'], channels: ['*'], expiresAt: null, issuedAt: null },
    socketId: 'sock', socketKey: 'i/sock', rooms: { has: (r) => rooms.includes(r), join: () => undefined, leave: () => undefined },
  });
  return { service, sent, ctx };
}

describe(TypingService.name, () => {
  afterEach(() => jest.useRealTimers());

  it('should relay to the channel except the sender and send false itself after the expiry', async () => {
    jest.useFakeTimers();
    const { service, sent, ctx } = setup();
    await service.typing(ctx(['channel:c']), { channelId: 'c', isTyping: true });
    await service.typing(ctx(['channel:c']), { channelId: 'c', isTyping: true });
    jest.advanceTimersByTime(TYPING_EXPIRY_MS - 1);
    expect(sent).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(sent[2]).toEqual(['c', { channelId: 'c', userId: 'ty', isTyping: false }, 'sock']);
    expect(service.activeCount).toBe(0);
  });

  it('should end indicators of a closed socket and refuse non-members and starts over the limit', async () => {
    const { service, sent, ctx } = setup();
    await expect(service.typing(ctx([]), { channelId: 'c', isTyping: true })).rejects.toMatchObject({ code: 'CHANNEL_ERROR' });
    await service.typing(ctx(['channel:c']), { channelId: 'c', threadId: 't', isTyping: true });
    service.socketClosed('sock');
    expect(sent[1]).toEqual(['c', { channelId: 'c', threadId: 't', userId: 'ty', isTyping: false }, 'sock']);
    expect(service.activeCount).toBe(0);
    await service.typing(ctx(['channel:c']), { channelId: 'c', isTyping: true });
    await expect(service.typing(ctx(['channel:c']), { channelId: 'c', isTyping: true })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(service.typing(ctx(['channel:c']), { channelId: 'c', isTyping: false })).resolves.toBeUndefined();
    service.onApplicationShutdown();
  });
});
