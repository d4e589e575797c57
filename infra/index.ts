/**
 * Socket gateway platform: namespace, secrets, Redis (standalone) and the gateway chart.
 * Configuration: see README "Deploy with Pulumi"; every value is validated in src/config.ts.
 */
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { chartValues, drainSeconds } from './src/chart-values';
import { readStackConfig } from './src/config';
import { GatewayRelease } from './src/gateway';
import { GATEWAY_SECRET_NAME, RELEASE_NAME } from './src/names';
import { StandaloneRedis } from './src/redis';
import { GatewaySecrets } from './src/secrets';

const { config, secrets } = readStackConfig();

const ns = new k8s.core.v1.Namespace('socket-gateway-namespace', {
  metadata: { name: config.namespace, labels: { 'app.kubernetes.io/part-of': 'socket-gateway' } },
});

const redis =
  config.redis.mode === 'standalone'
    ? new StandaloneRedis('socket-gateway-redis', {
        namespace: ns.metadata.name,
        password: secrets.redisPassword!,
        image: config.redis.image,
        storageSize: config.redis.storageSize,
        storageClass: config.redis.storageClass,
      })
    : undefined;

const gatewaySecrets = new GatewaySecrets('socket-gateway-secrets', {
  namespace: ns.metadata.name,
  jwtSecret: secrets.jwtSecret,
  apiKeys: secrets.apiKeys!,
  redisUrl: redis ? redis.url : secrets.redisUrl!,
  webhookSecret: secrets.webhookSecret,
});

const values = chartValues(config);
new GatewayRelease('socket-gateway', { namespace: ns.metadata.name, values, drainSeconds: drainSeconds(config) }, { dependsOn: [gatewaySecrets, ...(redis ? [redis] : [])] });

const scheme = config.tls.enabled ? 'https' : 'http';
export const namespace = ns.metadata.name;
export const service = pulumi.interpolate`${ns.metadata.name}/${RELEASE_NAME}`;
export const secretName = GATEWAY_SECRET_NAME;
export const publicUrl = config.routing.provider === 'none' ? 'none (routing.provider=none): kubectl port-forward' : `${scheme}://${config.host}`;
export const smokeCommand =
  config.routing.provider === 'none'
    ? pulumi.interpolate`kubectl -n ${ns.metadata.name} exec deploy/${RELEASE_NAME} -c gateway -- /app/bin/smoke --url http://127.0.0.1:3000`
    : `bin/smoke --url ${scheme}://${config.host}`;
