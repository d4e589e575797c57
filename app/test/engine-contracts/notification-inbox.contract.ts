import type { Engine, StoredNotification } from '../../src/engine/engine.ports';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const HOUR = 3_600_000;

let n = 0;
/** A fresh pending record; ids sort by creation like the service's. */
export function record(userId: string, over: Partial<StoredNotification> = {}): StoredNotification {
  n++;
  const createdAtMs = over.createdAt ? Date.parse(over.createdAt) : T0 + n;
  return {
    id: `ntf-${String(n).padStart(6, '0')}`,
    userId,
    type: 'mention',
    priority: 'normal',
    payload: { n, list: [], nested: { big: 12345678901234567, empty: {} } },
    createdAt: new Date(createdAtMs).toISOString(),
    expiresAt: createdAtMs + HOUR,
    state: 'pending',
    deliveredAt: null,
    ackedAt: null,
    ...over,
  };
}

const limits = { ttlMs: HOUR, maxItems: 500 };

/** The NotificationInbox contract, registered inside the engine contract suite for each engine. */
export function notificationInboxContract(make: () => Promise<Engine>): void {
  it('should store records, track delivery and ack, and keep payloads byte-for-byte', async () => {
    const e = await make();
    const a = record('alice');
    const b = record('alice');
    const c = record('bob');
    expect(await e.notifications.add([a, b, c], limits)).toEqual({ evicted: [] });
    expect(await e.notifications.get(a.id, T0)).toEqual(a);
    expect(await e.notifications.get('nope', T0)).toBeNull();

    await e.notifications.markDelivered('alice', [a.id, c.id], T0 + 10);
    expect(await e.notifications.get(a.id, T0)).toMatchObject({ state: 'delivered', deliveredAt: new Date(T0 + 10).toISOString(), ackedAt: null });
    // bob's record is not alice's to mark
    expect((await e.notifications.get(c.id, T0))!.state).toBe('pending');
    await e.notifications.markDelivered('alice', [a.id], T0 + 99);
    expect((await e.notifications.get(a.id, T0))!.deliveredAt).toBe(new Date(T0 + 10).toISOString());

    expect(await e.notifications.ack('alice', [a.id, a.id, c.id, 'unknown'], T0 + 20)).toBe(1);
    expect(await e.notifications.ack('alice', [a.id], T0 + 30)).toBe(0);
    expect(await e.notifications.get(a.id, T0)).toEqual({
      ...a, state: 'acked', deliveredAt: new Date(T0 + 10).toISOString(), ackedAt: new Date(T0 + 20).toISOString(),
    });
    expect(await e.notifications.unacked('alice', 100, T0)).toEqual([b]);
    expect(await e.notifications.unacked('bob', 100, T0)).toEqual([c]);
    expect(await e.notifications.unacked('carol', 100, T0)).toEqual([]);
    // A waiting batch keeps only what its user still has to ack (not other users' ids, not acked ones).
    expect(await e.notifications.unackedAmong('alice', [a.id, b.id, c.id, 'unknown'])).toEqual([b.id]);
    expect(await e.notifications.unackedAmong('bob', [c.id])).toEqual([c.id]);
  });

  it('should list unacked records oldest first, up to a limit, leaving out expired ones', async () => {
    const e = await make();
    const recs = Array.from({ length: 5 }, (_, i) => record('dana', { createdAt: new Date(T0 + i * 1000).toISOString(), expiresAt: T0 + i * 1000 + HOUR }));
    await e.notifications.add(recs, limits);
    expect((await e.notifications.unacked('dana', 3, T0)).map((r) => r.id)).toEqual(recs.slice(0, 3).map((r) => r.id));
    expect((await e.notifications.unacked('dana', 10, T0 + HOUR + 1500)).map((r) => r.id)).toEqual(recs.slice(2).map((r) => r.id));
    expect(await e.notifications.get(recs[0].id, T0 + HOUR)).toBeNull();
  });

  it('should bound each inbox, dropping acked records first, then the oldest unacked (reported as evicted)', async () => {
    const e = await make();
    const small = { ttlMs: HOUR, maxItems: 3 };
    const [r1, r2, r3, r4, r5] = Array.from({ length: 5 }, () => record('erin'));
    await e.notifications.add([r1, r2, r3], small);
    await e.notifications.ack('erin', [r2.id], T0);
    expect(await e.notifications.add([r4], small)).toEqual({ evicted: [] });
    expect(await e.notifications.get(r2.id, T0)).toBeNull();
    const { evicted } = await e.notifications.add([r5], small);
    expect(evicted).toEqual([r1]);
    expect((await e.notifications.unacked('erin', 10, T0)).map((r) => r.id)).toEqual([r3.id, r4.id, r5.id]);
    // other users are not affected by erin's bound
    await e.notifications.add([record('finn')], small);
    expect(await e.notifications.unacked('erin', 10, T0)).toHaveLength(3);
  });

  it('should expire records past their TTL in bounded passes and return the unacked ones', async () => {
    const e = await make();
    const early = Array.from({ length: 5 }, (_, i) => record(i % 2 ? 'gus' : 'hal', { expiresAt: T0 + 1000 + i }));
    const late = record('gus', { expiresAt: T0 + 10 * HOUR });
    await e.notifications.add([...early, late], limits);
    await e.notifications.ack('hal', [early[0].id], T0);

    const first = await e.notifications.expire(T0 + 2000, 3);
    expect(first.removed).toBe(3);
    expect(first.unacked.map((r) => r.id).sort()).toEqual([early[1].id, early[2].id]);
    const second = await e.notifications.expire(T0 + 2000, 3);
    expect(second).toEqual({ removed: 2, unacked: expect.any(Array) });
    expect(second.unacked.map((r) => r.id).sort()).toEqual([early[3].id, early[4].id]);
    expect(await e.notifications.expire(T0 + 2000, 3)).toEqual({ removed: 0, unacked: [] });
    expect((await e.notifications.unacked('gus', 10, T0)).map((r) => r.id)).toEqual([late.id]);
    expect(await e.notifications.get(early[1].id, T0)).toBeNull();
  });
}
