/**
 * Socket gateway platform: namespace, secrets, Redis (standalone) and the gateway chart.
 * Configuration: see README "Deploy with Pulumi"; every value is validated in src/config.ts, and
 * the chart values against the chart's schema, before any resource is created.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { assertValidChartValues } from './src/chart-schema';
import { chartValues, drainSeconds } from './src/chart-values';
import { readStackConfig } from './src/config';
import { GatewayRelease } from './src/gateway';
import { GATEWAY_SECRET_NAME, RELEASE_NAME } from './src/names';
import { StandaloneRedis } from './src/redis';
import { GatewaySecrets } from './src/secrets';

const { config, secrets } = readStackConfig();
const values = chartValues(config);
assertValidChartValues(values);

// Explicit cluster: `pulumi up -s prod` must never deploy to whatever kube context is current.
const provider = new k8s.Provider('socket-gateway-provider', {
  ...(secrets.kubeconfig ? { kubeconfig: secrets.kubeconfig } : {}),
  ...(config.context ? { context: config.context } : {}),
  enableServerSideApply: true,
});

const ns = new k8s.core.v1.Namespace(
  'socket-gateway-namespace',
  { metadata: { name: config.namespace, labels: { 'app.kubernetes.io/part-of': 'socket-gateway' } } },
  // Deleting the namespace deletes everything in it, Redis data included.
  { provider, protect: config.protect },
);

const redis =
  config.redis.mode === 'standalone'
    ? new StandaloneRedis(
        'socket-gateway-redis',
        {
          namespace: ns.metadata.name,
          password: secrets.redisPassword!,
          image: config.redis.image,
          storageSize: config.redis.storageSize,
          storageClass: config.redis.storageClass,
          memoryLimit: config.redis.memoryLimit,
          blockNodeDrains: config.redis.blockNodeDrains,
          protect: config.protect,
          monitoring: config.monitoring.enabled ? { release: config.monitoring.release, prometheusNamespace: config.monitoring.prometheusNamespace } : undefined,
        },
        { providers: [provider] },
      )
    : undefined;

const gatewaySecrets = new GatewaySecrets(
  'socket-gateway-secrets',
  {
    namespace: ns.metadata.name,
    jwtSecret: secrets.jwtSecret,
    apiKeys: secrets.apiKeys!,
    redisUrl: redis ? redis.url : secrets.redisUrl,
    // Sentinel and Cluster take the data-node password separately (the standalone URL carries its own).
    redisPassword: config.redis.topology === 'url' ? undefined : secrets.redisPassword,
    redisSentinelPassword: secrets.redisSentinelPassword,
    webhookSecret: secrets.webhookSecret,
  },
  { providers: [provider] },
);

new GatewayRelease(
  'socket-gateway',
  { namespace: ns.metadata.name, values, secretChecksum: gatewaySecrets.checksum, drainSeconds: drainSeconds(config) },
  { providers: [provider], dependsOn: [gatewaySecrets, ...(redis ? [redis] : [])] },
);

const scheme = config.tls.enabled ? 'https' : 'http';
export const namespace = ns.metadata.name;
export const service = pulumi.interpolate`${ns.metadata.name}/${RELEASE_NAME}`;
export const secretName = GATEWAY_SECRET_NAME;
export const publicUrl = config.routing.provider === 'none' ? 'none (routing.provider=none): kubectl port-forward' : `${scheme}://${config.host}`;
/** In the pod the smoke CLI mints its own token from JWT_SECRET; in JWKS mode it needs SMOKE_TOKEN. */
export const smokeCommand =
  config.routing.provider === 'none'
    ? pulumi.interpolate`kubectl -n ${ns.metadata.name} exec deploy/${RELEASE_NAME} -c gateway -- /app/bin/smoke --url http://127.0.0.1:3000`
    : `bin/smoke --url ${scheme}://${config.host}   # needs SMOKE_TOKEN: a token your issuer signed for a user granted smoke-* channels`;
/** The same check from inside a pod, whatever the routing. */
export const podSmokeCommand = pulumi.interpolate`kubectl -n ${ns.metadata.name} exec deploy/${RELEASE_NAME} -c gateway -- /app/bin/smoke --url http://127.0.0.1:3000${config.auth.jwksUrl ? ' --token "$SMOKE_TOKEN"' : ''}`;
/** Instance status through the ops CLI, run inside a pod (server API on its internal port). */
export const opsStatusCommand = pulumi.interpolate`kubectl -n ${ns.metadata.name} exec deploy/${RELEASE_NAME} -c gateway -- /app/bin/ops status`;
