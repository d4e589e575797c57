/**
 * HANDSHAKE_BATCH_MS (issue 13): handshakes that reach their Redis step within one window share
 * one write and one read, counted by the server's own INFO, against the same burst sent one by one.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RedisServer } from '../support/redis-server';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect } from '../support/clients';
import { signToken } from '../support/tokens';

const run = promisify(execFile);
const N = 30;

async function readsProcessed(port: number): Promise<number> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'INFO', 'stats']);
  return Number(/total_reads_processed:(\d+)/.exec(stdout)?.[1]);
}

describe('handshake batching (HANDSHAKE_BATCH_MS)', () => {
  let redis: RedisServer;
  beforeAll(async () => { redis = await RedisServer.start(); });
  afterEach(() => closeAll());
  afterAll(async () => redis?.stop());

  /** Redis reads while N clients connect at once, each admitted and ready. */
  async function burst(batchMs: string, prefix: string): Promise<number> {
    const gw = await startTestGateway({ REDIS_URL: redis.url, HANDSHAKE_BATCH_MS: batchMs, RATE_LIMIT_CONNECT_PER_IP: '100000', PRESENCE_COALESCE_MS: '5000' });
    try {
      const tokens = await Promise.all(Array.from({ length: N }, (_, i) => signToken({ sub: `${prefix}-${i}` })));
      const observer = await connect(gw.url, await signToken({ sub: `${prefix}-observer`, roles: ['admin'] }));
      const before = await readsProcessed(redis.port);
      await Promise.all(tokens.map((t) => connect(gw.url, t)));
      const reads = (await readsProcessed(redis.port)) - before;
      // Every one of them was admitted and registered: presence sees them all online.
      const probe = await call(observer, 'presence:get', { userIds: tokens.map((_, i) => `${prefix}-${i}`) });
      expect(probe).toMatchObject({ ok: true });
      expect((probe as { users: Array<{ status: string }> }).users.filter((u) => u.status === 'online')).toHaveLength(N);
      closeAll();
      return reads;
    } finally {
      await gw.close();
    }
  }

  it('should send a burst of handshakes to Redis in a few writes instead of one or more each', async () => {
    const oneByOne = await burst('0', 'hb-single');
    const batched = await burst('100', 'hb-batched');
    console.log(`handshake batch: ${N} concurrent handshakes cost Redis ${oneByOne} reads one by one, ${batched} batched`);
    expect(oneByOne).toBeGreaterThanOrEqual(N);
    expect(batched).toBeLessThan(oneByOne / 3);
  });
});
