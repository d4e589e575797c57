import { NotificationsService } from '../../src/notifications/notifications.service';
import { MaintenanceRegistry } from '../../src/maintenance/maintenance.registry';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, until } from '../support/clients';
import { closeListening, connectListening } from '../support/listening-client';
import { signToken } from '../support/tokens';

const KEY = 'notifications-test-key-0123456789';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

type Gateway = Awaited<ReturnType<typeof startTestGateway>>;

async function post(gw: Gateway, body: unknown, headers: Record<string, string> = auth) {
  const res = await fetch(`${gw.url}/api/v1/notifications`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function state(gw: Gateway, id: string, headers: Record<string, string> = auth) {
  const res = await fetch(`${gw.url}/api/v1/notifications/${id}`, { headers });
  return { status: res.status, body: await res.json() };
}

const user = async (gw: Gateway, sub: string) => connect(gw.url, await signToken({ sub }));
/** Connects with notification listeners in place before connection:ready (redelivery follows it at once). */
const listening = async (gw: Gateway, sub: string) => connectListening(gw.url, await signToken({ sub }), ['notification:batch', 'notification:new']);
const pendingGauge = async (gw: Gateway) => (await gw.metrics.notificationsPending.get()).values[0]?.value ?? 0;
type Batch = { notifications: Array<{ id: string; payload?: unknown; type?: string }> };

describe('notifications (one instance)', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ API_KEYS: KEY, RATE_LIMIT_DEFAULT: '100000' });
  });
  afterEach(() => {
    closeAll();
    closeListening();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('should deliver a high priority notification at once as notification:new, one id per user', async () => {
    const [a, b] = [await listening(gw, 'hi-alice'), await listening(gw, 'hi-bob')];
    // A normal one posted first is still waiting in its batch when the high one arrives.
    await post(gw, { userIds: ['hi-alice'], type: 'digest', priority: 'normal', payload: null });
    const res = await post(gw, { userIds: ['hi-alice', 'hi-bob'], type: 'mention', priority: 'high', payload: { text: 'look', n: [1, 2] } });
    expect(res).toEqual({ status: 202, body: { ok: true, ids: [expect.stringMatching(/^ntf_/), expect.stringMatching(/^ntf_/)] } });
    await until(() => a.got['notification:new'].length > 0 && b.got['notification:new'].length > 0, 2000, 'notification:new');
    expect(a.got['notification:batch']).toHaveLength(0);
    const [na, nb] = [a.got['notification:new'][0], b.got['notification:new'][0]];
    expect(na).toEqual({ id: res.body.ids[0], type: 'mention', priority: 'high', payload: { text: 'look', n: [1, 2] }, createdAt: expect.any(String) });
    expect(nb.id).toBe(res.body.ids[1]);
    expect(na.id).not.toBe(nb.id);
    await until(async () => (await state(gw, na.id)).body.state === 'delivered', 2000, 'delivered state');
    await until(() => a.got['notification:batch'].length > 0, 2000, 'the normal one, batched');
  });

  it('should batch normal and low notifications per user for 250 ms into one notification:batch', async () => {
    const c = await user(gw, 'batch-carol');
    const batches = collect<{ notifications: Array<{ id: string }> }>(c, 'notification:batch');
    const news = collect(c, 'notification:new');
    const started = Date.now();
    const ids: string[] = [];
    for (const priority of ['normal', 'low', 'normal']) {
      ids.push(...(await post(gw, { userIds: ['batch-carol'], type: 'digest', priority, payload: null })).body.ids);
    }
    expect(await pendingGauge(gw)).toBe(3);
    await until(() => batches.length > 0, 2000, 'a batch');
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(batches).toHaveLength(1);
    expect(batches[0].notifications.map((n) => n.id)).toEqual(ids);
    expect(news).toHaveLength(0);
    expect(await pendingGauge(gw)).toBe(0);
  });

  it('should flush a batch at 50 items without waiting for the window, and count waiting items in the pending gauge', async () => {
    const d = await user(gw, 'batch-dave');
    const batches = collect<{ notifications: Array<{ id: string }> }>(d, 'notification:batch');
    const service = gw.app.get(NotificationsService);
    const sends = Array.from({ length: 60 }, (_, i) => service.send({ userIds: ['batch-dave'], type: 't', priority: 'normal', payload: { i } }));
    const ids = (await Promise.all(sends)).map((r) => r.ids[0]);
    await until(() => batches.length >= 1, 2000, 'the full batch');
    expect(batches[0].notifications).toHaveLength(50);
    expect(await pendingGauge(gw)).toBe(10);
    await until(() => batches.length >= 2, 2000, 'the rest');
    expect(batches[1].notifications).toHaveLength(10);
    expect(batches.flatMap((b) => b.notifications.map((n) => n.id))).toEqual(ids);
    expect(await pendingGauge(gw)).toBe(0);
  });

  it('should ack only the caller\u2019s own notifications and show pending, delivered and acked state with timestamps', async () => {
    const offline = await post(gw, { userIds: ['ack-erin', 'ack-frank'], type: 'x', priority: 'high', payload: {} });
    const [erinId, frankId] = offline.body.ids;
    expect((await state(gw, erinId)).body).toEqual({
      ok: true,
      notification: { id: erinId, userId: 'ack-erin', type: 'x', priority: 'high', payload: {}, createdAt: expect.any(String) },
      state: 'pending', deliveredAt: null, ackedAt: null, expiresAt: expect.any(String),
    });
    const e = await listening(gw, 'ack-erin');
    await until(() => e.got['notification:batch'].length > 0, 2000, 'redelivery');
    expect(e.got['notification:batch'][0].notifications.map((n: { id: string }) => n.id)).toEqual([erinId]);
    await until(async () => (await state(gw, erinId)).body.state === 'delivered', 2000, 'delivered');

    expect(await call(e, 'notification:ack', { ids: [erinId, frankId, 'ntf_unknown'] })).toEqual({ ok: true, acked: 1 });
    expect(await call(e, 'notification:ack', { ids: [erinId] })).toEqual({ ok: true, acked: 0 });
    const s = (await state(gw, erinId)).body;
    expect(s).toMatchObject({ state: 'acked', deliveredAt: expect.any(String), ackedAt: expect.any(String) });
    expect(Date.parse(s.ackedAt)).toBeGreaterThanOrEqual(Date.parse(s.deliveredAt));
    expect((await state(gw, frankId)).body.state).toBe('pending');
    expect(await call(e, 'notification:ack', { ids: [] })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await call(e, 'notification:ack', { ids: 'x' })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });

  it('should redeliver unacked notifications after every connection:ready until they are acked', async () => {
    const ids = (await post(gw, { userIds: ['re-gina'], type: 'x', priority: 'normal', payload: { v: 1 } })).body.ids;
    ids.push(...(await post(gw, { userIds: ['re-gina'], type: 'x', priority: 'high', payload: { v: 2 } })).body.ids);
    // The live batch went out to nobody; only the inbox can bring these back.
    await until(async () => (await pendingGauge(gw)) === 0, 2000, 'batch flushed');

    const first = await listening(gw, 're-gina');
    await until(() => first.got['notification:batch'].length > 0, 2000, 'first redelivery');
    expect(first.got['notification:batch'].map((b: Batch) => b.notifications.map((n) => n.id))).toEqual([ids]);
    first.disconnect();

    const second = await listening(gw, 're-gina');
    await until(() => second.got['notification:batch'].length > 0, 2000, 'second redelivery');
    expect(second.got['notification:batch'][0].notifications.map((n: { payload: unknown }) => n.payload)).toEqual([{ v: 1 }, { v: 2 }]);
    expect(await call(second, 'notification:ack', { ids })).toEqual({ ok: true, acked: 2 });
    second.disconnect();

    const third = await listening(gw, 're-gina');
    // A fresh notification is the first thing this connection gets: nothing acked came back.
    await post(gw, { userIds: ['re-gina'], type: 'marker', priority: 'high', payload: null });
    await until(() => third.got['notification:new'].length > 0, 2000, 'marker');
    expect(third.got['notification:new'][0].type).toBe('marker');
    expect(third.got['notification:batch']).toHaveLength(0);
  });

  it('should answer 401 without a key, 403 with a wrong key and 404 for an unknown id', async () => {
    const body = { userIds: ['k'], type: 'x', priority: 'high', payload: 1 };
    expect(await post(gw, body, { 'content-type': 'application/json' })).toEqual({ status: 401, body: { ok: false, error: { code: 'AUTH_FAILED', message: expect.any(String) } } });
    expect(await post(gw, body, { ...auth, authorization: 'Bearer wrong-key-wrong-key-wrong' })).toEqual({ status: 403, body: { ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } } });
    const id = (await post(gw, body)).body.ids[0];
    expect((await state(gw, id, {})).status).toBe(401);
    expect((await state(gw, id, { authorization: 'Bearer wrong-key-wrong-key-wrong' })).status).toBe(403);
    expect((await state(gw, id)).status).toBe(200);
    expect(await state(gw, 'ntf_doesnotexist')).toEqual({ status: 404, body: { ok: false, error: { code: 'NOT_FOUND', message: expect.any(String) } } });
    expect((await state(gw, 'not-an-id')).body.error.code).toBe('INVALID_PAYLOAD');
  });

  it.each([
    ['no users', { userIds: [], type: 'x', priority: 'high', payload: 1 }],
    ['more than 1000 users', { userIds: Array.from({ length: 1001 }, (_, i) => `u${i}`), type: 'x', priority: 'high', payload: 1 }],
    ['a repeated user', { userIds: ['a', 'a'], type: 'x', priority: 'high', payload: 1 }],
    ['a malformed user id', { userIds: ['a b'], type: 'x', priority: 'high', payload: 1 }],
    ['an unknown priority', { userIds: ['a'], type: 'x', priority: 'urgent', payload: 1 }],
    ['no type', { userIds: ['a'], priority: 'high', payload: 1 }],
    ['no payload', { userIds: ['a'], type: 'x', priority: 'high' }],
    ['a payload over 16 KB', { userIds: ['a'], type: 'x', priority: 'high', payload: { blob: 'x'.repeat(16 * 1024) } }],
    ['an unknown key', { userIds: ['a'], type: 'x', priority: 'high', payload: 1, extra: true }],
  ])('should refuse a body with %s as 400 INVALID_PAYLOAD', async (_, body) => {
    expect(await post(gw, body)).toEqual({ status: 400, body: { ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.any(String) } } });
  });

  it('should refuse malformed JSON with the same 400 shape', async () => {
    const res = await fetch(`${gw.url}/api/v1/notifications`, { method: 'POST', headers: auth, body: '{"userIds": [' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.any(String) } });
  });
});

describe('notification inbox bounds and expiry', () => {
  let gw: Gateway;
  beforeAll(async () => {
    gw = await startTestGateway({ API_KEYS: KEY, NOTIFICATION_INBOX_MAX: '5', NOTIFICATION_TTL_SEC: '2' });
  });
  afterEach(() => {
    closeAll();
    closeListening();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('should keep only the newest NOTIFICATION_INBOX_MAX unacked notifications of a user', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(...(await post(gw, { userIds: ['bound-hank'], type: 'x', priority: 'low', payload: { i } })).body.ids);
    await until(async () => (await pendingGauge(gw)) === 0, 2000, 'batch flushed');
    const h = await listening(gw, 'bound-hank');
    await until(() => h.got['notification:batch'].length > 0, 2000, 'redelivery');
    expect(h.got['notification:batch'].map((b: Batch) => b.notifications.map((n) => n.id))).toEqual([ids.slice(3)]);
    expect((await state(gw, ids[0])).status).toBe(404);
  });

  it('should drop notifications past NOTIFICATION_TTL_SEC in the inbox-expiry maintenance job', async () => {
    const [id] = (await post(gw, { userIds: ['ttl-ivy'], type: 'x', priority: 'high', payload: 1 })).body.ids;
    expect((await state(gw, id)).status).toBe(200);
    const registry = gw.app.get(MaintenanceRegistry);
    expect(registry.names()).toContain('inbox-expiry');
    let removed = 0;
    await until(async () => {
      const run = await registry.runNow('inbox-expiry');
      expect(run.result).toBe('success');
      removed += Number((run.details as { removed?: number } | undefined)?.removed ?? 0);
      return (await state(gw, id)).status === 404 && removed > 0;
    }, 6000, 'the record expired');
    const i = await listening(gw, 'ttl-ivy');
    await post(gw, { userIds: ['ttl-ivy'], type: 'marker', priority: 'high', payload: null });
    await until(() => i.got['notification:new'].length > 0, 2000, 'marker');
    expect(i.got['notification:batch']).toHaveLength(0);
  });
});
