import { createHash } from 'node:crypto';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { GATEWAY_SECRET_NAME } from './names';

export interface GatewaySecretsArgs {
  namespace: pulumi.Input<string>;
  /** HS256 signing secret; absent when tokens are verified through a JWKS URL. */
  jwtSecret?: pulumi.Input<string>;
  /** Comma-separated keys of the server HTTP API. */
  apiKeys: pulumi.Input<string>;
  /** Full Redis URL with its password (standalone: built from the Redis component); absent for Sentinel and Cluster. */
  redisUrl?: pulumi.Input<string>;
  /** Data-node password of an external Sentinel group or Cluster (REDIS_PASSWORD). */
  redisPassword?: pulumi.Input<string>;
  /** Password of the sentinels themselves (REDIS_SENTINEL_PASSWORD). */
  redisSentinelPassword?: pulumi.Input<string>;
  webhookSecret?: pulumi.Input<string>;
}

export function secretChecksum(data: Record<string, string>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(data).sort()) h.update(`${k}\0${data[k]}\0`);
  return h.digest('hex');
}

/** The Secret the chart references by name (`secrets.existingSecret`); every value stays a Pulumi secret. */
export class GatewaySecrets extends pulumi.ComponentResource {
  readonly secretName: pulumi.Output<string>;
  /** sha256 of every key and value; not secret (it reveals nothing), so it can annotate the pods. */
  readonly checksum: pulumi.Output<string>;

  constructor(name: string, args: GatewaySecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('socket-gateway:secrets:GatewaySecrets', name, {}, opts);
    const data: Record<string, pulumi.Output<string>> = {
      API_KEYS: pulumi.secret(args.apiKeys),
    };
    if (args.redisUrl !== undefined) data.REDIS_URL = pulumi.secret(args.redisUrl);
    if (args.redisPassword !== undefined) data.REDIS_PASSWORD = pulumi.secret(args.redisPassword);
    if (args.redisSentinelPassword !== undefined) data.REDIS_SENTINEL_PASSWORD = pulumi.secret(args.redisSentinelPassword);
    if (args.jwtSecret !== undefined) data.JWT_SECRET = pulumi.secret(args.jwtSecret);
    if (args.webhookSecret !== undefined) data.WEBHOOK_SECRET = pulumi.secret(args.webhookSecret);
    const secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: { name: GATEWAY_SECRET_NAME, namespace: args.namespace, labels: { 'app.kubernetes.io/part-of': 'socket-gateway' } },
        type: 'Opaque',
        stringData: data,
      },
      { parent: this, additionalSecretOutputs: ['data', 'stringData'] },
    );
    this.secretName = secret.metadata.name;
    this.checksum = pulumi.unsecret(pulumi.all(data).apply((d) => secretChecksum(d)));
    this.registerOutputs({ secretName: this.secretName, checksum: this.checksum });
  }
}
