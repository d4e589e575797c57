/**
 * Every client event has a bucket (issue 17, point 5): typing stops with nothing running,
 * auth:refresh, thread:leave and presence:unsubscribe, on both engines.
 */
import { startTestGateway } from '../support/gateway';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, collect, connect, until, type TestSocket } from '../support/clients';
import { CLIENT_EVENTS, type ClientEventName } from '../../src/contracts/events';
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

/**
 * Every event of the contract, each with its own user (so its own buckets), every bucket at 2: the
 * third call is RATE_LIMITED, whatever the first two answered (refusals such as NOT_FOUND cost a
 * token too, so unknown ids and foreign messages cannot be probed without limit). An event added
 * to CLIENT_EVENTS without an entry here fails the test.
 */
type Setup = (s: TestSocket, user: string) => Promise<void>;
const joined: Setup = async (s) => {
  expect((await call(s, 'channel:join', { channelId: 'every' })).ok).toBe(true);
};
const EVERY_EVENT: Record<ClientEventName, { setup?: Setup; payload: (i: number, user: string) => unknown | Promise<unknown> }> = {
  'channel:join': { payload: (i) => ({ channelId: `every-${i}` }) },
  'channel:leave': { payload: () => ({ channelId: 'every' }) },
  'message:send': { setup: joined, payload: (i) => ({ channelId: 'every', content: 'hi', clientMsgId: `every-send-${i}` }) },
  'message:edit': { payload: () => ({ channelId: 'every', messageId: 'no-such-message', content: 'edited' }) },
  'message:delete': { payload: () => ({ channelId: 'every', messageId: 'no-such-message' }) },
  'message:history': { payload: () => ({ channelId: 'every' }) },
  'message:read': { setup: joined, payload: () => ({ channelId: 'every', seq: 0 }) },
  'auth:refresh': { payload: (_i, user) => signToken({ sub: user }).then((token) => ({ token })) },
  'presence:update': { payload: () => ({ status: 'away' }) },
  'presence:get': { payload: () => ({ userIds: ['someone'] }) },
  'presence:subscribe': { payload: () => ({}) },
  'presence:unsubscribe': { payload: () => ({}) },
  'user:typing': { setup: joined, payload: () => ({ channelId: 'every', isTyping: true }) },
  'thread:join': { payload: () => ({ channelId: 'every', threadId: 't1' }) },
  'thread:leave': { payload: () => ({ channelId: 'every', threadId: 't1' }) },
  'notification:ack': { payload: () => ({ ids: ['ntf_unknown'] }) },
};
const ALL_AT_TWO = {
  RATE_LIMIT_MESSAGE_SEND: '2', RATE_LIMIT_TYPING: '2', RATE_LIMIT_TYPING_STOP: '2', RATE_LIMIT_AUTH_REFRESH: '2', RATE_LIMIT_PRESENCE_UPDATE: '2',
  RATE_LIMIT_CHANNEL_JOIN: '2', RATE_LIMIT_CHANNEL_REJOIN: '2', RATE_LIMIT_DEFAULT: '2', RATE_LIMIT_CONNECT_PER_IP: '1000',
};

describe.each(['memory', 'redis'] as const)('a bucket for every client event (%s engine)', (kind) => {
  let redis: RedisServer | undefined;
  let gw: Gw;
  beforeAll(async () => {
    if (kind === 'redis') redis = await RedisServer.start();
    gw = await startTestGateway({ ...ALL_AT_TWO, ...(redis ? { REDIS_URL: redis.url } : {}) });
  }, 30_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });

  it('should have an entry for every event of the contract', () => {
    expect(Object.keys(EVERY_EVENT).sort()).toEqual([...CLIENT_EVENTS].sort());
  });

  it.each([...CLIENT_EVENTS])('should refuse %s with RATE_LIMITED once its bucket is spent', async (event) => {
    const user = `every-${kind}-${event.replace(':', '-')}`;
    const s = await connect(gw.url, await signToken({ sub: user }));
    const { setup, payload } = EVERY_EVENT[event];
    await setup?.(s, user);
    const answers: Array<{ ok: boolean; error?: { code: string } }> = [];
    for (let i = 0; i < 3; i++) answers.push(await call(s, event, await payload(i, user)));
    expect(answers.slice(0, 2).map((a) => a.error?.code)).not.toContain('RATE_LIMITED');
    expect(answers[2]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) } });
  });
});
