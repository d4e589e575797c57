import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, connect, until } from '../support/clients';
import { closeListening, connectListening } from '../support/listening-client';
import { signToken } from '../support/tokens';

const KEY = 'multi-notifications-key-0123456789';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };

describe('notifications across two gateway processes on one Redis', () => {
  let redis: RedisServer;
  let a: GatewayChild;
  let b: GatewayChild;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, API_KEYS: KEY };
    [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'ntf-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'ntf-b' })]);
  }, 60_000);
  afterEach(() => {
    closeAll();
    closeListening();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  const post = async (gw: GatewayChild, body: unknown) => {
    const res = await fetch(`${gw.url}/api/v1/notifications`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
    return (await res.json()).ids as string[];
  };
  const state = async (gw: GatewayChild, id: string) => (await (await fetch(`${gw.url}/api/v1/notifications/${id}`, { headers: auth })).json());

  it('should deliver a notification posted to instance A to the user\u2019s socket on instance B, at once or batched', async () => {
    const onB = await connectListening(b.url, await signToken({ sub: 'multi-ann' }), ['notification:new', 'notification:batch']);
    expect(onB.ready.instanceId).toBe('ntf-b');
    const [high] = await post(a, { userIds: ['multi-ann'], type: 'call', priority: 'high', payload: { from: 'a' } });
    await until(() => onB.got['notification:new'].length === 1, 3000, 'notification:new on B');
    expect(onB.got['notification:new'][0]).toMatchObject({ id: high, type: 'call', payload: { from: 'a' } });

    const batched = [...await post(a, { userIds: ['multi-ann'], type: 'digest', priority: 'normal', payload: 1 }), ...await post(a, { userIds: ['multi-ann'], type: 'digest', priority: 'low', payload: 2 })];
    await until(() => onB.got['notification:batch'].length === 1, 3000, 'notification:batch on B');
    expect(onB.got['notification:batch'][0].notifications.map((n: { id: string }) => n.id)).toEqual(batched);

    // B delivered them, so A reports them delivered; the ack on B shows on A.
    await until(async () => (await state(a, high)).state === 'delivered', 3000, 'delivered state on A');
    expect(await call(onB, 'notification:ack', { ids: [high, ...batched] })).toEqual({ ok: true, acked: 3 });
    expect(await state(a, batched[1])).toMatchObject({ ok: true, state: 'acked', deliveredAt: expect.any(String), ackedAt: expect.any(String) });
  });

  it('should redeliver on instance B what was posted on A while the user was offline', async () => {
    const [id] = await post(a, { userIds: ['multi-ben'], type: 'offline', priority: 'high', payload: null });
    const onB = await connectListening(b.url, await signToken({ sub: 'multi-ben' }), ['notification:batch']);
    await until(() => onB.got['notification:batch'].length === 1, 3000, 'redelivery on B');
    expect(onB.got['notification:batch'][0].notifications.map((n: { id: string }) => n.id)).toEqual([id]);
    // a plain connect (no notification listeners) on A still works alongside
    const other = await connect(a.url, await signToken({ sub: 'multi-ben' }));
    expect(other.ready.instanceId).toBe('ntf-a');
  });
});
