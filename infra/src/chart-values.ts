/**
 * The one mapping from stack config to the chart's values. Pure and secret-free: the chart reads
 * secrets from the Secret the program creates, so nothing here can leak one into a manifest.
 */
import type { StackConfig } from './config';
import { GATEWAY_SECRET_NAME, REDIS_POD_LABELS, REDIS_PORT } from './names';

export interface ChartValues {
  [key: string]: unknown;
}

function nsPeer(namespace: string) {
  return [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } }];
}

/**
 * How long `pulumi up` waits for the gateway Deployment: a rollout replaces pods one by one and
 * every old pod may take its whole drain, so the provider's default 10 minutes can be too short.
 */
export function rolloutTimeoutSeconds(drainSeconds: number, maxPods = 30): number {
  return Math.max(600, 300 + drainSeconds * maxPods);
}

/** The grace period the chart will compute (preStop + drain delay + window + its 10 s margin). */
export function drainSeconds(config: StackConfig): number {
  return config.drain.preStopSleepSeconds + Math.ceil(config.drain.delayMs / 1000) + Math.ceil(config.drain.windowMs / 1000) + 10;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Helm's own merge: objects merge key by key, anything else (lists included) replaces. */
export function mergeValues(base: ChartValues, over: Record<string, unknown>): ChartValues {
  const out: ChartValues = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeValues(out[k] as ChartValues, v) : v;
  return out;
}

/** Chart values computed from the stack config, with the stack's `values` merged over them last. */
export function chartValues(config: StackConfig): ChartValues {
  return mergeValues(computedValues(config), config.values);
}

function computedValues(config: StackConfig): ChartValues {
  const polling = config.transports.includes('polling');
  const { routing, monitoring } = config;
  const values: ChartValues = {
    image: { repository: config.image.repository, tag: config.image.tag, digest: config.image.digest },
    imagePullSecrets: config.imagePullSecrets,
    replicaCount: config.replicas,
    deploymentAnnotations: {
      'pulumi.com/timeoutSeconds': String(rolloutTimeoutSeconds(drainSeconds(config), config.autoscaling.enabled ? config.autoscaling.maxReplicas : config.replicas)),
    },
    resources: {
      requests: { cpu: config.resources.cpuRequest, memory: config.resources.memoryRequest },
      limits: { cpu: config.resources.cpuLimit, memory: config.resources.memoryLimit },
    },
    config: {
      // Fail closed: a pod without REDIS_URL refuses to start instead of running alone.
      engine: 'redis',
      transports: config.transports,
      corsOrigins: config.corsOrigins,
      webhookUrl: config.webhookUrl,
      maxConnections: config.maxConnections,
      extraEnv: config.extraEnv,
      ...redisTopologyValues(config),
      jwt: { jwksUrl: config.auth.jwksUrl, issuer: config.auth.issuer, audience: config.auth.audience },
    },
    secrets: { existingSecret: GATEWAY_SECRET_NAME },
    drain: { preStopSleepSeconds: config.drain.preStopSleepSeconds, delayMs: config.drain.delayMs, windowMs: config.drain.windowMs },
    autoscaling: {
      enabled: config.autoscaling.enabled,
      minReplicas: config.autoscaling.minReplicas,
      maxReplicas: config.autoscaling.maxReplicas,
      connectedSockets:
        config.autoscaling.connectedSocketsTarget === null
          ? { enabled: false }
          : { enabled: true, targetAverageValue: String(config.autoscaling.connectedSocketsTarget) },
    },
    routing: {
      provider: routing.provider,
      host: config.host,
      // The chart sets TRUST_PROXY from this whenever a provider routes traffic through a proxy.
      trustProxy: typeof routing.trustProxy === 'number' ? routing.trustProxy : routing.trustProxy.join(','),
      // Only polling spreads a session over many requests; a WebSocket stays on one pod anyway.
      stickySessions: polling,
      sessionPersistence: routing.sessionPersistence,
      tls: { enabled: config.tls.enabled, secretName: config.tls.secretName },
      gatewayApi: {
        parentRefs:
          routing.provider === 'gateway-api'
            ? [
                {
                  name: routing.gatewayName,
                  ...(routing.gatewayNamespace ? { namespace: routing.gatewayNamespace } : {}),
                  ...(routing.gatewaySectionName ? { sectionName: routing.gatewaySectionName } : {}),
                },
              ]
            : [],
      },
    },
    redis:
      config.redis.mode === 'standalone'
        ? { mode: 'standalone', podLabels: { ...REDIS_POD_LABELS }, ports: [REDIS_PORT] }
        : { mode: 'external', externalCidrs: config.redis.externalCidrs, ports: redisPorts(config) },
    otel: config.otlpEndpoint ? { endpoint: config.otlpEndpoint } : { endpoint: '' },
    monitoring: {
      release: monitoring.release,
      serviceMonitor: { enabled: monitoring.enabled },
      prometheusRule: { enabled: monitoring.enabled, runbookBaseUrl: monitoring.runbookBaseUrl },
      dashboards: { enabled: monitoring.enabled },
    },
    networkPolicy: {
      enabled: config.networkPolicy,
      routingPeers: routing.peerNamespace ? nsPeer(routing.peerNamespace) : [],
      prometheusPeers: nsPeer(monitoring.prometheusNamespace),
      // JWKS keys are fetched over HTTPS.
      extraEgress: config.auth.jwksUrl ? [{ ports: [{ port: 443, protocol: 'TCP' }] }] : [],
    },
  };
  return values;
}

/** REDIS_MODE and its companions for the chart; a Cluster always takes the sharded adapter. */
function redisTopologyValues(config: StackConfig): Record<string, unknown> {
  const r = config.redis;
  const mode = r.topology === 'url' ? 'standalone' : r.topology;
  return {
    ...(mode === 'cluster' ? { redisAdapter: 'sharded' } : {}),
    redisTopology: { mode, sentinels: r.sentinels, sentinelName: r.sentinelName, clusterNodes: r.clusterNodes, tls: r.tls, waitReplicas: r.waitReplicas },
  };
}

/** The data port plus every port named in the sentinel and seed lists, for the NetworkPolicy. */
function redisPorts(config: StackConfig): number[] {
  const named = [...config.redis.sentinels, ...config.redis.clusterNodes].map((hp) => Number(hp.split(':').pop()));
  return [...new Set([REDIS_PORT, ...named])].sort((a, b) => a - b);
}
