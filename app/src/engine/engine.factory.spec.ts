import { Registry } from 'prom-client';
import { RedisServer } from '../../test/support/redis-server';
import { EngineUnavailableError } from '../common/gateway-error';
import { loadConfig, type GatewayConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { createEngine } from './engine.factory';
import { MemoryEngine } from './memory/memory.engine';
import { RedisEngine } from './redis/redis.engine';

const SECRET = 'x'.repeat(32);

function config(env: Record<string, string> = {}): GatewayConfig {
  return loadConfig({ JWT_SECRET: SECRET, ...env });
}

async function gaugeValue(metrics: MetricsService, name: string): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  return metric.values[0]?.value ?? NaN;
}

describe(createEngine.name, () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.stop());

  it('should return the memory engine when REDIS_URL is unset', async () => {
    const engine = await createEngine(config());
    expect(engine).toBeInstanceOf(MemoryEngine);
    await engine.close();
  });

  it('should return a ready redis engine wired to the metrics when REDIS_URL is set', async () => {
    const metrics = new MetricsService(new Registry(), false);
    metrics.redisUp.set(0);
    const engine = await createEngine(config({ REDIS_URL: server.url, REDIS_KEY_PREFIX: 'factory' }), { metrics });
    try {
      expect(engine).toBeInstanceOf(RedisEngine);
      expect(engine.kind).toBe('redis');
      expect(await gaugeValue(metrics, 'socket_gateway_redis_up')).toBe(1);
      await engine.messages.append({ channelId: 'c', userId: 'u', content: 'x', clientMsgId: '1', now: Date.now() });
      const histogram = await metrics.registry.getSingleMetricAsString('socket_gateway_redis_command_duration_seconds');
      expect(histogram).toContain('socket_gateway_redis_command_duration_seconds_count{command="append"} 1');

      const down = new Promise<void>((resolve) => (engine as RedisEngine).onStatusChange((up) => !up && resolve()));
      await server.kill();
      await down;
      expect(await gaugeValue(metrics, 'socket_gateway_redis_up')).toBe(0);
      const up = new Promise<void>((resolve) => (engine as RedisEngine).onStatusChange((isUp) => isUp && resolve()));
      await server.restart();
      await up;
      expect(await gaugeValue(metrics, 'socket_gateway_redis_up')).toBe(1);
    } finally {
      await engine.close();
    }
  });

  it('should wait for redis at boot and reject with EngineUnavailableError when it never comes', async () => {
    await server.kill();
    const started = Date.now();
    await expect(createEngine(config({ REDIS_URL: server.url }), { readyTimeoutMs: 300 })).rejects.toBeInstanceOf(EngineUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);

    const pending = createEngine(config({ REDIS_URL: server.url }), { readyTimeoutMs: 10_000 });
    await server.restart();
    const engine = await pending;
    await expect(engine.ping()).resolves.toBeUndefined();
    await engine.close();
  });
});
