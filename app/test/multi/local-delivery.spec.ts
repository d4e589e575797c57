/**
 * Members on the sender's instance get a message from the answer to its append, without waiting
 * for the bus round trip (issue 13): proven by cutting the instance's topic subscription, which
 * would otherwise lose the message's bus copy.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServer } from '../support/redis-server';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';

const run = promisify(execFile);

describe('delivery to members on the sender\u2019s instance', () => {
  let redis: RedisServer;
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    redis = await RedisServer.start();
    gw = await startTestGateway({ REDIS_URL: redis.url, RATE_LIMIT_MESSAGE_SEND: '100000' });
  }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw?.close();
    await redis?.stop();
  });

  it('should not wait for the bus: the next message in seq reaches local members even while the topic subscription is cut', async () => {
    const sender = await connect(gw.url, await signToken({ sub: 'loc-sender' }));
    const reader = await connect(gw.url, await signToken({ sub: 'loc-reader' }));
    for (const s of [sender, reader]) expect(await call(s, 'channel:join', { channelId: 'loc' })).toMatchObject({ ok: true });
    const seen = collect<{ seq: number; content: string }>(reader, 'message:new');
    expect(await call(sender, 'message:send', { channelId: 'loc', content: 'first', clientMsgId: 'local-msg-1' })).toMatchObject({ ok: true, seq: 1 });
    await until(() => seen.length === 1, 5000, 'the first message over the bus');
    // Every pub/sub connection of the server goes: the bus copy of the next message is published to no one.
    await run('redis-cli', ['-p', String(redis.port), 'CLIENT', 'KILL', 'TYPE', 'pubsub']);
    expect(await call(sender, 'message:send', { channelId: 'loc', content: 'second', clientMsgId: 'local-msg-2' })).toMatchObject({ ok: true, seq: 2 });
    await until(() => seen.length === 2, 5000, 'the second message from the append\u2019s answer');
    expect(seen.map((m) => [m.seq, m.content])).toEqual([[1, 'first'], [2, 'second']]);
    // Once the subscription is back, messages flow as before, each once and in order.
    await until(async () => {
      await call(sender, 'message:send', { channelId: 'loc', content: 'probe', clientMsgId: `local-probe-${seen.length}` });
      return seen.length >= 3;
    }, 10_000, 'delivery after the subscription is back');
    const seqs = seen.map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });
});
