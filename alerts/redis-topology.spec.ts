import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../app/test/support/free-port';
import { RedisServer } from '../app/test/support/redis-server';
import { waitForPort } from '../app/test/support/redis-process';
import { PrometheusServer, type ActiveAlert } from './lib/prometheus-server';
import { RedisExporter } from './lib/redis-exporter';
import { rulesWithFor } from './lib/test-copy';

/**
 * A primary, a replica that may never be promoted, and one Sentinel, each replica and Sentinel
 * scraped by Debian's redis_exporter: the replication and Sentinel series the dashboards and
 * alerts read exist, and losing the primary fires SocketGatewayRedisReplicationBroken and
 * SocketGatewayRedisNoPrimary.
 */
const NAMESPACE = 'socket-gateway';
const MASTER = 'gateway-redis';

const cli = (port: number, ...args: string[]) => execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
const firing = (alerts: ActiveAlert[], name: string) => alerts.filter((a) => a.labels.alertname === name && a.state === 'firing');

describe('Redis replication and Sentinel alerts against redis_exporter and a real Prometheus', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let sentinel: ChildProcess | undefined;
  let sentinelPort = 0;
  const exporters: RedisExporter[] = [];
  let prometheus: PrometheusServer;
  const dir = mkdtempSync(join(tmpdir(), 'sg-sentinel-'));

  beforeAll(async () => {
    primary = await RedisServer.start();
    replica = await RedisServer.start();
    // Never promoted, so losing the primary leaves Sentinel without one.
    cli(replica.port, 'CONFIG', 'SET', 'replica-priority', '0');
    cli(replica.port, 'REPLICAOF', '127.0.0.1', String(primary.port));
    sentinelPort = await freePort();
    writeFileSync(
      join(dir, 'sentinel.conf'),
      [`port ${sentinelPort}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${MASTER} 127.0.0.1 ${primary.port} 1`, `sentinel down-after-milliseconds ${MASTER} 1000`, ''].join('\n'),
    );
    // redis-server in Sentinel mode: Debian's redis-server package is enough (no redis-sentinel package).
    sentinel = spawn('redis-server', [join(dir, 'sentinel.conf'), '--sentinel'], { stdio: 'ignore' });
    await waitForPort(sentinelPort, 10_000);
    exporters.push(await RedisExporter.start(replica.url), await RedisExporter.start(`redis://127.0.0.1:${sentinelPort}`));
    prometheus = await PrometheusServer.start({
      job: 'socket-gateway-redis',
      targets: [
        { address: exporters[0].address, labels: { namespace: NAMESPACE, pod: 'redis-1' } },
        { address: exporters[1].address, labels: { namespace: NAMESPACE, pod: 'redis-sentinel-0' } },
      ],
      rules: rulesWithFor('5s'),
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all(exporters.map((e) => e.stop()));
    if (sentinel && sentinel.exitCode === null) {
      const exited = new Promise((r) => sentinel!.once('exit', r));
      sentinel.kill('SIGTERM');
      await exited;
    }
    await replica?.stop();
    await primary?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should export a healthy replica link and a healthy primary while both run', async () => {
    const healthy = await prometheus.waitFor('replica linked and the primary ok for Sentinel', 30_000, async () => {
      const link = await prometheus.query('redis_master_link_up{job="socket-gateway-redis"} == 1');
      const status = await prometheus.query(`max by (master_name) (redis_sentinel_master_status{job="socket-gateway-redis"}) == 1`);
      return link.length === 1 && status.length === 1 ? { link, status } : undefined;
    });
    expect(healthy.link[0].metric.pod).toBe('redis-1');
    expect(healthy.status[0].metric.master_name).toBe(MASTER);
    expect(firing(await prometheus.alerts(), 'SocketGatewayRedisReplicationBroken')).toEqual([]);
    expect(firing(await prometheus.alerts(), 'SocketGatewayRedisNoPrimary')).toEqual([]);
  }, 45_000);

  it('should fire SocketGatewayRedisReplicationBroken and SocketGatewayRedisNoPrimary once the primary is gone', async () => {
    await primary.kill();
    const alerts = await prometheus.waitFor('both alerts firing', 45_000, async () => {
      const all = await prometheus.alerts();
      const broken = firing(all, 'SocketGatewayRedisReplicationBroken');
      const none = firing(all, 'SocketGatewayRedisNoPrimary');
      return broken.length === 1 && none.length === 1 ? { broken: broken[0], none: none[0] } : undefined;
    }, async () => JSON.stringify(await prometheus.query('{job="socket-gateway-redis", __name__=~"redis_master_link_up|redis_sentinel_master_status"}')));
    expect(alerts.broken.labels).toMatchObject({ severity: 'warning', namespace: NAMESPACE, pod: 'redis-1' });
    expect(alerts.none.labels).toMatchObject({ severity: 'critical', namespace: NAMESPACE, master_name: MASTER });
  }, 60_000);
});
