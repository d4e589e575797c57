import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, connect } from '../support/clients';
import { signToken } from '../support/tokens';
import { WebhookReceiver } from '../support/webhook-receiver';

describe('webhooks from two gateway processes sharing one Redis queue', () => {
  let redis: RedisServer;
  let receiver: WebhookReceiver;
  let a: GatewayChild;
  let b: GatewayChild;

  beforeAll(async () => {
    redis = await RedisServer.start();
    receiver = await WebhookReceiver.start();
    const env = { REDIS_URL: redis.url, WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: 'multi-webhook-secret-0123456789', RATE_LIMIT_MESSAGE_SEND: '100000' };
    [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'wh-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'wh-b' })]);
  }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await receiver?.close();
    await redis?.stop();
  });

  it('should enqueue each event once fleet-wide and deliver each exactly once when the receiver accepts', async () => {
    const onA = await connect(a.url, await signToken({ sub: 'mw-a' }));
    const onB = await connect(b.url, await signToken({ sub: 'mw-b' }));
    for (const s of [onA, onB]) expect(await call(s, 'channel:join', { channelId: 'mw' })).toMatchObject({ ok: true });
    for (let i = 0; i < 20; i++) await call(i % 2 ? onA : onB, 'message:send', { channelId: 'mw', content: `m${i}`, clientMsgId: `mw-msg-${i}00` });
    await receiver.until(() => receiver.ofType('message.created').length >= 20, 10_000, '20 message.created');
    const created = receiver.ofType('message.created');
    expect(created).toHaveLength(20);
    expect(new Set(created.map((w) => w.body.data.message.seq))).toEqual(new Set(Array.from({ length: 20 }, (_, i) => i + 1)));
    expect(receiver.ofType('member.joined')).toHaveLength(2);
    expect(receiver.ofType('channel.occupied')).toHaveLength(1);
    expect(new Set(receiver.received.map((w) => w.body.id)).size).toBe(receiver.received.length);
  });
});
