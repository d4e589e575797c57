/**
 * An acked notification is never delivered again (issue 17, point 8): the reported sequence on
 * two instances and Redis, with a batch window long enough that the batch is still waiting on
 * the posting instance when the user acks the same notification elsewhere; and the same visits
 * on one instance of the memory engine, where the waiting batch is the instance's own.
 */
import { GatewayChild } from '../support/gateway-child';
import { startTestGateway } from '../support/gateway';
import { RedisServer } from '../support/redis-server';
import { call, until } from '../support/clients';
import { closeListening, connectListening } from '../support/listening-client';
import { signToken } from '../support/tokens';

const KEY = 'acked-notifications-key-0123456789';
const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
const ids = (batch: { notifications: Array<{ id: string }> }) => batch.notifications.map((n) => n.id);

describe('acked notifications across two instances', () => {
  let redis: RedisServer;
  let one: GatewayChild;
  let two: GatewayChild;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, API_KEYS: KEY, NOTIFICATION_BATCH_WINDOW_MS: '5000' };
    [one, two] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'ack-1' }), GatewayChild.start({ ...env, INSTANCE_ID: 'ack-2' })]);
  }, 60_000);
  afterEach(() => closeListening());
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop()]);
    await redis?.stop();
  });

  const post = async (gw: GatewayChild, type: string) => {
    const res = await fetch(`${gw.url}/api/v1/notifications`, { method: 'POST', headers: auth, body: JSON.stringify({ userIds: ['acker'], type, priority: 'normal', payload: null }) });
    expect(res.status).toBe(202);
    return ((await res.json()).ids as string[])[0];
  };

  it('should not send a notification acked on one instance again in the batch still waiting on another', async () => {
    const token = await signToken({ sub: 'acker' });
    const first = await post(two, 'first');

    const visit1 = await connectListening(one.url, token, ['notification:batch']);
    await until(() => visit1.got['notification:batch'].length > 0, 3000, 'redelivery on instance 1');
    expect(ids(visit1.got['notification:batch'][0])).toEqual([first]);
    visit1.disconnect();

    const visit2 = await connectListening(two.url, token, ['notification:batch']);
    await until(() => visit2.got['notification:batch'].length > 0, 3000, 'redelivery on instance 2');
    expect(ids(visit2.got['notification:batch'][0])).toEqual([first]);
    expect(await call(visit2, 'notification:ack', { ids: [first] })).toEqual({ ok: true, acked: 1 });
    visit2.disconnect();

    const visit3 = await connectListening(one.url, token, ['notification:batch']);
    // Joins the batch that still holds `first` on instance 2; its arrival marks the flush.
    const second = await post(two, 'second');
    await until(() => visit3.got['notification:batch'].some((b) => ids(b).includes(second)), 10_000, 'the batch on instance 1');
    const delivered = visit3.got['notification:batch'].flatMap(ids);
    expect(delivered).toEqual([second]);
  });
});

describe('acked notifications on one instance (memory engine)', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => { gw = await startTestGateway({ ENGINE: 'memory', API_KEYS: KEY, NOTIFICATION_BATCH_WINDOW_MS: '5000' }); });
  afterEach(() => closeListening());
  afterAll(async () => gw?.close());

  const post = async (type: string) => {
    const res = await fetch(`${gw.url}/api/v1/notifications`, { method: 'POST', headers: auth, body: JSON.stringify({ userIds: ['solo-acker'], type, priority: 'normal', payload: null }) });
    expect(res.status).toBe(202);
    return ((await res.json()).ids as string[])[0];
  };

  it('should not send a notification acked after its redelivery again in the batch still waiting', async () => {
    const token = await signToken({ sub: 'solo-acker' });
    const first = await post('first');
    const visit1 = await connectListening(gw.url, token, ['notification:batch']);
    await until(() => visit1.got['notification:batch'].length > 0, 3000, 'redelivery');
    expect(ids(visit1.got['notification:batch'][0])).toEqual([first]);
    expect(await call(visit1, 'notification:ack', { ids: [first] })).toEqual({ ok: true, acked: 1 });
    visit1.disconnect();

    const visit2 = await connectListening(gw.url, token, ['notification:batch']);
    const second = await post('second');
    await until(() => visit2.got['notification:batch'].some((b) => ids(b).includes(second)), 10_000, 'the waiting batch');
    expect(visit2.got['notification:batch'].flatMap(ids)).toEqual([second]);
  });
});
