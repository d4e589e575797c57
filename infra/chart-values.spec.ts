import { chartValueProblems } from './src/chart-schema';
import { chartValues, drainSeconds, rolloutTimeoutSeconds } from './src/chart-values';
import { parseStackConfig } from './src/config';
import { stackConfig } from './test/program';

const dev = parseStackConfig(stackConfig('dev'), ['jwtSecret', 'apiKeys', 'redisPassword']);
const prod = parseStackConfig(stackConfig('prod'), ['jwtSecret', 'apiKeys', 'redisUrl']);

describe(chartValues.name, () => {
  it('should be pure: same config, same values, config untouched', () => {
    const before = JSON.stringify(prod);
    expect(chartValues(prod)).toEqual(chartValues(prod));
    expect(JSON.stringify(prod)).toBe(before);
  });

  it('should reference the Secret by name and carry no secret', () => {
    expect(chartValues(dev).secrets).toEqual({ existingSecret: 'socket-gateway-secrets' });
    expect(JSON.stringify(chartValues(prod))).not.toMatch(/password|rediss?:\/\//i);
  });

  it('should point the NetworkPolicy at the standalone Redis pods or the external CIDRs', () => {
    expect(chartValues(dev).redis).toEqual({ mode: 'standalone', podLabels: { 'app.kubernetes.io/name': 'redis', 'app.kubernetes.io/instance': 'socket-gateway-redis' }, ports: [6379] });
    expect(chartValues(prod).redis).toEqual({ mode: 'external', externalCidrs: ['10.40.0.0/24'], ports: [6379] });
  });

  it('should pass an external Sentinel group or Cluster to the chart, with the ports the NetworkPolicy must open', () => {
    const withRedis = (redis: Record<string, unknown>, secrets: string[]) => chartValues(parseStackConfig({ ...stackConfig('prod'), redis }, ['jwtSecret', 'apiKeys', ...secrets]));
    const sentinel = withRedis({ mode: 'external', topology: 'sentinel', sentinels: ['s0.redis:26379', 's1.redis:26379'], sentinelName: 'realtime', waitReplicas: 1, externalCidrs: ['10.40.0.0/24'] }, ['redisPassword', 'redisSentinelPassword']);
    expect(sentinel.config).toMatchObject({ redisTopology: { mode: 'sentinel', sentinels: ['s0.redis:26379', 's1.redis:26379'], sentinelName: 'realtime', clusterNodes: [], tls: false, waitReplicas: 1 } });
    expect(sentinel.redis).toEqual({ mode: 'external', externalCidrs: ['10.40.0.0/24'], ports: [6379, 26379] });
    const cluster = withRedis({ mode: 'external', topology: 'cluster', clusterNodes: ['c0.redis:7000'], tls: true }, ['redisPassword']);
    expect(cluster.config).toMatchObject({ redisAdapter: 'sharded', redisTopology: { mode: 'cluster', clusterNodes: ['c0.redis:7000'], tls: true, waitReplicas: 0 } });
    expect(cluster.redis).toMatchObject({ ports: [6379, 7000] });
    expect(JSON.stringify([sentinel, cluster])).not.toMatch(/password/i);
    expect(chartValues(prod).config).toMatchObject({ redisTopology: { mode: 'standalone' } });
  });

  it('should attach the route to the configured Gateway listener', () => {
    expect(chartValues(prod).routing).toMatchObject({ provider: 'gateway-api', host: 'realtime.example.com', gatewayApi: { parentRefs: [{ name: 'public', namespace: 'gateway-system', sectionName: 'https' }] } });
  });

  it('should hand the chart the TRUST_PROXY setting: a hop count, or the proxy CIDRs joined', () => {
    expect(chartValues(dev).routing).toMatchObject({ trustProxy: 1 });
    expect(chartValues({ ...dev, routing: { ...dev.routing, trustProxy: ['10.0.0.0/8', 'fd00::/8'] } }).routing).toMatchObject({ trustProxy: '10.0.0.0/8,fd00::/8' });
  });

  it('should make stickiness follow the transports', () => {
    expect((chartValues(dev).routing as { stickySessions: boolean }).stickySessions).toBe(true);
    expect((chartValues({ ...dev, transports: ['websocket'] }).routing as { stickySessions: boolean }).stickySessions).toBe(false);
    expect(chartValues(prod)).toMatchObject({ config: { transports: ['websocket'] }, routing: { sessionPersistence: false } });
  });

  it('should switch all monitoring objects with one toggle', () => {
    expect(chartValues(dev).monitoring).toMatchObject({ serviceMonitor: { enabled: false }, prometheusRule: { enabled: false }, dashboards: { enabled: false } });
    expect(chartValues(prod).monitoring).toMatchObject({ release: 'kube-prometheus-stack', serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, dashboards: { enabled: true } });
  });

  it('should pass CORS, webhook, connection limit, pull secrets, digest and extraEnv through, with ENGINE=redis', () => {
    const values = chartValues({ ...prod, corsOrigins: ['https://app.example.com'], webhookUrl: 'https://h.example.com/x', maxConnections: 2000, imagePullSecrets: ['regcred'], image: { ...prod.image, digest: `sha256:${'b'.repeat(64)}` }, extraEnv: { HISTORY_MAX_LEN: '50' } });
    expect(values).toMatchObject({
      image: { digest: `sha256:${'b'.repeat(64)}` },
      imagePullSecrets: ['regcred'],
      config: { engine: 'redis', corsOrigins: ['https://app.example.com'], webhookUrl: 'https://h.example.com/x', maxConnections: 2000, extraEnv: { HISTORY_MAX_LEN: '50' } },
    });
    expect(chartValueProblems(values)).toEqual([]);
  });

  it('should merge the stack\'s values last and name every value the chart schema refuses', () => {
    const values = chartValues({ ...prod, values: { podLabels: { team: 'rt' }, routing: { cookieName: 'rt' }, replicaCount: 0, tolerance: 1 } });
    expect(values).toMatchObject({ podLabels: { team: 'rt' }, routing: { provider: 'gateway-api', cookieName: 'rt' } });
    expect(chartValueProblems(values)).toEqual([
      'values must NOT have additional properties (tolerance) (helm/socket-gateway/values.schema.json)',
      'values.replicaCount must be >= 1 (helm/socket-gateway/values.schema.json)',
    ]);
  });

  it('should refuse an extraEnv or values.config.extraEnv name the chart sets itself, naming it', () => {
    const values = chartValues({ ...prod, extraEnv: { TRANSPORTS: 'polling' }, values: { config: { extraEnv: { ENGINE: 'memory' } } } });
    expect(chartValueProblems(values).sort()).toEqual([
      'values.config.extraEnv.ENGINE: the chart sets this variable itself (from its own value) or reads it from the Secret (helm/socket-gateway/values.schema.json)',
      'values.config.extraEnv.TRANSPORTS: the chart sets this variable itself (from its own value) or reads it from the Secret (helm/socket-gateway/values.schema.json)',
    ]);
  });

  it('should give pulumi up enough time for a rollout in which every pod drains', () => {
    expect(drainSeconds(prod)).toBe(5 + 5 + 30 + 10);
    const timeout = Number((chartValues(prod).deploymentAnnotations as Record<string, string>)['pulumi.com/timeoutSeconds']);
    expect(timeout).toBe(rolloutTimeoutSeconds(50, 30));
    expect(timeout).toBeGreaterThan(50 * 30);
    expect(rolloutTimeoutSeconds(1, 1)).toBe(600);
  });
});
