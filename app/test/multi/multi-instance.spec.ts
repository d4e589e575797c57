import { GatewayChild } from '../support/gateway-child';
import { startRedisTopology, type RedisTopologyHarness, type TopologyMode } from '../support/redis-topology';
import { call, closeAll, collect, connect, next, until } from '../support/clients';
import { signToken } from '../support/tokens';

// The classic adapter PSUBSCRIBEs to every instance's traffic; a Cluster always uses the sharded one.
const SETUPS: Array<[TopologyMode, 'classic' | 'sharded']> = [['standalone', 'classic'], ['standalone', 'sharded'], ['sentinel', 'classic'], ['cluster', 'sharded']];

describe.each(SETUPS)('two gateway processes on Redis %s (%s adapter)', (mode, adapter) => {
  let redis: RedisTopologyHarness;
  let a: GatewayChild;
  let b: GatewayChild;

  beforeAll(async () => {
    redis = await startRedisTopology(mode);
    const env = { ...redis.env, REDIS_ADAPTER: adapter, RATE_LIMIT_MESSAGE_SEND: '100000', API_KEYS: 'multi-api-key-0123456789' };
    [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'gw-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'gw-b' })]);
  }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  const on = async (gw: GatewayChild, sub: string, channelId?: string) => {
    const s = await connect(gw.url, await signToken({ sub }));
    if (channelId) expect(await call(s, 'channel:join', { channelId })).toMatchObject({ ok: true });
    return s;
  };

  it('should deliver messages sent on both instances to clients on both, in one identical seq order', async () => {
    const senders = [await on(a, 's1', 'x'), await on(b, 's2', 'x')];
    const readers = [await on(a, 'r1', 'x'), await on(b, 'r2', 'x'), await on(a, 'r3', 'x'), await on(b, 'r4', 'x')];
    expect(readers[0].ready.instanceId).toBe('gw-a');
    expect(readers[1].ready.instanceId).toBe('gw-b');
    const seen = readers.map((r) => collect<{ seq: number; id: string }>(r, 'message:new'));
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) => call(senders[i % 2], 'message:send', { channelId: 'x', content: `m${i}`, clientMsgId: `multi-msg-${i}` })),
    );
    expect(new Set(acks.map((x) => x.seq)).size).toBe(200);
    await until(() => seen.every((s) => s.length >= 200), 10_000, 'all messages delivered');
    const expected = Array.from({ length: 200 }, (_, i) => i + 1);
    for (const s of seen) expect(s.map((m) => m.seq)).toEqual(expected);
  });

  it('should subscribe an instance to a channel\u2019s topic only while it has a local member there', async () => {
    const topic = 'sg:{ch:fanout}:events';
    const subscribers = (n: number) => until(async () => (await redis.subscribers(topic)) === n, 5000, `${n} subscribers of ${topic}`);
    const onA = await on(a, 'fan-a', 'fanout');
    await subscribers(1);
    const onB = await on(b, 'fan-b', 'fanout');
    await subscribers(2);
    const secondOnB = await on(b, 'fan-b2', 'fanout');
    onB.disconnect();
    // b still has a member, so it stays subscribed and keeps delivering.
    const live = next(secondOnB, 'message:new');
    await call(onA, 'message:send', { channelId: 'fanout', content: 'still here', clientMsgId: 'fan-msg-1' });
    expect(await live).toMatchObject({ content: 'still here' });
    expect(await redis.subscribers(topic)).toBe(2);
    expect(await call(secondOnB, 'channel:leave', { channelId: 'fanout' })).toMatchObject({ ok: true });
    await subscribers(1);
    onA.disconnect();
    await subscribers(0);
  });

  it('should announce members across instances once per user, and their leaving when the last socket goes', async () => {
    const watcher = await on(a, 'watch', 'members');
    const joined = collect(watcher, 'channel:member_joined');
    const firstJoin = next(watcher, 'channel:member_joined');
    const tabOnB = await on(b, 'multi-tab', 'members');
    expect(await firstJoin).toEqual({ channelId: 'members', userId: 'multi-tab' });
    const tabOnA = await on(a, 'multi-tab', 'members');
    const left = next(watcher, 'channel:member_left');
    tabOnB.disconnect();
    tabOnA.disconnect();
    expect(await left).toEqual({ channelId: 'members', userId: 'multi-tab' });
    expect(joined).toHaveLength(1);
    const fresh = await on(b, 'late', 'members');
    const j = await call(fresh, 'channel:join', { channelId: 'members' });
    expect(j.members.sort()).toEqual(['late', 'watch']);
  });

  it('should share a user\u2019s rate-limit budget across instances', async () => {
    const redisB = await GatewayChild.start({ ...redis.env, REDIS_ADAPTER: adapter, RATE_LIMIT_MESSAGE_SEND: '6', INSTANCE_ID: 'gw-c' });
    const redisC = await GatewayChild.start({ ...redis.env, REDIS_ADAPTER: adapter, RATE_LIMIT_MESSAGE_SEND: '6', INSTANCE_ID: 'gw-d' });
    try {
      const one = await on(redisB, 'limited', 'rl');
      const two = await on(redisC, 'limited', 'rl');
      const results = [];
      for (let i = 0; i < 8; i++) results.push(await call(i % 2 ? one : two, 'message:send', { channelId: 'rl', content: 'x', clientMsgId: `rl-msg-${i}` }));
      expect(results.filter((r) => r.ok)).toHaveLength(6);
      expect(results.slice(6).every((r) => r.error?.code === 'RATE_LIMITED')).toBe(true);
    } finally {
      await Promise.all([redisB.stop(), redisC.stop()]);
    }
  });

  it('should disconnect a user on the other instance through the adapter (server API)', async () => {
    const victim = await on(b, 'far-away');
    const gone = new Promise((r) => victim.once('disconnect', r));
    const res = await fetch(`${a.url}/api/v1/users/far-away/disconnect`, { method: 'POST', headers: { authorization: 'Bearer multi-api-key-0123456789' } });
    expect(await res.json()).toEqual({ ok: true, disconnected: 1 });
    await gone;
  });

  it('should give a history written through one instance to a client of the other', async () => {
    const w = await on(a, 'writer', 'hist');
    for (let i = 0; i < 5; i++) await call(w, 'message:send', { channelId: 'hist', content: `h${i}`, clientMsgId: `hist-msg-${i}` });
    const r = await on(b, 'reader', 'hist');
    const h = await call(r, 'message:history', { channelId: 'hist' });
    expect(h.messages.map((m: { content: string }) => m.content)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
  });
});
