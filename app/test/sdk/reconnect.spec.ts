import Redis from 'ioredis';
import { GatewayClient, type GapInfo, type GatewayClientOptions } from '../../src/client';
import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { until } from '../support/clients';
import { signToken } from '../support/tokens';

/**
 * The SDK against a gateway process that really dies (SIGKILL) and comes back on the same port
 * and the same Redis: nothing acked is lost or duplicated, queued sends go out once, and a
 * flushed store reaches the gap callback.
 */
describe('GatewayClient across gateway restarts (redis engine)', () => {
  let redis: RedisServer;
  let gw: GatewayChild;
  const clients: GatewayClient[] = [];
  let n = 0;
  const channel = () => `restart-${Date.now().toString(36)}-${n++}`;

  function client(sub: string, extra: Partial<GatewayClientOptions> = {}): GatewayClient {
    const c = new GatewayClient({ url: gw.url, getToken: () => signToken({ sub }), transports: ['websocket'], ...extra });
    clients.push(c);
    return c;
  }

  /** Collects the seqs a client delivers for one channel. */
  function seqsOf(c: GatewayClient, channelId: string): number[] {
    const out: number[] = [];
    c.on('message:new', (m) => {
      if (m.channelId === channelId) out.push(m.seq);
    });
    return out;
  }

  async function killGateway(...watching: GatewayClient[]): Promise<void> {
    await gw.signal('SIGKILL');
    await until(() => watching.every((c) => c.state === 'reconnecting'), 10_000, 'clients noticed the dead gateway');
  }

  beforeAll(async () => {
    redis = await RedisServer.start();
    gw = await GatewayChild.start({
      REDIS_URL: redis.url,
      RATE_LIMIT_CONNECT_PER_IP: '100000',
      RATE_LIMIT_MESSAGE_SEND: '100000',
      RATE_LIMIT_CHANNEL_JOIN: '100000',
      RATE_LIMIT_DEFAULT: '100000',
    });
  }, 180_000);
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
  });
  afterAll(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('should give every subscriber every acked message exactly once, in seq order, across a SIGKILL and restart', async () => {
    const ch = channel();
    const alice = client('alice', { maxPendingMessages: 500 });
    const bob = client('bob');
    const carol = client('carol');
    await Promise.all([alice, bob, carol].map((c) => c.connect()));
    await Promise.all([alice, bob, carol].map((c) => c.subscribe(ch)));
    const received = { alice: seqsOf(alice, ch), bob: seqsOf(bob, ch), carol: seqsOf(carol, ch) };

    let acked = 0;
    const sends = Array.from({ length: 200 }, (_, i) => alice.send(ch, `message ${i}`));
    for (const s of sends) void s.then(() => acked++, () => undefined);
    await until(() => acked >= 60, 10_000, '60 acks before the kill');
    await killGateway(alice, bob, carol);
    // The kill really landed mid-stream: part of the 200 were still waiting or in flight.
    expect(acked).toBeLessThan(200);
    expect(alice.pending(ch).length).toBe(200 - acked);
    await gw.restart();

    const acks = await Promise.all(sends);
    const ackedSeqs = acks.map((a) => a.seq);
    // One seq per clientMsgId, in send order: retries after the kill were deduplicated by the gateway.
    expect(ackedSeqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (const [who, seqs] of Object.entries(received)) {
      await until(() => seqs.length >= 200, 20_000, `${who} received all 200`);
      expect(seqs).toEqual(ackedSeqs);
    }
    expect(alice.pending()).toEqual([]);
  }, 90_000);

  it('should deliver a send queued while offline exactly once after the reconnect', async () => {
    const ch = channel();
    const alice = client('alice');
    const bob = client('bob');
    await Promise.all([alice.connect(), bob.connect()]);
    await Promise.all([alice.subscribe(ch), bob.subscribe(ch)]);
    const contents: string[] = [];
    bob.on('message:new', (m) => m.channelId === ch && contents.push(m.content));

    await killGateway(alice, bob);
    const queued = alice.send(ch, 'written while offline');
    expect(alice.pending(ch)).toEqual([expect.objectContaining({ clientMsgId: queued.clientMsgId, status: 'queued', content: 'written while offline' })]);
    await gw.restart();
    await expect(queued).resolves.toMatchObject({ seq: 1, clientMsgId: queued.clientMsgId });
    await alice.send(ch, 'after the reconnect');
    await until(() => contents.length >= 2, 10_000, 'both messages at bob');
    expect(contents).toEqual(['written while offline', 'after the reconnect']);
  }, 60_000);

  it('should call the gap callback with recovered: false when the store was flushed during the outage', async () => {
    const ch = channel();
    const gaps: GapInfo[] = [];
    const alice = client('alice');
    const bob = client('bob', { onGap: (g) => gaps.push(g) });
    const gapEvents: GapInfo[] = [];
    bob.on('gap', (g) => gapEvents.push(g));
    await Promise.all([alice.connect(), bob.connect()]);
    await Promise.all([alice.subscribe(ch), bob.subscribe(ch)]);
    const seqs = seqsOf(bob, ch);
    for (let i = 0; i < 5; i++) await alice.send(ch, `before ${i}`);
    await until(() => seqs.length === 5, 5000, 'bob has the first five');
    const before = bob.subscription(ch)!;

    await killGateway(alice, bob);
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    await admin.flushall();
    admin.disconnect();
    await gw.restart();

    await until(() => gaps.length === 1, 20_000, 'gap callback');
    expect(gaps[0]).toEqual({
      channelId: ch, reason: 'epoch_changed', lastSeenSeq: 5, resumedAfterSeq: 0,
      previousEpoch: before.epoch, epoch: expect.any(String),
    });
    expect(gaps[0].epoch).not.toBe(before.epoch);
    expect(gapEvents).toEqual(gaps);
    await until(() => bob.subscription(ch)?.state === 'subscribed' && alice.subscription(ch)?.state === 'subscribed', 10_000, 'resubscribed');
    await alice.send(ch, 'new epoch');
    await until(() => seqs.length === 6, 5000, 'first message of the new epoch');
    expect(seqs).toEqual([1, 2, 3, 4, 5, 1]);
  }, 60_000);
});
