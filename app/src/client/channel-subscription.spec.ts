import type { Ack, ChannelJoinResult, ChatMessage } from '../contracts/events';
import { ChannelSubscription, type ChannelLink, type GapInfo } from './channel-subscription';
import { DEFAULT_BACKOFF } from './backoff';
import { GatewayClientError } from './errors';
import { TimerSet, systemTimers } from './timers';

const msg = (seq: number): ChatMessage => ({
  id: `e.${seq}`, channelId: 'c1', seq, userId: 'u', content: `m${seq}`, clientMsgId: `client-${seq}`, createdAt: '2024-01-01T00:00:00.000Z',
});
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const joinOk = (r: Partial<ChannelJoinResult>): Ack<ChannelJoinResult> => ({
  ok: true, channelId: 'c1', epoch: 'E1', lastSeq: 0, members: [], missed: [], hasMore: false, recovered: true, readSeq: 0, ...r,
});

type Responder = (event: string, payload: any) => Promise<Ack<any>> | 'never';

/** A fake link: answers through `respond`, applying the ack timeout on the fake clock like the client does. */
function fakeLink(timers: TimerSet, respond: Responder) {
  const calls: Array<{ event: string; payload: any; at: number }> = [];
  let connected = true;
  const link: ChannelLink = {
    connected: () => connected,
    request: (event, payload, timeoutMs) => {
      calls.push({ event, payload, at: Date.now() });
      return new Promise((resolve, reject) => {
        const t = timers.set(() => reject(new GatewayClientError('TIMEOUT', 'timeout')), timeoutMs);
        const answer = respond(event, payload);
        if (answer === 'never') return;
        answer.then((a) => {
          timers.clear(t);
          resolve(a as never);
        }, reject);
      });
    },
  };
  return { link, calls, setConnected: (c: boolean) => (connected = c) };
}

function setup(respond: Responder, from?: { sinceSeq?: number; epoch?: string }) {
  const timers = new TimerSet(systemTimers);
  const { link, calls, setConnected } = fakeLink(timers, respond);
  const delivered: number[] = [];
  const gaps: GapInfo[] = [];
  const states: string[] = [];
  const sub = new ChannelSubscription('c1', link, {
    deliver: (ms) => delivered.push(...ms.map((m) => m.seq)),
    gap: (g) => gaps.push(g),
    stateChanged: (s, err) => states.push(err ? `${s}:${err.code}` : s),
    joined: () => undefined,
  }, timers, { ackTimeoutMs: 5000, retries: 3, backoff: DEFAULT_BACKOFF, random: () => 0.5, historyPageSize: 100 }, from);
  return { sub, calls, delivered, gaps, states, timers, setConnected };
}

describe(ChannelSubscription.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('should subscribe and then deliver live messages in seq order, once each', async () => {
    const t = setup(async () => joinOk({ lastSeq: 5 }));
    const joined = t.sub.subscribe();
    await jest.advanceTimersByTimeAsync(0);
    await expect(joined).resolves.toMatchObject({ lastSeq: 5 });
    expect(t.states).toEqual(['subscribing', 'subscribed']);
    for (const s of [6, 8, 7, 7, 6, 9]) t.sub.onMessage(msg(s));
    expect(t.delivered).toEqual([6, 7, 8, 9]);
  });

  it('should time out a join after 5 s and retry 3 times with backoff before failing', async () => {
    const t = setup(() => 'never');
    const joined = t.sub.subscribe();
    joined.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(60_000);
    await expect(joined).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(t.calls.map((c) => c.event)).toEqual(['channel:join', 'channel:join', 'channel:join', 'channel:join']);
    // 5 s ack timeout, then half of the 500·2^n window (random 0.5) before each retry.
    const gaps = t.calls.slice(1).map((c, i) => c.at - t.calls[i].at);
    expect(gaps).toEqual([5000 + 250, 5000 + 500, 5000 + 1000]);
    expect(t.states).toEqual(['subscribing', 'failed:TIMEOUT']);
    expect(t.timers.size).toBe(0);
  });

  it('should wait retryAfterMs on RATE_LIMITED and not retry FORBIDDEN', async () => {
    let n = 0;
    const t = setup(async () => (n++ === 0 ? { ok: false, error: { code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 3000 } } : joinOk({})));
    const joined = t.sub.subscribe();
    await jest.advanceTimersByTimeAsync(2999);
    expect(t.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await expect(joined).resolves.toMatchObject({ ok: true });

    const f = setup(async () => ({ ok: false, error: { code: 'FORBIDDEN', message: 'no grant' } }));
    const refused = f.sub.subscribe();
    refused.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(30_000);
    await expect(refused).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(f.calls).toHaveLength(1);
    expect(f.sub.state).toBe('failed');
  });

  it('should resubscribe with sinceSeq and epoch after a reconnect and page the gap while hasMore', async () => {
    const stored = range(1, 260).map(msg);
    const t = setup(async (event, p) => {
      if (event === 'channel:join') {
        if (p.sinceSeq === undefined) return joinOk({ lastSeq: 10 });
        const after = stored.filter((m) => m.seq > p.sinceSeq);
        return joinOk({ lastSeq: 260, missed: after.slice(0, 100), hasMore: after.length > 100 });
      }
      const after = stored.filter((m) => m.seq > p.afterSeq);
      return { ok: true, messages: after.slice(0, p.limit), hasMore: after.length > p.limit, epoch: 'E1' };
    });
    t.sub.subscribe();
    await jest.advanceTimersByTimeAsync(0);
    t.sub.onMessage(msg(11));
    t.sub.onConnectionLost();
    expect(t.sub.state).toBe('subscribing');
    t.sub.onConnected();
    // A live message that raced the rejoin ack is held, then deduplicated.
    t.sub.onMessage(msg(261 - 1));
    await jest.advanceTimersByTimeAsync(0);
    expect(t.calls[1]).toMatchObject({ event: 'channel:join', payload: { channelId: 'c1', sinceSeq: 11, epoch: 'E1' } });
    expect(t.calls.slice(2).map((c) => c.payload.afterSeq)).toEqual([111, 211]);
    expect(t.delivered).toEqual(range(11, 260));
    expect(t.sub.state).toBe('subscribed');
  });

  it('should tell the gap callback when the server answers recovered: false', async () => {
    let epoch = 'E1';
    const t = setup(async () => joinOk({ epoch, lastSeq: epoch === 'E1' ? 40 : 3, recovered: epoch === 'E1' }));
    t.sub.subscribe();
    await jest.advanceTimersByTimeAsync(0);
    t.sub.onMessage(msg(41));
    t.sub.onConnectionLost();
    epoch = 'E2';
    t.sub.onConnected();
    await jest.advanceTimersByTimeAsync(0);
    expect(t.gaps).toEqual([{ channelId: 'c1', reason: 'epoch_changed', lastSeenSeq: 41, resumedAfterSeq: 3, previousEpoch: 'E1', epoch: 'E2' }]);
    t.sub.onMessage(msg(4));
    expect(t.delivered).toEqual([41, 4]);
  });

  it('should fill a live hole from history and report what history no longer has', async () => {
    const stored = range(30, 50).map(msg);
    const t = setup(async (event, p) => {
      if (event === 'channel:join') return joinOk({ lastSeq: 20 });
      const after = stored.filter((m) => m.seq > p.afterSeq);
      return { ok: true, messages: after.slice(0, p.limit), hasMore: after.length > p.limit, epoch: 'E1' };
    });
    t.sub.subscribe();
    await jest.advanceTimersByTimeAsync(0);
    t.sub.onMessage(msg(21));
    t.sub.onMessage(msg(35));
    await jest.advanceTimersByTimeAsync(0);
    expect(t.gaps).toEqual([{ channelId: 'c1', reason: 'history_unavailable', lastSeenSeq: 21, resumedAfterSeq: 29, previousEpoch: 'E1', epoch: 'E1' }]);
    expect(t.delivered).toEqual([21, ...range(30, 50)]);
  });

  it('should retry a failed live gap fill with backoff', async () => {
    let fail = true;
    const t = setup(async (event, p) => {
      if (event === 'channel:join') return joinOk({ lastSeq: 0 });
      if (fail) {
        fail = false;
        return { ok: false, error: { code: 'UNAVAILABLE', message: 'redis down' } };
      }
      return { ok: true, messages: range(p.afterSeq + 1, 3).map(msg), hasMore: false, epoch: 'E1' };
    });
    t.sub.subscribe();
    await jest.advanceTimersByTimeAsync(0);
    t.sub.onMessage(msg(3));
    await jest.advanceTimersByTimeAsync(0);
    expect(t.delivered).toEqual([]);
    await jest.advanceTimersByTimeAsync(250);
    expect(t.delivered).toEqual([1, 2, 3]);
  });

  it('should ignore a late ack after the connection dropped, and clear its timers on close', async () => {
    let answer!: (a: Ack<ChannelJoinResult>) => void;
    const t = setup(() => new Promise((r) => (answer = r)));
    const joined = t.sub.subscribe();
    joined.catch(() => undefined);
    t.sub.onConnectionLost();
    answer(joinOk({ lastSeq: 9 }));
    await jest.advanceTimersByTimeAsync(0);
    expect(t.sub.state).toBe('subscribing');
    t.sub.close(new GatewayClientError('CLOSED', 'bye'));
    await expect(joined).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
