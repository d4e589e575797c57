import { loadConfig } from '../config/config';
import { JsonLogger } from '../common/logger';
import { RedisEngine } from '../engine/redis/redis.engine';
import { MetricsService } from '../metrics/metrics.service';
import { RedisServer } from '../../test/support/redis-server';
import { MaintenanceRegistry } from './maintenance.registry';

describe(MaintenanceRegistry.name, () => {
  let redis: RedisServer;
  const engines: RedisEngine[] = [];
  beforeAll(async () => { redis = await RedisServer.start(); });
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await redis.stop();
  });

  const instance = async (instanceId: string) => {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), INSTANCE_ID: instanceId, REDIS_URL: redis.url });
    const engine = await RedisEngine.connect({ url: redis.url, keyPrefix: 'mt', historyMaxLen: 10, idempotencyTtlSec: 60, engineTimeoutMs: 1500, rejoinGraceMs: 60_000 });
    engines.push(engine);
    const metrics = new MetricsService(undefined, false);
    return { registry: new MaintenanceRegistry(config, engine, { now: () => Date.now() }, new JsonLogger('silent'), metrics), metrics };
  };

  it('should never run the same job on two instances at once', async () => {
    const a = await instance('gw-a');
    const b = await instance('gw-b');
    let running = 0;
    let maxConcurrent = 0;
    let runs = 0;
    const job = (name: string) => ({
      name,
      intervalMs: 60_000,
      run: async () => {
        running++;
        runs++;
        maxConcurrent = Math.max(maxConcurrent, running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        return {};
      },
    });
    a.registry.register(job('exclusive'));
    b.registry.register(job('exclusive'));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).registry.runNow('exclusive')));
    expect(maxConcurrent).toBe(1);
    expect(runs).toBe(results.filter((r) => r.result === 'success').length);
    expect(results.some((r) => r.result === 'skipped')).toBe(true);
    const text = (await a.metrics.registry.getSingleMetricAsString('socket_gateway_maintenance_runs_total')) + (await b.metrics.registry.getSingleMetricAsString('socket_gateway_maintenance_runs_total'));
    expect(text).toMatch(/job="exclusive",result="skipped"/);
  });

  it('should record failures and the time of the last success', async () => {
    const a = await instance('gw-c');
    let fail = true;
    a.registry.register({ name: 'flaky', intervalMs: 60_000, run: async () => { if (fail) throw new Error('boom'); return { done: 1 }; } });
    expect(await a.registry.runNow('flaky')).toEqual({ job: 'flaky', result: 'failure', error: 'boom' });
    fail = false;
    expect(await a.registry.runNow('flaky')).toEqual({ job: 'flaky', result: 'success', details: { done: 1 } });
    const last = await a.metrics.registry.getSingleMetricAsString('socket_gateway_maintenance_last_success_timestamp_seconds');
    const value = Number(/job="flaky"} ([\d.e+]+)/.exec(last)![1]);
    expect(Math.abs(value - Date.now() / 1000)).toBeLessThan(10);
    await expect(a.registry.runNow('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
