import Redis, { ReplyError } from 'ioredis';
import { RedisServer } from '../../../test/support/redis-server';
import { EngineUnavailableError, toErrorBody } from '../../common/gateway-error';
import { isUnavailable, RedisCommandRunner } from './redis-command-runner';
import { RedisEngine } from './redis.engine';
import { RedisKeys } from './redis-keys';
import { startTestGateway } from '../../../test/support/gateway';

/** A bug is INTERNAL_ERROR, an outage UNAVAILABLE (issue 17, point 9), against a real redis-server. */
describe(RedisCommandRunner.name, () => {
  let server: RedisServer;
  beforeAll(async () => { server = await RedisServer.start(); });
  afterAll(async () => server?.stop());

  it('should answer every command within its own deadline, oldest first, and leave finished ones alone (one shared timer)', async () => {
    const runner = new RedisCommandRunner(200);
    const observed: Array<[string, boolean]> = [];
    runner.observer = (command, _s, ok) => void observed.push([command, ok]);
    const never = () => new Promise<never>(() => undefined);
    const started = performance.now();
    const first = runner.run('first', never).catch((err: unknown) => [err, performance.now() - started] as const);
    await new Promise((r) => setTimeout(r, 100));
    const quick = runner.run('quick', async () => 'done');
    const second = runner.run('second', never).catch((err: unknown) => [err, performance.now() - started] as const);
    expect(await quick).toBe('done');
    const [firstErr, firstAt] = await first;
    expect(firstErr).toBeInstanceOf(EngineUnavailableError);
    expect((firstErr as Error).message).toContain('first timed out after 200 ms');
    // The second started about 100 ms later, so it is still pending when the first expires.
    expect(observed).toEqual([['quick', true], ['first', false]]);
    const [secondErr, secondAt] = await second;
    expect((secondErr as Error).message).toContain('second timed out after 200 ms');
    expect(firstAt).toBeGreaterThanOrEqual(199);
    expect(secondAt).toBeGreaterThanOrEqual(firstAt + 50);
    expect(observed).toEqual([['quick', true], ['first', false], ['second', false]]);
    // A store failure that is an outage is mapped; the result of a finished command is its own.
    await expect(runner.run('down', async () => { throw new Error('Connection is closed.'); })).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(runner.run('sync-throw', () => { throw new TypeError('bug'); })).rejects.toBeInstanceOf(TypeError);
  });

  it('should leave a TypeError in engine code as it is (INTERNAL_ERROR), not UNAVAILABLE', async () => {
    const runner = new RedisCommandRunner(1000);
    const bug = runner.run('buggy', async () => (undefined as unknown as { x: number }).x);
    await expect(bug).rejects.toBeInstanceOf(TypeError);
    expect(toErrorBody(await bug.catch((e) => e)).code).toBe('INTERNAL_ERROR');
  });

  it('should count a failover (Cluster slots moving, too many redirections, a demoted primary unblocking WAIT) as an outage, and a wrong command as a bug', () => {
    expect(isUnavailable(new ReplyError('MOVED 3999 127.0.0.1:7002'))).toBe(true);
    expect(isUnavailable(new ReplyError('CLUSTERDOWN The cluster is down'))).toBe(true);
    // A Sentinel demoting the primary unblocks its pending WAITs with this reply.
    expect(isUnavailable(new ReplyError('UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)'))).toBe(true);
    expect(isUnavailable(new Error('Too many Cluster redirections. Last error: ReplyError: MOVED 3999 127.0.0.1:7002'))).toBe(true);
    // What ioredis rejects a pipeline's unwritten commands with when the connection drops mid-write
    // (seen when a Sentinel failover killed the primary during sends).
    expect(isUnavailable(Object.assign(new Error('Command aborted due to connection close'), { name: 'AbortError' }))).toBe(true);
    expect(isUnavailable(new ReplyError('ERR wrong number of arguments for \'get\' command'))).toBe(false);
    expect(isUnavailable(new ReplyError('NOSCRIPT No matching script'))).toBe(false);
  });

  it('should answer INTERNAL_ERROR when stored data is corrupt, and UNAVAILABLE when the connection is closed', async () => {
    const engine = await RedisEngine.connect({ url: server.url, keyPrefix: 'runner', historyMaxLen: 10, idempotencyTtlSec: 60, engineTimeoutMs: 1000, rejoinGraceMs: 1000 });
    const raw = new Redis(server.url);
    try {
      const keys = new RedisKeys('runner');
      await raw.set(keys.notificationOwner('ntf_corrupt'), 'mallory');
      await raw.hset(keys.notificationInbox('mallory', 'data'), 'ntf_corrupt', '{not json');
      await raw.hset(keys.notificationInbox('mallory', 'state'), 'ntf_corrupt', 'pending,,');
      const corrupt = await engine.notifications.get('ntf_corrupt', Date.now()).catch((e: unknown) => e);
      expect(corrupt).not.toBeInstanceOf(EngineUnavailableError);
      expect(toErrorBody(corrupt).code).toBe('INTERNAL_ERROR');

      engine.redis.disconnect();
      const down = await engine.notifications.get('ntf_corrupt', Date.now()).catch((e: unknown) => e);
      expect(toErrorBody(down).code).toBe('UNAVAILABLE');
    } finally {
      raw.disconnect();
      await engine.close();
    }
  });

  it('should answer a bug 500 INTERNAL_ERROR through a running gateway, logged once with its stack and counted, and an outage 503 UNAVAILABLE without an error log', async () => {
    const own = await RedisServer.start();
    const key = 'runner-e2e-api-key-0123456789';
    const gw = await startTestGateway({ REDIS_URL: own.url, API_KEYS: key, ENGINE_TIMEOUT_MS: '500' });
    const raw = new Redis(own.url);
    const get = () => fetch(`${gw.url}/api/v1/notifications/ntf_corrupt`, { headers: { authorization: `Bearer ${key}` } }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const errors = () => gw.logs.parsed().filter((l) => l.level === 'error');
    const counted = async (code: string) => {
      const text = await (await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`)).text();
      return Number(new RegExp(`^socket_gateway_errors_total\\{code="${code}"\\} (\\d+)`, 'm').exec(text)?.[1]);
    };
    try {
      const keys = new RedisKeys(gw.config.redisKeyPrefix);
      await raw.set(keys.notificationOwner('ntf_corrupt'), 'mallory');
      await raw.hset(keys.notificationInbox('mallory', 'data'), 'ntf_corrupt', '{not json');
      await raw.hset(keys.notificationInbox('mallory', 'state'), 'ntf_corrupt', 'pending,,');
      expect(await get()).toEqual({ status: 500, body: { ok: false, error: { code: 'INTERNAL_ERROR', message: 'internal error' } } });
      expect(errors()).toEqual([expect.objectContaining({ event: 'api.failed', metadata: expect.objectContaining({ error: expect.objectContaining({ stack: expect.stringContaining('SyntaxError') }) }) })]);
      expect(await counted('INTERNAL_ERROR')).toBe(1);

      raw.disconnect();
      await own.kill();
      expect(await get()).toMatchObject({ status: 503, body: { ok: false, error: { code: 'UNAVAILABLE' } } });
      expect(errors()).toHaveLength(1);
      expect(await counted('UNAVAILABLE')).toBeGreaterThanOrEqual(1);
      expect(await counted('INTERNAL_ERROR')).toBe(1);
    } finally {
      raw.disconnect();
      await gw.close();
      await own.stop();
    }
  }, 30_000);
});
