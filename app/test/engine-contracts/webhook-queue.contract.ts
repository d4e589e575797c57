import type { Engine, WebhookEvent } from '../../src/engine/engine.ports';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

let n = 0;
export function event(over: Partial<WebhookEvent> = {}): WebhookEvent {
  n++;
  return { id: `evt-${String(n).padStart(6, '0')}`, type: 'message.created', createdAt: new Date(T0).toISOString(), data: { n, list: [] }, ...over };
}

/** The WebhookQueue contract; `peer` (redis only) opens a second engine on the same store, like another instance. */
export function webhookQueueContract(make: () => Promise<Engine>, peer?: () => Promise<Engine>): void {
  it('should hand each due event to one claimer until its visibility timeout, then again with the next attempt', async () => {
    const e = await make();
    const [a, b] = [event(), event()];
    await e.webhooks.enqueue([a, b], T0);
    await e.webhooks.enqueue([a], T0);
    expect(await e.webhooks.depth()).toBe(2);
    const first = await e.webhooks.claim(10, 1000, T0);
    expect(first).toEqual([{ event: a, attempt: 1 }, { event: b, attempt: 1 }]);
    expect(await e.webhooks.claim(10, 1000, T0 + 999)).toEqual([]);
    // the claimer died: the events come back after the timeout
    expect(await e.webhooks.claim(1, 1000, T0 + 1000)).toEqual([{ event: a, attempt: 2 }]);
    await e.webhooks.ack(a.id);
    await e.webhooks.ack(b.id);
    expect(await e.webhooks.depth()).toBe(0);
    expect(await e.webhooks.claim(10, 1000, T0 + 5000)).toEqual([]);
  });

  it('should reschedule a failed attempt, ignoring a stale lease holder', async () => {
    const e = await make();
    const a = event();
    await e.webhooks.enqueue([a], T0);
    const [c1] = await e.webhooks.claim(1, 100, T0);
    const [c2] = await e.webhooks.claim(1, 100, T0 + 100);
    expect(c2.attempt).toBe(2);
    // the first worker comes back late: its retry must not move the second worker's lease
    await e.webhooks.retry(a.id, c1.attempt, T0 + 101, 'late');
    expect(await e.webhooks.claim(1, 100, T0 + 150)).toEqual([]);
    await e.webhooks.retry(a.id, c2.attempt, T0 + 5000, 'HTTP 500');
    expect(await e.webhooks.claim(1, 100, T0 + 4999)).toEqual([]);
    expect(await e.webhooks.claim(1, 100, T0 + 5000)).toEqual([{ event: a, attempt: 3 }]);
  });

  it('should dead-letter after the last attempt, list dead letters, requeue them with a fresh budget and bound the list', async () => {
    const e = await make();
    const [a, b, c] = [event(), event({ type: 'member.joined' }), event()];
    await e.webhooks.enqueue([a, b, c], T0);
    const claimed = await e.webhooks.claim(3, 100, T0);
    for (const x of claimed) await e.webhooks.deadLetter(x.event.id, x.attempt, `HTTP 500 for ${x.event.id}`, T0 + 10, 2);
    expect(await e.webhooks.depth()).toBe(0);
    const dead = await e.webhooks.deadLetters(10);
    // the oldest dead letter went over the bound of 2
    expect(dead).toEqual([
      { event: b, attempts: 1, lastError: `HTTP 500 for ${b.id}`, deadAt: T0 + 10 },
      { event: c, attempts: 1, lastError: `HTTP 500 for ${c.id}`, deadAt: T0 + 10 },
    ]);
    // a dead event is not queued again by a duplicate enqueue
    await e.webhooks.enqueue([b], T0 + 20);
    expect(await e.webhooks.depth()).toBe(0);

    expect(await e.webhooks.requeueDead([c.id, 'unknown'], 100, T0 + 30)).toBe(1);
    expect(await e.webhooks.requeueDead([], 100, T0 + 30)).toBe(0);
    expect(await e.webhooks.claim(10, 100, T0 + 30)).toEqual([{ event: c, attempt: 1 }]);
    expect(await e.webhooks.requeueDead(null, 100, T0 + 40)).toBe(1);
    expect(await e.webhooks.deadLetters(10)).toEqual([]);
    expect(await e.webhooks.claim(10, 100, T0 + 40)).toEqual([{ event: b, attempt: 1 }]);
  });

  if (peer) {
    it('should never give one event to two instances claiming at the same time', async () => {
      const one = await make();
      const two = await peer();
      const events = Array.from({ length: 40 }, () => event());
      await one.webhooks.enqueue(events, T0);
      const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? one : two).webhooks.claim(7, 10_000, T0)));
      const ids = claims.flat().map((x) => x.event.id);
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
    });
  }
}
