/** MAX_SOCKETS_PER_USER (issue 17, point 3): one user's sockets are capped across instances. */
import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { startTestGateway } from '../support/gateway';
import { closeAll, connect, connectRefused, until, type TestSocket } from '../support/clients';
import { signToken } from '../support/tokens';

interface Target { urls: [string, string]; stop(): Promise<void> }

async function memoryTarget(): Promise<Target> {
  const gw = await startTestGateway({ MAX_SOCKETS_PER_USER: '3', RATE_LIMIT_CONNECT_PER_IP: '1000' });
  return { urls: [gw.url, gw.url], stop: () => gw.close() };
}

async function redisTarget(): Promise<Target> {
  const redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url, MAX_SOCKETS_PER_USER: '3' };
  const [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'cap-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'cap-b' })]);
  return {
    urls: [a.url, b.url],
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
    },
  };
}

describe.each([['memory', memoryTarget], ['redis, two instances', redisTarget]] as const)('MAX_SOCKETS_PER_USER (%s)', (_name, make) => {
  let t: Target;
  beforeAll(async () => { t = await make(); }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => t?.stop());

  it('should refuse a user\u2019s socket past the cap with RATE_LIMITED on any instance, and accept it again once one closed', async () => {
    const token = await signToken({ sub: 'hoarder' });
    const [a, b] = t.urls;
    const sockets: TestSocket[] = [await connect(a, token), await connect(b, token), await connect(a, token)];
    for (const url of [a, b]) {
      const refused = await connectRefused(url, token);
      expect(refused.data).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    }
    // Other users are not affected.
    await connect(b, await signToken({ sub: 'neighbour' }));
    sockets[1].disconnect();
    let again: TestSocket | undefined;
    await until(async () => {
      try {
        again = await connect(a, token);
        return true;
      } catch {
        return false;
      }
    }, 5000, 'a socket slot freed by a disconnect');
    expect(again?.connected).toBe(true);
  });
});
