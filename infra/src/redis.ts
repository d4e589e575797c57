import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { GATEWAY_POD_LABELS, REDIS_NAME, REDIS_POD_LABELS, REDIS_PORT } from './names';

export interface StandaloneRedisArgs {
  namespace: pulumi.Input<string>;
  /** requirepass; stored in its own Secret and given to redis-server through the environment. */
  password: pulumi.Input<string>;
  /** @default "redis:7.4-alpine" */
  image: string;
  /** Size of the AOF volume. */
  storageSize: string;
  /** StorageClass of the volume; empty for the cluster default. */
  storageClass: string;
}

const REDIS_UID = 999; // the `redis` user of the official image

/**
 * One Redis pod with AOF persistence on a PVC, for dev and small installs (production should use
 * a managed Redis: redis.mode external). Only the gateway pods may reach it.
 */
export class StandaloneRedis extends pulumi.ComponentResource {
  /** redis:// URL with the password, a Pulumi secret. */
  readonly url: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: StandaloneRedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super('socket-gateway:redis:StandaloneRedis', name, {}, opts);
    const labels = { ...REDIS_POD_LABELS, 'app.kubernetes.io/part-of': 'socket-gateway' };
    const metadata = { name: REDIS_NAME, namespace: args.namespace, labels };

    const secret = new k8s.core.v1.Secret(
      `${name}-password`,
      { metadata, type: 'Opaque', stringData: { REDIS_PASSWORD: pulumi.secret(args.password) } },
      { parent: this, additionalSecretOutputs: ['data', 'stringData'] },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      { metadata, spec: { selector: REDIS_POD_LABELS, ports: [{ name: 'redis', port: REDIS_PORT, targetPort: 'redis', protocol: 'TCP' }] } },
      { parent: this },
    );

    const passwordEnv = { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: secret.metadata.name, key: 'REDIS_PASSWORD' } } };
    // redis-cli reads REDISCLI_AUTH, which keeps the password out of the probe's command line.
    const cliAuthEnv = { name: 'REDISCLI_AUTH', valueFrom: { secretKeyRef: { name: secret.metadata.name, key: 'REDIS_PASSWORD' } } };
    const ping = { exec: { command: ['sh', '-c', 'redis-cli -h 127.0.0.1 ping | grep -q PONG'] } };

    new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      {
        metadata,
        spec: {
          serviceName: service.metadata.name,
          replicas: 1,
          selector: { matchLabels: REDIS_POD_LABELS },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              terminationGracePeriodSeconds: 30,
              securityContext: { runAsNonRoot: true, runAsUser: REDIS_UID, runAsGroup: REDIS_UID, fsGroup: REDIS_UID, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'redis',
                  image: args.image,
                  // $(REDIS_PASSWORD) is expanded by the kubelet from the env below, never written to the spec.
                  args: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data', '--requirepass', '$(REDIS_PASSWORD)', '--maxmemory-policy', 'noeviction'],
                  env: [passwordEnv, cliAuthEnv],
                  ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
                  startupProbe: { ...ping, periodSeconds: 2, failureThreshold: 60 },
                  livenessProbe: { ...ping, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
                  readinessProbe: { ...ping, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
                  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: REDIS_UID, capabilities: { drop: ['ALL'] } },
                  volumeMounts: [{ name: 'data', mountPath: '/data' }],
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data', labels },
              spec: {
                accessModes: ['ReadWriteOnce'],
                ...(args.storageClass ? { storageClassName: args.storageClass } : {}),
                resources: { requests: { storage: args.storageSize } },
              },
            },
          ],
        },
      },
      // A replacement would start empty if the PVC name changed: keep updates in place and waits long.
      { parent: this, customTimeouts: { create: '10m', update: '10m' } },
    );

    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      // The single pod must not be evicted casually: a node drain has to wait for an operator.
      { metadata, spec: { maxUnavailable: 0, selector: { matchLabels: REDIS_POD_LABELS } } },
      { parent: this },
    );

    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata,
        spec: {
          podSelector: { matchLabels: REDIS_POD_LABELS },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: GATEWAY_POD_LABELS } }], ports: [{ port: REDIS_PORT, protocol: 'TCP' }] }],
        },
      },
      { parent: this },
    );

    this.serviceName = service.metadata.name;
    this.url = pulumi.secret(pulumi.interpolate`redis://:${args.password}@${service.metadata.name}.${args.namespace}.svc:${REDIS_PORT}/0`);
    this.registerOutputs({ url: this.url, serviceName: this.serviceName });
  }
}
