/**
 * Coalesced member and presence events cross instances as one adapter message per flush (issue
 * 13): a burst of N users coming online costs the fleet a couple of PUBLISHes, not 2N, and every
 * event still reaches the sockets of the other instance, each once.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServer } from '../support/redis-server';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';
import { PresenceCoalescer } from '../../src/presence/presence-coalescer';

const run = promisify(execFile);
const N = 20;

async function publishCalls(port: number): Promise<number> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'INFO', 'commandstats']);
  return Number(/cmdstat_publish:calls=(\d+)/.exec(stdout)?.[1] ?? 0);
}

describe('coalesced member and presence events across instances', () => {
  let redis: RedisServer;
  const gws: Array<Awaited<ReturnType<typeof startTestGateway>>> = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, PRESENCE_COALESCE_MS: '5000', RATE_LIMIT_CONNECT_PER_IP: '100000', RATE_LIMIT_CHANNEL_JOIN: '100000' };
    gws.push(await startTestGateway(env), await startTestGateway(env));
  }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.close()));
    await redis?.stop();
  });

  it('should send one flush of N users as one message per buffer, and deliver every event on the other instance once', async () => {
    const [a, b] = gws;
    const observer = await connect(b.url, await signToken({ sub: 'cf-observer', roles: ['admin'] }));
    expect(await call(observer, 'channel:join', { channelId: 'cf' })).toMatchObject({ ok: true });
    expect(await call(observer, 'presence:subscribe', {})).toMatchObject({ ok: true });
    await Promise.all(gws.map((g) => g.app.get(PresenceCoalescer).flushAll()));
    // The observer's own events may still be on their way; only the N users' are counted.
    const ofUsers = <T extends { userId: string }>(list: T[]) => list.filter((e) => e.userId.startsWith('cf-u'));
    const joinedAll = collect<{ userId: string }>(observer, 'channel:member_joined');
    const onlineAll = collect<{ userId: string; status: string }>(observer, 'presence:changed');
    const joined = () => ofUsers(joinedAll);
    const online = () => ofUsers(onlineAll);

    const users = await Promise.all(Array.from({ length: N }, async (_, i) => connect(a.url, await signToken({ sub: `cf-u${i}` }))));
    for (const s of users) expect(await call(s, 'channel:join', { channelId: 'cf' })).toMatchObject({ ok: true });
    // Still held (the window is far longer than this test), so the flush below carries them all.
    expect(a.app.get(PresenceCoalescer).pendingRooms).toBe(2);
    const before = await publishCalls(redis.port);
    await a.app.get(PresenceCoalescer).flushAll();
    await until(() => joined().length >= N && online().length >= N, 10_000, 'every member and presence event on the other instance');

    // One message for the presence buffer and one for the channel's: before, one per event (2N).
    expect((await publishCalls(redis.port)) - before).toBeLessThanOrEqual(2);
    const ids = Array.from({ length: N }, (_, i) => `cf-u${i}`).sort();
    expect(joined().map((e) => e.userId).sort()).toEqual(ids);
    expect(online().filter((e) => e.status === 'online').map((e) => e.userId).sort()).toEqual(ids);
    // Nothing more arrives: each event came once.
    expect(await call(observer, 'presence:get', { userIds: ['cf-u0'] })).toMatchObject({ ok: true });
    expect(joined()).toHaveLength(N);
    expect(online()).toHaveLength(N);
  });
});
