import { JsonLogger } from '../common/logger';
import { MemoryEngine } from '../engine/memory/memory.engine';
import { MetricsService } from '../metrics/metrics.service';
import { Broadcaster, RECEIVED_MAX } from './broadcaster';

/** Fan-out samples are bounded and age out one by one (issue 17, point 10), never cleared wholesale. */
describe(Broadcaster.name, () => {
  const make = () => new Broadcaster(new MemoryEngine({ historyMaxLen: 10, idempotencyTtlSec: 60 }), new JsonLogger('silent'), new MetricsService(undefined, false));
  afterEach(() => jest.useRealTimers());

  it('should drop samples older than 30 s at the next mark, and keep the younger ones', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const b = make();
    b.markReceived('c', 'u', 'old-1');
    b.markReceived('c', 'u', 'old-2');
    jest.advanceTimersByTime(20_000);
    b.markReceived('c', 'u', 'young');
    jest.advanceTimersByTime(10_001);
    b.markReceived('c', 'u', 'now');
    expect(['old-1', 'old-2', 'young', 'now'].map((id) => b.hasSample('c', 'u', id))).toEqual([false, false, true, true]);
    expect(b.pendingSamples).toBe(2);
  });

  it('should drop only the oldest sample once RECEIVED_MAX are waiting', () => {
    const b = make();
    for (let i = 0; i <= RECEIVED_MAX; i++) b.markReceived('c', 'u', `m-${i}`);
    expect(b.pendingSamples).toBe(RECEIVED_MAX);
    expect(b.hasSample('c', 'u', 'm-0')).toBe(false);
    expect(b.hasSample('c', 'u', 'm-1')).toBe(true);
  });
});
