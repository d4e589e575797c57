import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { closeAll, connect, connectRefused, until, type TestSocket } from '../app/test/support/clients';
import { GatewayChild } from '../app/test/support/gateway-child';
import { RedisServer } from '../app/test/support/redis-server';
import { signToken } from '../app/test/support/tokens';
import { generatedDir } from '../dashboards/lib/generated';
import { metricNames } from '../dashboards/lib/promql';
import { dashboardQueries, EXTERNAL_METRICS, type QueryRef } from '../dashboards/lib/referenced-metrics';
import { PrometheusServer, type ActiveAlert, type Sample } from './lib/prometheus-server';
import { RedisExporter } from './lib/redis-exporter';
import { WebhookReceiver } from '../app/test/support/webhook-receiver';
import { loadRuleGroups, recordingRules } from './lib/rules';
import { DEFAULT_RUNBOOK_BASE_URL } from './lib/runbook-url';
import { ScriptedTraffic, trafficEnv } from './lib/scripted-traffic';
import { rulesWithFor } from './lib/test-copy';

/**
 * Redis, two gateway processes and Debian's prometheus scraping them every second with the rule
 * file (every `for` shortened): the dashboards show data, the rules evaluate, and the Redis and
 * capacity alerts fire and resolve against real metrics.
 */

const API_KEY = 'prometheus-e2e-key-0123456789';
const NAMESPACE = 'socket-gateway';
const PODS = ['socket-gateway-0', 'socket-gateway-1'];
/** MAX_CONNECTIONS of the second gateway, small enough to fill in a test. */
const SMALL_LIMIT = 20;
const ALERT_FOR = '5s';
const REDIS_MAXMEMORY = 256 * 1024 * 1024;

/**
 * Dashboard queries that can only have data inside Kubernetes, by origin, with the reason. The
 * test fails when a query reads a kube-state-metrics or cAdvisor metric and is not listed here,
 * or when a listed query no longer does.
 */
const KUBERNETES_ONLY: Record<string, string> = {
  'dashboard socket-gateway-capacity / Replicas / A': 'kube_deployment_status_replicas_available: kube-state-metrics (Deployment)',
  'dashboard socket-gateway-capacity / Replicas / B': 'kube_horizontalpodautoscaler_status_current_replicas: kube-state-metrics (HPA)',
  'dashboard socket-gateway-capacity / Replicas / C': 'kube_horizontalpodautoscaler_spec_max_replicas: kube-state-metrics (HPA)',
  'dashboard socket-gateway-capacity / Memory against the limit / A': 'container_memory_working_set_bytes (cAdvisor) over kube_pod_container_resource_limits (kube-state-metrics)',
  'dashboard socket-gateway-capacity / CPU against the limit / A': 'container_cpu_usage_seconds_total (cAdvisor) over kube_pod_container_resource_limits (kube-state-metrics)',
  'dashboard socket-gateway-operations / Scrape targets up / B': 'kube_deployment_status_replicas_available: kube-state-metrics (Deployment)',
  'dashboard socket-gateway-operations / Container restarts / A': 'kube_pod_container_status_restarts_total: kube-state-metrics (Pod)',
  'dashboard socket-gateway-operations / Containers waiting / A': 'kube_pod_container_status_waiting_reason: kube-state-metrics (Pod)',
};

/**
 * Queries that need a Redis topology this test does not run (a replica, a Sentinel), by origin.
 * redis-topology.spec.ts runs that topology (primary, replica, Sentinel, redis_exporter) and proves
 * both queries' series and their alerts.
 */
const OTHER_REDIS_TOPOLOGY: Record<string, string> = {
  'dashboard socket-gateway-redis-fanout / Persistence and replication / C': 'redis_master_link_up: exported for replicas only',
  'dashboard socket-gateway-redis-fanout / Persistence and replication / D': 'redis_sentinel_master_status: exported when scraping a Sentinel',
};

/** Metrics of the external list that Prometheus itself or redis_exporter produce here (everything else needs Kubernetes). */
const PRESENT_OUTSIDE_KUBERNETES = new Set(['up', ...Object.keys(EXTERNAL_METRICS).filter((n) => n.startsWith('redis_'))]);

/** The committed dashboard JSON (what Grafana loads), not the builders. */
function committedDashboards(): dashboard.Dashboard[] {
  const dir = generatedDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as dashboard.Dashboard);
}

/**
 * What Grafana sends for a panel query: $__rate_interval is at least 4 scrape intervals (1m is
 * well above), $namespace the one namespace, $pod the "All" value `.*`.
 */
function asSentByGrafana(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__interval|\$\{__interval\}/g, '15s')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$namespace|\$\{namespace\}/g, NAMESPACE)
    .replace(/\$cluster|\$\{cluster\}/g, '.*')
    .replace(/\$pod|\$\{pod\}/g, '.*');
}

const redisCli = (redis: RedisServer, ...args: string[]) => execFileSync('redis-cli', ['-p', String(redis.port), ...args], { encoding: 'utf8' });

/** A panel shows something when at least one series has a number (NaN is an empty panel). */
const hasData = (samples: Sample[]) => samples.some((s) => !Number.isNaN(Number(s.value[1])));

const firing = (alerts: ActiveAlert[], name: string) => alerts.filter((a) => a.labels.alertname === name && a.state === 'firing');

describe('dashboards and alerts against a real Prometheus', () => {
  let redis: RedisServer;
  let exporter: RedisExporter;
  let receiver: WebhookReceiver;
  const gateways: GatewayChild[] = [];
  let prometheus: PrometheusServer;
  let traffic: ScriptedTraffic | undefined;
  let trafficStartedAt = 0;

  beforeAll(async () => {
    redis = await RedisServer.start();
    // As the chart's Redis runs: a maxmemory (the memory panel and alert judge only such instances).
    redisCli(redis, 'CONFIG', 'SET', 'maxmemory', String(REDIS_MAXMEMORY));
    exporter = await RedisExporter.start(redis.url);
    // Every third webhook POST fails once, so failures, retries and durations all have data.
    receiver = await WebhookReceiver.start();
    let posts = 0;
    receiver.behaviour = () => (++posts % 3 === 0 ? 500 : 200);
    const env = {
      ...trafficEnv(API_KEY),
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: 'prometheus-e2e-webhook-secret',
      WEBHOOK_BACKOFF_BASE_MS: '50',
      REDIS_URL: redis.url,
      PRESENCE_HEARTBEAT_MS: '1000',
      MAINTENANCE_INTERVAL_MS: '2000',
      // An outage is noticed and answered quickly.
      ENGINE_TIMEOUT_MS: '1000',
    };
    const started = await Promise.allSettled([
      GatewayChild.start({ ...env, INSTANCE_ID: PODS[0] }),
      GatewayChild.start({ ...env, INSTANCE_ID: PODS[1], MAX_CONNECTIONS: String(SMALL_LIMIT) }),
    ]);
    // Keep whichever started, so afterAll stops it even when the other one failed.
    for (const s of started) if (s.status === 'fulfilled') gateways.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    prometheus = await PrometheusServer.start({
      job: 'socket-gateway',
      // The target labels the ServiceMonitor's Kubernetes discovery gives each pod.
      targets: gateways.map((g, i) => ({ address: `127.0.0.1:${g.metricsPort}`, labels: { namespace: NAMESPACE, pod: PODS[i] } })),
      // The job the chart's Redis monitor relabels redis_exporter's series to.
      extraJobs: [{ job: 'socket-gateway-redis', targets: [{ address: exporter.address, labels: { namespace: NAMESPACE, pod: 'socket-gateway-redis-0' } }] }],
      rules: rulesWithFor(ALERT_FOR),
    });
    traffic = await ScriptedTraffic.start({ urls: gateways.map((g) => g.url), apiKey: API_KEY });
    trafficStartedAt = Date.now();
    // A round every ~200 ms: a steady load for rates and latency histograms, light for 2 cores.
    traffic.runInBackground(200);
  }, 60_000);

  afterAll(async () => {
    closeAll();
    await traffic?.stop();
    await prometheus?.stop();
    await Promise.all(gateways.map((g) => g.stop()));
    await exporter?.stop();
    await receiver?.close();
    await redis?.stop();
  });

  it('should scrape both gateways with the target labels the rules expect', async () => {
    const up = await prometheus.waitFor('both targets up', 20_000, async () => {
      const samples = await prometheus.query('up{job="socket-gateway"} == 1');
      return samples.length === 2 ? samples : undefined;
    }, async () => JSON.stringify(await prometheus.targets()));
    expect(up.map((s) => [s.metric.namespace, s.metric.pod]).sort()).toEqual(PODS.map((p) => [NAMESPACE, p]));
    // The gateway's own `job` label (maintenance job name) is kept as exported_job.
    const jobs = await prometheus.waitFor('maintenance metrics scraped', 20_000, async () => {
      const samples = await prometheus.query('socket_gateway_maintenance_last_success_timestamp_seconds{job="socket-gateway"}');
      return samples.length > 0 ? samples : undefined;
    });
    expect(jobs.every((s) => s.metric.exported_job)).toBe(true);
  }, 45_000);

  it('should return data for every dashboard query outside the Kubernetes-only ones', async () => {
    const queries = dashboardQueries(committedDashboards());
    const needsKubernetes = (q: QueryRef) =>
      metricNames(q.expr).some((n) => n in EXTERNAL_METRICS && !PRESENT_OUTSIDE_KUBERNETES.has(n));
    expect(queries.filter(needsKubernetes).map((q) => q.origin).sort()).toEqual(Object.keys(KUBERNETES_ONLY).sort());
    const checked = queries.filter((q) => !needsKubernetes(q) && !(q.origin in OTHER_REDIS_TOPOLOGY));

    // Polled while the traffic runs; a query still empty at the deadline is named by the assertion below.
    let empty: QueryRef[] = checked;
    await prometheus
      .waitFor('every dashboard query returns data', 60_000, async () => {
        if (traffic!.failure) return true;
        const results = await Promise.all(empty.map(async (q) => [q, hasData(await prometheus.query(asSentByGrafana(q.expr)))] as const));
        empty = results.filter(([, ok]) => !ok).map(([q]) => q);
        return empty.length === 0 ? true : undefined;
      })
      .catch(() => undefined);
    await traffic!.stop();
    const seconds = Math.round((Date.now() - trafficStartedAt) / 1000);
    console.log(
      [
        `dashboard queries: ${queries.length} in the committed JSON, ${checked.length} checked, ` +
          `${checked.length - empty.length} returned data, ${queries.length - checked.length} skipped as Kubernetes-only ` +
          `(after ${traffic!.rounds} traffic rounds in ${seconds}s):`,
        ...Object.entries({ ...KUBERNETES_ONLY, ...OTHER_REDIS_TOPOLOGY }).map(([origin, reason]) => `  skipped ${origin}: ${reason}`),
        ...empty.map((q) => `  NO DATA ${q.origin}: ${asSentByGrafana(q.expr)}`),
      ].join('\n'),
    );
    expect(traffic!.failure).toBeUndefined();
    expect(empty.map((q) => q.origin)).toEqual([]);
    expect([...traffic!.errorCodes.keys()]).toEqual(expect.arrayContaining(['AUTH_FAILED', 'INVALID_PAYLOAD', 'NOT_FOUND', 'RATE_LIMITED']));
  }, 90_000);

  it('should load and evaluate every rule without an error', async () => {
    const expected = loadRuleGroups().reduce((n, g) => n + g.rules.length, 0);
    const rules = await prometheus.waitFor('every rule evaluated', 20_000, async () => {
      const all = await prometheus.rules();
      return all.length === expected && all.every((r) => r.health !== 'unknown') ? all : undefined;
    });
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  }, 30_000);

  it('should record every SLI and latency series from the scraped data', async () => {
    // Polled: a group evaluates up to one interval after the samples the dashboards just saw.
    let empty = recordingRules().map((r) => r.record);
    await prometheus
      .waitFor('every recording rule has data', 20_000, async () => {
        const results = await Promise.all(empty.map(async (record) => [record, hasData(await prometheus.query(`${record}{job="socket-gateway", namespace="${NAMESPACE}"}`))] as const));
        empty = results.filter(([, ok]) => !ok).map(([record]) => record);
        return empty.length === 0 ? true : undefined;
      })
      .catch(() => undefined);
    expect(empty).toEqual([]);
  }, 30_000);

  it('should fire SocketGatewayConnectionsNearLimit, warning and critical, when a gateway is full', async () => {
    const full = gateways[1];
    // The traffic's clients are closed; their sockets must be gone before the limit is filled exactly.
    await until(async () => /^socket_gateway_connected_sockets 0$/m.test(await full.metrics()), 10_000, 'an empty gateway');
    const sockets: TestSocket[] = [];
    for (let i = 0; i < SMALL_LIMIT; i++) sockets.push(await connect(full.url, await signToken({ sub: `capacity-${i}` })));
    const refused = await connectRefused(full.url, await signToken({ sub: 'capacity-overflow' }));
    expect(refused.data?.code).toBe('UNAVAILABLE');

    const alerts = await prometheus.waitFor('capacity alert firing at both severities', 30_000, async () => {
      const near = firing(await prometheus.alerts(), 'SocketGatewayConnectionsNearLimit');
      return near.length === 2 ? near : undefined;
    }, async () => JSON.stringify(await prometheus.alerts()));
    expect(alerts.map((a) => a.labels.severity).sort()).toEqual(['critical', 'warning']);
    for (const a of alerts) {
      expect(a.labels).toMatchObject({ namespace: NAMESPACE, pod: PODS[1], job: 'socket-gateway' });
      expect(a.annotations.description).toContain(`Pod ${NAMESPACE}/${PODS[1]} holds 100% of its`);
      expect(a.annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_BASE_URL}SocketGatewayConnectionsNearLimit.md`);
    }

    for (const s of sockets) s.disconnect();
    await prometheus.waitFor('capacity alert resolved', 30_000, async () =>
      firing(await prometheus.alerts(), 'SocketGatewayConnectionsNearLimit').length === 0 ? true : undefined,
    );
  }, 75_000);

  it('should fire SocketGatewayRedisMemoryNearLimit from redis_exporter when maxmemory is set just above the data', async () => {
    const used = await prometheus.waitFor('redis_exporter scraped', 20_000, async () => {
      const s = await prometheus.query('redis_memory_used_bytes{job="socket-gateway-redis"}');
      return s.length === 1 ? Number(s[0].value[1]) : undefined;
    });
    // 90% full: above the 80% warning, below the 95% page.
    redisCli(redis, 'CONFIG', 'SET', 'maxmemory', String(Math.ceil(used / 0.9)));
    try {
      const alerts = await prometheus.waitFor('Redis memory warning firing', 30_000, async () => {
        const a = firing(await prometheus.alerts(), 'SocketGatewayRedisMemoryNearLimit');
        return a.length > 0 ? a : undefined;
      }, async () => JSON.stringify(await prometheus.query('redis_memory_used_bytes / redis_memory_max_bytes')));
      expect(alerts.map((a) => a.labels.severity)).toEqual(['warning']);
      expect(alerts[0].labels).toMatchObject({ job: 'socket-gateway-redis', namespace: NAMESPACE, pod: 'socket-gateway-redis-0' });
      expect(alerts[0].annotations.dashboard_url).toContain('socket-gateway-redis-fanout?var-namespace=socket-gateway');
    } finally {
      redisCli(redis, 'CONFIG', 'SET', 'maxmemory', String(REDIS_MAXMEMORY));
    }
    await prometheus.waitFor('Redis memory alert resolved', 30_000, async () =>
      firing(await prometheus.alerts(), 'SocketGatewayRedisMemoryNearLimit').length === 0 ? true : undefined,
    );
  }, 75_000);

  it('should fire SocketGatewayRedisDown while Redis is stopped and resolve it once Redis is back', async () => {
    await redis.kill();
    const down = await prometheus.waitFor('Redis alert firing on both pods', 30_000, async () => {
      const alerts = firing(await prometheus.alerts(), 'SocketGatewayRedisDown');
      return alerts.length === 2 ? alerts : undefined;
    }, async () => JSON.stringify(await prometheus.query('socket_gateway_redis_up')));
    expect(down.map((a) => a.labels.pod).sort()).toEqual(PODS);
    for (const a of down) {
      expect(a.labels).toMatchObject({ severity: 'critical', namespace: NAMESPACE, job: 'socket-gateway' });
      expect(a.annotations.runbook_url).toBe(`${DEFAULT_RUNBOOK_BASE_URL}SocketGatewayRedisDown.md`);
    }

    await redis.restart();
    await prometheus.waitFor('Redis alert resolved', 45_000, async () => {
      const alerts = (await prometheus.alerts()).filter((a) => a.labels.alertname === 'SocketGatewayRedisDown');
      return alerts.length === 0 ? true : undefined;
    }, async () => JSON.stringify(await prometheus.query('socket_gateway_redis_up')));
    const upAgain = await prometheus.query('socket_gateway_redis_up{job="socket-gateway"} == 1');
    expect(upAgain.map((s) => s.metric.pod).sort()).toEqual(PODS);
  }, 90_000);
});
