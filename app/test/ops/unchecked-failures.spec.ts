/**
 * Failures that used to pass without a word (issue 17, point 10): a stale run-time block list
 * when Redis fails is logged and counted; fan-out samples age out one by one under load.
 */
import { startTestGateway } from '../support/gateway';
import { RedisServer } from '../support/redis-server';
import { closeAll, connect, connectRefused, until } from '../support/clients';
import { signToken } from '../support/tokens';
import { Broadcaster, RECEIVED_MAX } from '../../src/socket/broadcaster';
import { EngineUnavailableError } from '../../src/common/gateway-error';

const KEY = 'unchecked-failures-key-0123456789';

describe('unchecked failures', () => {
  afterEach(() => closeAll());

  it('should keep the last block list when Redis fails, and log and count it once per outage', async () => {
    const redis = await RedisServer.start();
    const gw = await startTestGateway({ REDIS_URL: redis.url, API_KEYS: KEY, ENGINE_TIMEOUT_MS: '300', RATE_LIMIT_CONNECT_PER_IP: '1000' });
    try {
      const res = await fetch(`${gw.url}/api/v1/ip-blocks`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ cidr: '127.0.0.0/8' }) });
      expect(res.status).toBe(201);
      expect((await connectRefused(gw.url, await signToken({ sub: 'blocked' }))).message).toBe('FORBIDDEN');
      await redis.kill();
      const stale = () => gw.logs.parsed().filter((l) => l.event === 'ip_blocks.stale');
      await until(async () => {
        await connectRefused(gw.url, await signToken({ sub: 'blocked' })).catch(() => undefined);
        return stale().length > 0;
      }, 10_000, 'an ip_blocks.stale log line');
      expect(stale()).toHaveLength(1);
      const metrics = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/socket_gateway_errors_total\{code="UNAVAILABLE"\} [1-9]/);
    } finally {
      await gw.close();
      await redis.stop();
    }
  }, 30_000);

  it('should drop only the oldest fan-out samples past the bound, never all of them', async () => {
    const gw = await startTestGateway();
    try {
      const b = gw.app.get(Broadcaster);
      for (let i = 0; i <= RECEIVED_MAX + 5; i++) b.markReceived('load', 'u', `m-${i}`);
      expect(b.pendingSamples).toBe(RECEIVED_MAX);
      expect(b.hasSample('load', 'u', `m-${RECEIVED_MAX + 5}`)).toBe(true);
      expect(b.hasSample('load', 'u', 'm-0')).toBe(false);
    } finally {
      await gw.close();
    }
  });

  it('should let handshakes through when the flood guard fails, and log a bug once with its stack and count it, while an outage logs nothing', async () => {
    const gw = await startTestGateway();
    try {
      // Only the flood guard's per-address buckets fail; the per-user admission shares the limiter.
      const limiter = gw.engine.rateLimiter;
      const consume = limiter.consume.bind(limiter);
      const failing = (err: Error) => (...args: Parameters<typeof consume>) => (args[0].startsWith('conn:ip:') ? Promise.reject(err) : consume(...args));
      limiter.consume = failing(new EngineUnavailableError('rate_consume timed out'));
      await connect(gw.url, await signToken({ sub: 'during-outage' }));
      expect(gw.logs.parsed().filter((l) => l.level === 'error')).toEqual([]);
      limiter.consume = failing(new TypeError('cannot read properties of undefined'));
      for (const sub of ['first', 'second']) await connect(gw.url, await signToken({ sub }));
      const failed = gw.logs.parsed().filter((l) => l.event === 'flood_guard.failed');
      expect(failed).toEqual([expect.objectContaining({ level: 'error', metadata: expect.objectContaining({ error: expect.objectContaining({ stack: expect.stringContaining('TypeError') }) }) })]);
      const metrics = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/socket_gateway_errors_total\{code="INTERNAL_ERROR"\} 2\b/);
    } finally {
      await gw.close();
    }
  });
});
