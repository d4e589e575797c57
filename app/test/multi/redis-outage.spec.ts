import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';

describe('Redis outage', () => {
  let redis: RedisServer;
  let gw: GatewayChild;
  beforeAll(async () => {
    redis = await RedisServer.start();
    gw = await GatewayChild.start({ REDIS_URL: redis.url, ENGINE_TIMEOUT_MS: '1000' });
  }, 30_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('should answer UNAVAILABLE within 2 s, report not ready, stay up, and recover when Redis returns', async () => {
    const s = await connect(gw.url, await signToken({ sub: 'outage' }));
    expect(await call(s, 'channel:join', { channelId: 'o' })).toMatchObject({ ok: true });
    expect((await gw.readyz()).status).toBe(200);

    await redis.kill();
    const started = Date.now();
    const ack = await call(s, 'message:send', { channelId: 'o', content: 'during', clientMsgId: 'outage-msg-1' }, 5000);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(ack).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', retryAfterMs: expect.any(Number) } });
    const ready = await gw.readyz();
    expect(ready).toEqual({ status: 503, body: { status: 'not_ready', reason: 'engine_unreachable' } });
    expect(await gw.metrics()).toMatch(/^socket_gateway_redis_up 0$/m);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);

    await redis.restart();
    await until(async () => (await gw.readyz()).status === 200, 15_000, 'ready again');
    expect(await gw.metrics()).toMatch(/^socket_gateway_redis_up 1$/m);
    const after = await call(s, 'message:send', { channelId: 'o', content: 'after', clientMsgId: 'outage-msg-2' });
    expect(after).toMatchObject({ ok: true });
    expect(gw.exitCode).toBeNull();
    expect(gw.output.some((l) => /unhandled|ECONNREFUSED.*at /i.test(l) && !l.startsWith('{'))).toBe(false);
  }, 60_000);
});
