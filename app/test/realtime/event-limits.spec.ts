/**
 * Every client event has a bucket (issue 17, point 5): typing stops with nothing running,
 * auth:refresh, thread:leave and presence:unsubscribe, on both engines.
 */
import { startTestGateway } from '../support/gateway';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, collect, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
const LIMITS = { RATE_LIMIT_TYPING_STOP: '5', RATE_LIMIT_AUTH_REFRESH: '3', RATE_LIMIT_DEFAULT: '5', RATE_LIMIT_CONNECT_PER_IP: '1000' };

describe.each(['memory', 'redis'] as const)('limits on every event (%s engine)', (kind) => {
  let redis: RedisServer | undefined;
  let gw: Gw;
  beforeAll(async () => {
    if (kind === 'redis') redis = await RedisServer.start();
    gw = await startTestGateway({ ...LIMITS, ...(redis ? { REDIS_URL: redis.url } : {}) });
  }, 30_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });

  const codes = (acks: Array<{ ok: boolean; error?: { code: string } }>) => acks.map((a) => (a.ok ? 'ok' : a.error!.code));

  it('should limit typing stops with nothing running, relay only the allowed ones, and always let a real stop through', async () => {
    const sender = await connect(gw.url, await signToken({ sub: `stopper-${kind}` }));
    const receiver = await connect(gw.url, await signToken({ sub: `watcher-${kind}` }));
    for (const s of [sender, receiver]) expect((await call(s, 'channel:join', { channelId: 'stops' })).ok).toBe(true);
    const seen = collect<{ isTyping: boolean }>(receiver, 'user:typing');
    const acks = [];
    for (let i = 0; i < 12; i++) acks.push(await call(sender, 'user:typing', { channelId: 'stops', isTyping: false }));
    expect(codes(acks)).toEqual([...Array(5).fill('ok'), ...Array(7).fill('RATE_LIMITED')]);
    // A start, then its stop: the stop ends a real indicator and is not refused.
    expect(await call(sender, 'user:typing', { channelId: 'stops', isTyping: true })).toEqual({ ok: true });
    expect(await call(sender, 'user:typing', { channelId: 'stops', isTyping: false })).toEqual({ ok: true });
    await until(() => seen.length >= 7, 3000, 'the relayed typing events');
    expect(seen.length).toBe(7);
  });

  it('should limit auth:refresh', async () => {
    const s = await connect(gw.url, await signToken({ sub: `refresher-${kind}` }));
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await call(s, 'auth:refresh', { token: await signToken({ sub: `refresher-${kind}` }) }));
    expect(codes(acks)).toEqual(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED']);
  });

  it('should limit thread:leave and presence:unsubscribe', async () => {
    const s = await connect(gw.url, await signToken({ sub: `leaver-${kind}` }));
    const leaves = [];
    const unsubs = [];
    for (let i = 0; i < 7; i++) leaves.push(await call(s, 'thread:leave', { channelId: 'c', threadId: 't' }));
    for (let i = 0; i < 7; i++) unsubs.push(await call(s, 'presence:unsubscribe', {}));
    expect(codes(leaves)).toEqual([...Array(5).fill('ok'), 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(codes(unsubs)).toEqual([...Array(5).fill('ok'), 'RATE_LIMITED', 'RATE_LIMITED']);
  });
});
