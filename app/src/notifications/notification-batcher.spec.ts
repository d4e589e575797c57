import type { GatewayNotification } from '../contracts/events';
import { NotificationBatcher } from './notification-batcher';

const item = (i: number): GatewayNotification => ({ id: `n${i}`, type: 't', priority: 'normal', payload: i, createdAt: '2025-01-01T00:00:00.000Z' });

describe(NotificationBatcher.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const setup = () => {
    const flushed: Array<[string, string[]]> = [];
    const sizes: number[] = [];
    const batcher = new NotificationBatcher((u, items) => { flushed.push([u, items.map((x) => x.id)]); }, (n) => sizes.push(n));
    return { batcher, flushed, sizes };
  };

  it('should send a user\u2019s batch 250 ms after its first item, one batch per user', () => {
    const { batcher, flushed, sizes } = setup();
    batcher.add('a', item(1));
    jest.advanceTimersByTime(200);
    batcher.add('a', item(2));
    batcher.add('b', item(3));
    jest.advanceTimersByTime(49);
    expect(flushed).toEqual([]);
    expect(batcher.pending).toBe(3);
    jest.advanceTimersByTime(1);
    expect(flushed).toEqual([['a', ['n1', 'n2']]]);
    jest.advanceTimersByTime(200);
    expect(flushed).toEqual([['a', ['n1', 'n2']], ['b', ['n3']]]);
    expect(sizes.at(-1)).toBe(0);
  });

  it('should send at 50 items at once and start a new batch after', () => {
    const { batcher, flushed } = setup();
    for (let i = 0; i < 51; i++) batcher.add('a', item(i));
    expect(flushed).toHaveLength(1);
    expect(flushed[0][1]).toHaveLength(50);
    expect(batcher.pending).toBe(1);
    jest.advanceTimersByTime(250);
    expect(flushed[1][1]).toEqual(['n50']);
  });

  it('should send everything waiting on flushAll (drain)', () => {
    const { batcher, flushed } = setup();
    batcher.add('a', item(1));
    batcher.add('b', item(2));
    batcher.flushAll();
    expect(flushed.map(([u]) => u)).toEqual(['a', 'b']);
    expect(batcher.pending).toBe(0);
    jest.advanceTimersByTime(1000);
    expect(flushed).toHaveLength(2);
  });
});
