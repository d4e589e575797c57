import type { ChatMessage } from '../contracts/events';
import { fillFromHistory, type HistoryPage } from './gap-filler';
import { OrderingBuffer } from './ordering-buffer';

const msg = (seq: number): ChatMessage => ({
  id: `e.${seq}`, channelId: 'c1', seq, userId: 'u', content: `m${seq}`, clientMsgId: `client-${seq}`, createdAt: '2024-01-01T00:00:00.000Z',
});

/** A server history holding `seqs`, answering `afterSeq` pages of `pageSize` after `latencyMs` on the (fake) clock. */
function history(seqs: number[], opts: { pageSize?: number; epoch?: string; latencyMs?: number } = {}) {
  const calls: number[] = [];
  const fetchAfter = (afterSeq: number): Promise<HistoryPage> => {
    calls.push(afterSeq);
    const after = seqs.filter((s) => s > afterSeq);
    const size = opts.pageSize ?? 100;
    const page = { messages: after.slice(0, size).map(msg), hasMore: after.length > size, epoch: opts.epoch ?? 'E1' };
    return new Promise((resolve) => setTimeout(() => resolve(page), opts.latencyMs ?? 50));
  };
  return { fetchAfter, calls };
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe(fillFromHistory.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  async function settle<T>(p: Promise<T>): Promise<T> {
    await jest.runAllTimersAsync();
    return p;
  }

  it('should page afterSeq while hasMore after a rejoin, delivering in order', async () => {
    const buffer = new OrderingBuffer(100);
    const { fetchAfter, calls } = history(range(1, 350), { pageSize: 100 });
    const delivered: number[] = [];
    const outcome = await settle(fillFromHistory(buffer, fetchAfter, (ms) => delivered.push(...ms.map((m) => m.seq)), { epoch: 'E1', untilDone: true }));
    expect(outcome).toEqual({ kind: 'filled' });
    expect(calls).toEqual([100, 200, 300]);
    expect(delivered).toEqual(range(101, 350));
  });

  it('should close a live hole and release the held messages, then stop', async () => {
    const buffer = new OrderingBuffer(10);
    buffer.pushAll([msg(14), msg(15)]);
    const { fetchAfter, calls } = history(range(1, 15));
    const delivered: number[] = [];
    const outcome = await settle(fillFromHistory(buffer, fetchAfter, (ms) => delivered.push(...ms.map((m) => m.seq)), { epoch: 'E1', untilDone: false }));
    expect(outcome).toEqual({ kind: 'filled' });
    expect(calls).toEqual([10]);
    expect(delivered).toEqual([11, 12, 13, 14, 15]);
    expect(buffer.gap).toBeNull();
  });

  it('should not fetch when there is no live hole', async () => {
    const { fetchAfter, calls } = history(range(1, 5));
    expect(await fillFromHistory(new OrderingBuffer(5), fetchAfter, () => undefined, { epoch: 'E1', untilDone: false })).toEqual({ kind: 'filled' });
    expect(calls).toEqual([]);
  });

  it('should say the hole is permanent when history starts after it (trimmed)', async () => {
    const buffer = new OrderingBuffer(10);
    buffer.push(msg(60));
    const { fetchAfter } = history(range(50, 60));
    const outcome = await settle(fillFromHistory(buffer, fetchAfter, () => undefined, { epoch: 'E1', untilDone: false }));
    expect(outcome).toEqual({ kind: 'unavailable', afterSeq: 10, firstAvailableSeq: 50 });
    expect(buffer.lastSeq).toBe(10);
  });

  it('should say the hole is permanent when history has nothing after it', async () => {
    const buffer = new OrderingBuffer(10);
    buffer.push(msg(12));
    const { fetchAfter } = history([]);
    expect(await settle(fillFromHistory(buffer, fetchAfter, () => undefined, { epoch: 'E1', untilDone: false })))
      .toEqual({ kind: 'unavailable', afterSeq: 10, firstAvailableSeq: null });
  });

  it('should stop when the epoch changed under it', async () => {
    const buffer = new OrderingBuffer(10);
    buffer.push(msg(12));
    const { fetchAfter } = history(range(1, 12), { epoch: 'E2' });
    expect(await settle(fillFromHistory(buffer, fetchAfter, () => undefined, { epoch: 'E1', untilDone: false })))
      .toEqual({ kind: 'epoch_changed', epoch: 'E2' });
  });
});
