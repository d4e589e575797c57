import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { RedisServer } from '../app/test/support/redis-server';
import { PrometheusServer, type ActiveAlert } from './lib/prometheus-server';
import { RedisExporter } from './lib/redis-exporter';
import { DEFAULT_RUNBOOK_BASE_URL } from './lib/runbook-url';
import { rulesWithFor } from './lib/test-copy';

/**
 * A Redis of its own (no gateway on it), scraped by Debian's redis_exporter and a real Prometheus
 * with the rule file (every `for` shortened): evicting keys, refusing clients at maxclients and a
 * failed RDB snapshot fire the alerts the runbooks are written for, from the series the exporter
 * really exports.
 */
const NAMESPACE = 'socket-gateway';
const POD = 'redis-0';

const firing = (alerts: ActiveAlert[], name: string) => alerts.filter((a) => a.labels.alertname === name && a.state === 'firing');

describe('Redis server faults against redis_exporter and a real Prometheus', () => {
  let redis: RedisServer;
  let exporter: RedisExporter;
  let prometheus: PrometheusServer;
  const cli = (...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' }).trim();

  beforeAll(async () => {
    redis = await RedisServer.start();
    exporter = await RedisExporter.start(redis.url);
    prometheus = await PrometheusServer.start({
      job: 'socket-gateway-redis',
      targets: [{ address: exporter.address, labels: { namespace: NAMESPACE, pod: POD } }],
      rules: rulesWithFor('5s'),
    });
    // increase() needs a sample of each counter before the fault, so the first one is seen.
    await prometheus.waitFor('redis_exporter counters scraped at 0', 30_000, async () => {
      const s = await prometheus.query('redis_evicted_keys_total{job="socket-gateway-redis"} + on() redis_rejected_connections_total{job="socket-gateway-redis"} == 0');
      return s.length === 1 ? true : undefined;
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.stop();
    await redis?.stop();
  });

  const waitFiring = (name: string) =>
    prometheus.waitFor(`${name} firing`, 45_000, async () => {
      const a = firing(await prometheus.alerts(), name);
      return a.length > 0 ? a : undefined;
    }, async () => JSON.stringify(await prometheus.alerts()));

  it('should be quiet while Redis is healthy', async () => {
    const names = ['SocketGatewayRedisEvictingKeys', 'SocketGatewayRedisRejectingConnections', 'SocketGatewayRedisPersistenceFailing'];
    const rules = await prometheus.waitFor('the Redis rules evaluated', 20_000, async () => {
      const all = (await prometheus.rules()).filter((r) => names.includes(r.name));
      return all.length === names.length && all.every((r) => r.health === 'ok') ? all : undefined;
    });
    expect(rules.map((r) => r.name).sort()).toEqual([...names].sort());
    const active = (await prometheus.alerts()).filter((a) => names.includes(a.labels.alertname));
    expect(active).toEqual([]);
  }, 30_000);

  it('should fire SocketGatewayRedisEvictingKeys when writes beyond maxmemory evict keys', async () => {
    cli('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    const used = Number(/used_memory:(\d+)/.exec(cli('INFO', 'memory'))![1]);
    cli('CONFIG', 'SET', 'maxmemory', String(used + 2 * 1024 * 1024));
    // ~20 MB of 1 KB values into 2 MB of room.
    execFileSync('redis-benchmark', ['-p', String(redis.port), '-t', 'set', '-n', '20000', '-d', '1000', '-r', '1000000', '-q'], { stdio: 'ignore' });
    expect(Number(/evicted_keys:(\d+)/.exec(cli('INFO', 'stats'))![1])).toBeGreaterThan(0);
    const alerts = await waitFiring('SocketGatewayRedisEvictingKeys');
    expect(alerts[0].labels).toMatchObject({ severity: 'critical', job: 'socket-gateway-redis', namespace: NAMESPACE, pod: POD });
    expect(alerts[0].annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_BASE_URL}SocketGatewayRedisEvictingKeys.md`);
    cli('FLUSHALL');
    cli('CONFIG', 'SET', 'maxmemory', '0');
  }, 75_000);

  it('should fire SocketGatewayRedisRejectingConnections when clients pass maxclients', async () => {
    cli('CONFIG', 'SET', 'maxclients', '2');
    const sockets: Socket[] = [];
    try {
      // Each connection past the limit is answered "max number of clients reached" and closed.
      const closed = await Promise.all(
        Array.from({ length: 4 }, () =>
          new Promise<string>((resolve) => {
            const s = tcpConnect(redis.port, '127.0.0.1');
            sockets.push(s);
            let text = '';
            s.on('data', (d) => (text += d.toString()));
            s.on('close', () => resolve(text));
            s.on('error', () => undefined);
            // A held connection never closes by itself: resolve once the refusals had time to arrive.
            s.on('connect', () => setTimeout(() => resolve(text), 500));
          }),
        ),
      );
      expect(closed.some((t) => t.includes('max number of clients reached'))).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
    }
    // The held sockets are gone; wait until Redis has released their slots before restoring.
    await prometheus.waitFor('slots free', 10_000, async () => {
      try {
        cli('CONFIG', 'SET', 'maxclients', '10000');
        return true;
      } catch {
        return undefined;
      }
    });
    const alerts = await waitFiring('SocketGatewayRedisRejectingConnections');
    expect(alerts[0].labels).toMatchObject({ severity: 'warning', job: 'socket-gateway-redis', namespace: NAMESPACE, pod: POD });
    expect(alerts[0].annotations.description).toMatch(/rejected [\d.]+ connections in the last 5m/);
  }, 75_000);

  it('should fire SocketGatewayRedisPersistenceFailing when an RDB snapshot cannot be written', async () => {
    // The data directory vanishing (a lost volume) makes the next snapshot fail.
    rmSync(cli('CONFIG', 'GET', 'dir').split('\n')[1], { recursive: true, force: true });
    cli('BGSAVE');
    await prometheus.waitFor('bgsave failed', 20_000, async () => (/rdb_last_bgsave_status:err/.test(cli('INFO', 'persistence')) ? true : undefined));
    const alerts = await waitFiring('SocketGatewayRedisPersistenceFailing');
    expect(alerts[0].labels).toMatchObject({ severity: 'warning', job: 'socket-gateway-redis', namespace: NAMESPACE, pod: POD });
    expect(alerts[0].annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_BASE_URL}SocketGatewayRedisPersistenceFailing.md`);
  }, 75_000);
});
