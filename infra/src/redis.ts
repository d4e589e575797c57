import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { GATEWAY_POD_LABELS, REDIS_EXPORTER_IMAGE, REDIS_EXPORTER_PORT, REDIS_NAME, REDIS_POD_LABELS, REDIS_PORT } from './names';

export interface StandaloneRedisArgs {
  namespace: pulumi.Input<string>;
  /** requirepass; redis-server reads it from a mounted file, never from its arguments or environment. */
  password: pulumi.Input<string>;
  /** A pinned image (the stack config refuses floating tags). */
  image: string;
  /** Size of the AOF volume. */
  storageSize: string;
  /** StorageClass of the volume; empty for the cluster default. */
  storageClass: string;
  /** Memory limit of the Redis container ("512Mi", "2Gi"); maxmemory is 80% of it. */
  memoryLimit: string;
  /** A PDB with maxUnavailable 0: node drains wait until an operator moves Redis. */
  blockNodeDrains: boolean;
  /** `protect` on the StatefulSet and its PVC (the data). */
  protect: boolean;
  /** With kube-prometheus-stack: a ServiceMonitor for the redis_exporter sidecar. */
  monitoring?: { release: string; prometheusNamespace: string };
}

const REDIS_UID = 999; // the `redis` user of the official image
const AUTH_DIR = '/etc/redis/auth';
const EXPORTER_PASSWORDS = 'exporter-passwords.json';
const EXPORTER_REDIS_ADDR = `redis://127.0.0.1:${REDIS_PORT}`;

function memoryBytes(memoryLimit: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(memoryLimit);
  if (!m) throw new Error(`memory limit ${memoryLimit} is not in Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 ** 3 : 1024 ** 2);
}

/** maxmemory for a memory limit: 80% leaves room for AOF rewrites, buffers and fragmentation. */
export function maxmemoryBytes(memoryLimit: string): number {
  return Math.floor(memoryBytes(memoryLimit) * 0.8);
}

/** 256Mi, or the limit when that is smaller: the API server refuses a request above the limit. */
export function memoryRequest(memoryLimit: string): string {
  return memoryBytes(memoryLimit) < 256 * 1024 ** 2 ? memoryLimit : '256Mi';
}

/** A redis.conf fragment holding only the password, as a quoted string (any character survives). */
export function authConf(password: string): string {
  return `requirepass "${password.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"\n`;
}

/** redis_exporter's password file: a JSON map from the address it scrapes to that address's password. */
export function exporterPasswords(password: string): string {
  return JSON.stringify({ [EXPORTER_REDIS_ADDR]: password });
}

/** redis:// URL of the standalone Redis; the password is URL-encoded (base64 ones contain / and +). */
export function redisUrl(password: string, host: string, port = REDIS_PORT): string {
  return `redis://:${encodeURIComponent(password)}@${host}:${port}/0`;
}

/**
 * One Redis pod with AOF persistence on a PVC, for dev and small installs (production should use
 * a managed Redis: redis.mode external), with a redis_exporter sidecar. Only the gateway pods
 * (and Prometheus, on the exporter port) may reach it.
 */
export class StandaloneRedis extends pulumi.ComponentResource {
  /** redis:// URL with the password, a Pulumi secret. */
  readonly url: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: StandaloneRedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super('socket-gateway:redis:StandaloneRedis', name, {}, opts);
    const labels = { ...REDIS_POD_LABELS, 'app.kubernetes.io/part-of': 'socket-gateway' };
    const metadata = { name: REDIS_NAME, namespace: args.namespace, labels };

    const password = pulumi.secret(args.password);
    const secret = new k8s.core.v1.Secret(
      `${name}-password`,
      { metadata, type: 'Opaque', stringData: { REDIS_PASSWORD: password, 'auth.conf': password.apply(authConf), [EXPORTER_PASSWORDS]: password.apply(exporterPasswords) } },
      { parent: this, additionalSecretOutputs: ['data', 'stringData'] },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata,
        spec: {
          selector: REDIS_POD_LABELS,
          ports: [
            { name: 'redis', port: REDIS_PORT, targetPort: 'redis', protocol: 'TCP' },
            { name: 'metrics', port: REDIS_EXPORTER_PORT, targetPort: 'metrics', protocol: 'TCP' },
          ],
        },
      },
      { parent: this },
    );

    const pvc = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-data`,
      {
        metadata: { name: `${REDIS_NAME}-data`, namespace: args.namespace, labels },
        spec: {
          accessModes: ['ReadWriteOnce'],
          ...(args.storageClass ? { storageClassName: args.storageClass } : {}),
          resources: { requests: { storage: args.storageSize } },
        },
      },
      // The AOF lives here: a `pulumi destroy` or a replacement must not take it along.
      { parent: this, protect: args.protect },
    );

    const ping = { exec: { command: ['sh', '-c', `REDISCLI_AUTH="$(cat ${AUTH_DIR}/password)" redis-cli -h 127.0.0.1 ping | grep -q PONG`] } };
    const hardened = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: REDIS_UID, capabilities: { drop: ['ALL'] } };

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
                  // The first argument is a config file holding only requirepass: the password is in
                  // no process argument and no environment variable.
                  args: [
                    `${AUTH_DIR}/auth.conf`,
                    '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data',
                    // With noeviction but no maxmemory a full Redis is OOM-killed; with both it refuses writes.
                    '--maxmemory', String(maxmemoryBytes(args.memoryLimit)), '--maxmemory-policy', 'noeviction',
                  ],
                  ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
                  startupProbe: { ...ping, periodSeconds: 2, failureThreshold: 60 },
                  livenessProbe: { ...ping, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
                  readinessProbe: { ...ping, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 },
                  resources: { requests: { cpu: '100m', memory: memoryRequest(args.memoryLimit) }, limits: { memory: args.memoryLimit } },
                  securityContext: hardened,
                  volumeMounts: [
                    { name: 'data', mountPath: '/data' },
                    { name: 'auth', mountPath: AUTH_DIR, readOnly: true },
                  ],
                },
                {
                  name: 'redis-exporter',
                  image: REDIS_EXPORTER_IMAGE,
                  // The password comes from the same mounted Secret as redis-server's, not the environment.
                  env: [
                    { name: 'REDIS_ADDR', value: EXPORTER_REDIS_ADDR },
                    { name: 'REDIS_PASSWORD_FILE', value: `${AUTH_DIR}/${EXPORTER_PASSWORDS}` },
                  ],
                  volumeMounts: [{ name: 'auth', mountPath: AUTH_DIR, readOnly: true }],
                  ports: [{ name: 'metrics', containerPort: REDIS_EXPORTER_PORT, protocol: 'TCP' }],
                  readinessProbe: { httpGet: { path: '/health', port: 'metrics' }, periodSeconds: 10 },
                  resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
                  securityContext: hardened,
                },
              ],
              volumes: [
                { name: 'data', persistentVolumeClaim: { claimName: pvc.metadata.name } },
                {
                  name: 'auth',
                  secret: { secretName: secret.metadata.name, defaultMode: 0o440, items: [{ key: 'auth.conf', path: 'auth.conf' }, { key: 'REDIS_PASSWORD', path: 'password' }, { key: EXPORTER_PASSWORDS, path: EXPORTER_PASSWORDS }] },
                },
              ],
            },
          },
        },
      },
      // Replacing it would restart Redis; keep updates in place, waits long, and deletion deliberate.
      { parent: this, protect: args.protect, customTimeouts: { create: '10m', update: '10m' } },
    );

    if (args.blockNodeDrains) {
      pulumi.log.warn('redis.blockNodeDrains: the Redis PodDisruptionBudget (maxUnavailable 0) makes every node drain wait until an operator moves Redis', this);
      new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata, spec: { maxUnavailable: 0, selector: { matchLabels: REDIS_POD_LABELS } } }, { parent: this });
    }

    const prometheusPeer = args.monitoring ? [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': args.monitoring.prometheusNamespace } } }], ports: [{ port: REDIS_EXPORTER_PORT, protocol: 'TCP' }] }] : [];
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      {
        metadata,
        spec: {
          podSelector: { matchLabels: REDIS_POD_LABELS },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: GATEWAY_POD_LABELS } }], ports: [{ port: REDIS_PORT, protocol: 'TCP' }] }, ...prometheusPeer],
        },
      },
      { parent: this },
    );

    if (args.monitoring) {
      new k8s.apiextensions.CustomResource(
        `${name}-servicemonitor`,
        {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { ...metadata, labels: { ...labels, release: args.monitoring.release } },
          spec: {
            selector: { matchLabels: labels },
            // The Redis alerts and dashboards select job="socket-gateway-redis" (alerts/README.md).
            endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s', relabelings: [{ action: 'replace', targetLabel: 'job', replacement: 'socket-gateway-redis' }] }],
          },
        },
        { parent: this },
      );
    }

    this.serviceName = service.metadata.name;
    this.url = pulumi.secret(pulumi.all([password, service.metadata.name, args.namespace]).apply(([p, svc, ns]) => redisUrl(p, `${svc}.${ns}.svc`)));
    this.registerOutputs({ url: this.url, serviceName: this.serviceName });
  }
}
