import type { Ack, MessageSendPayload, MessageSendResult } from '../contracts/events';
import { DEFAULT_BACKOFF } from './backoff';
import { GatewayClientError } from './errors';
import { MessageSender, type SendLink } from './message-sender';
import { TimerSet, systemTimers } from './timers';

type Answer = Ack<MessageSendResult> | 'timeout' | 'disconnect';

function setup(answer: (p: MessageSendPayload, n: number) => Answer, maxPending = 3) {
  const timers = new TimerSet(systemTimers);
  const sent: Array<{ payload: MessageSendPayload; at: number }> = [];
  let online = true;
  let seq = 0;
  const link: SendLink = {
    canSend: () => online,
    send: (payload, timeoutMs) => {
      sent.push({ payload, at: Date.now() });
      const a = answer(payload, sent.length);
      if (a === 'disconnect') return Promise.reject(new GatewayClientError('DISCONNECTED', 'gone'));
      if (a === 'timeout') return new Promise((_, reject) => timers.set(() => reject(new GatewayClientError('TIMEOUT', 't')), timeoutMs));
      return Promise.resolve(a.ok ? { ...a, seq: a.seq || ++seq } : a);
    },
  };
  const sender = new MessageSender(link, timers, { maxPending, ackTimeoutMs: 5000, maxFailures: 4, backoff: DEFAULT_BACKOFF, random: () => 0.5 }, () => undefined);
  return { sender, sent, timers, setOnline: (o: boolean) => (online = o) };
}
const ok: Ack<MessageSendResult> = { ok: true, messageId: 'm', seq: 0, createdAt: 'now' };

describe(MessageSender.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('should send one message per channel at a time, in order', async () => {
    const t = setup(() => ok, 10);
    const a = t.sender.enqueue('c1', 'one');
    const b = t.sender.enqueue('c1', 'two');
    expect(t.sent).toHaveLength(1);
    expect(t.sender.pending().map((p) => [p.content, p.status])).toEqual([['one', 'sending'], ['two', 'queued']]);
    await expect(a.done).resolves.toMatchObject({ seq: 1, clientMsgId: a.clientMsgId });
    await expect(b.done).resolves.toMatchObject({ seq: 2 });
    expect(t.sent.map((s) => s.payload.content)).toEqual(['one', 'two']);
    expect(t.sender.size).toBe(0);
  });

  it('should hold messages offline and flush them in order on reconnect, with a bounded queue', async () => {
    const t = setup(() => ok);
    t.setOnline(false);
    const sends = ['a', 'b', 'c'].map((c) => t.sender.enqueue('c1', c));
    await expect(t.sender.enqueue('c1', 'd').done).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    expect(t.sent).toHaveLength(0);
    expect(t.sender.pending().map((p) => p.status)).toEqual(['queued', 'queued', 'queued']);
    t.setOnline(true);
    t.sender.pump();
    await Promise.all(sends.map((s) => s.done));
    expect(t.sent.map((s) => s.payload.content)).toEqual(['a', 'b', 'c']);
  });

  it('should resend an in-flight message after a reconnect with the same clientMsgId', async () => {
    const t = setup((_, n) => (n === 1 ? 'disconnect' : ok));
    const s = t.sender.enqueue('c1', 'hello');
    await jest.advanceTimersByTimeAsync(0);
    t.sender.connectionLost();
    t.sender.pump();
    await expect(s.done).resolves.toMatchObject({ clientMsgId: s.clientMsgId });
    expect(t.sent.map((x) => x.payload.clientMsgId)).toEqual([s.clientMsgId, s.clientMsgId]);
  });

  it('should retry UNAVAILABLE and RATE_LIMITED after max(retryAfterMs, backoff), reusing the clientMsgId', async () => {
    const t = setup((_, n) =>
      n === 1 ? { ok: false, error: { code: 'RATE_LIMITED', message: 'slow', retryAfterMs: 4000 } }
        : n === 2 ? { ok: false, error: { code: 'UNAVAILABLE', message: 'redis' } }
          : ok);
    const s = t.sender.enqueue('c1', 'x');
    await jest.advanceTimersByTimeAsync(3999);
    expect(t.sent).toHaveLength(1);
    expect(t.sender.pending()[0].status).toBe('retrying');
    await jest.advanceTimersByTimeAsync(1);
    expect(t.sent).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(500); // second failure: half of the 1000 ms window
    await expect(s.done).resolves.toMatchObject({ seq: 1 });
    expect(t.sent.map((x) => x.at)).toEqual([0, 4000, 4500]);
    expect(new Set(t.sent.map((x) => x.payload.clientMsgId)).size).toBe(1);
  });

  it('should retry ack timeouts, then give up after maxFailures', async () => {
    const t = setup(() => 'timeout');
    const s = t.sender.enqueue('c1', 'x');
    s.done.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(60_000);
    await expect(s.done).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(t.sent).toHaveLength(4);
    expect(t.timers.size).toBe(0);
  });

  it('should not retry a refused message and move on to the next', async () => {
    const t = setup((p) => (p.content === 'bad' ? { ok: false, error: { code: 'INVALID_PAYLOAD', message: 'too long' } } : ok));
    const bad = t.sender.enqueue('c1', 'bad');
    const good = t.sender.enqueue('c1', 'good');
    await expect(bad.done).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    await expect(good.done).resolves.toMatchObject({ seq: 1 });
  });

  it('should reject everything waiting on failAll and clear its timers', async () => {
    const t = setup(() => ({ ok: false, error: { code: 'UNAVAILABLE', message: 'x' } }));
    const s = t.sender.enqueue('c1', 'x');
    await jest.advanceTimersByTimeAsync(0);
    expect(t.timers.size).toBe(1);
    t.sender.failAll(new GatewayClientError('CLOSED', 'closed'));
    await expect(s.done).rejects.toMatchObject({ code: 'CLOSED' });
    expect(t.timers.size).toBe(0);
    expect(t.sender.size).toBe(0);
  });
});
