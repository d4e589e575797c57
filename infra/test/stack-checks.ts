/**
 * The checks every example stack must pass, as one describe block: run the program under mocks,
 * then hold its resources, its secrets and its chart rendering to the repository's policies.
 */
import { APP_ENDPOINTS } from '../../helm/test/app-contract';
import { helmTemplate } from '../../helm/test/helm';
import { schemaErrors, type K8sObject } from '../../helm/test/k8s-schema';
import { allViolations, expectedRuleGroups, hardeningViolations, selectorViolations } from '../../helm/test/policies';
import { alertRuleFiles, dashboardFiles } from '../../helm/test/repo-inputs';
import { chartValues } from '../src/chart-values';
import { withSecretChecksum } from '../src/gateway';
import { maxmemoryBytes } from '../src/redis';
import { secretChecksum } from '../src/secrets';
import { parseStackConfig, type StackConfig } from '../src/config';
import { runProgram, reveal, stackConfig, type RecordedResource } from './program';
import { namingViolations, plaintextSecretViolations } from './stack-policies';


export interface StackExpectation {
  stack: string;
  secrets: Record<string, string>;
  redis: 'standalone' | 'external';
  monitoring: boolean;
}

export function describeStack(e: StackExpectation): void {
  describe(`Pulumi stack ${e.stack}`, () => {
    let resources: RecordedResource[];
    let outputs: Record<string, { value: unknown; secret: boolean }>;
    let config: StackConfig;

    beforeAll(async () => {
      config = parseStackConfig(stackConfig(e.stack), Object.keys(e.secrets));
      ({ resources, outputs } = await runProgram(e.stack, e.secrets));
    }, 60_000);

    const ofType = (t: string) => resources.filter((r) => r.type === t);
    const k8sObjects = (): K8sObject[] =>
      resources.filter((r) => r.type.startsWith('kubernetes:') && !r.type.startsWith('kubernetes:helm.sh') && r.type !== 'kubernetes:core/v1:Secret').map((r) => reveal(r.inputs) as K8sObject);

    it('should create the namespace, the gateway Secret and the chart release', () => {
      expect(ofType('kubernetes:core/v1:Namespace').map((r) => r.inputs.metadata.name)).toEqual([config.namespace]);
      expect(ofType('socket-gateway:secrets:GatewaySecrets')).toHaveLength(1);
      expect(ofType('socket-gateway:gateway:GatewayRelease')).toHaveLength(1);
      const charts = ofType('kubernetes:helm.sh/v4:Chart');
      expect(charts).toHaveLength(1);
      expect(charts[0].inputs.chart).toMatch(/helm\/socket-gateway$/);
      expect(charts[0].inputs.name).toBe('socket-gateway');
    });

    it('should pass the chart exactly the values chartValues() computes, plus the Secret checksum', () => {
      const gatewaySecret = ofType('kubernetes:core/v1:Secret').find((r) => r.inputs.metadata.name === 'socket-gateway-secrets')!;
      const checksum = secretChecksum(reveal(gatewaySecret.inputs.stringData));
      expect(ofType('kubernetes:helm.sh/v4:Chart')[0].inputs.values).toEqual(withSecretChecksum(chartValues(config), checksum));
      for (const s of Object.values(e.secrets)) expect(checksum).not.toContain(s);
    });

    it('should deploy every Kubernetes resource through the explicit provider, never the ambient context', () => {
      const providers = ofType('pulumi:providers:kubernetes');
      expect(providers).toHaveLength(1);
      expect(providers[0].inputs).toMatchObject({ context: config.context, enableServerSideApply: 'true' });
      const k8sResources = resources.filter((r) => r.type.startsWith('kubernetes:'));
      expect(k8sResources.length).toBeGreaterThanOrEqual(3);
      for (const r of k8sResources) expect(`${r.name}: ${r.provider}`).toMatch(/: urn:pulumi:.*::pulumi:providers:kubernetes::socket-gateway-provider::/);
    });

    it('should protect the namespace and, with standalone Redis, its StatefulSet and PVC', () => {
      const protectedNames = resources.filter((r) => r.protect).map((r) => r.type.split(':').pop());
      expect(protectedNames.sort()).toEqual(e.redis === 'standalone' ? ['Namespace', 'PersistentVolumeClaim', 'StatefulSet'] : ['Namespace']);
    });

    it(`should ${e.redis === 'standalone' ? '' : 'not '}run Redis in the namespace`, () => {
      const sts = ofType('kubernetes:apps/v1:StatefulSet');
      if (e.redis === 'standalone') {
        expect(ofType('socket-gateway:redis:StandaloneRedis')).toHaveLength(1);
        expect(sts).toHaveLength(1);
        const redis = reveal(sts[0].inputs);
        const [server, exporter] = redis.spec.template.spec.containers;
        expect(server.args).toEqual(['/etc/redis/auth/auth.conf', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data', '--maxmemory', String(maxmemoryBytes(config.redis.memoryLimit)), '--maxmemory-policy', 'noeviction']);
        // The password reaches redis-server and redis-cli only as mounted files.
        expect(JSON.stringify([server.args, server.env ?? [], server.command ?? []])).not.toMatch(/requirepass|REDIS_PASSWORD|REDISCLI_AUTH/);
        expect(server.image).toMatch(/^redis:\d+\.\d+\.\d+-alpine$/);
        expect(exporter).toMatchObject({ name: 'redis-exporter', ports: [{ name: 'metrics', containerPort: 9121 }] });
        expect(exporter.image).toMatch(/^oliver006\/redis_exporter:v\d+\.\d+\.\d+$/);
        expect(ofType('kubernetes:core/v1:PersistentVolumeClaim')[0].inputs.spec.resources.requests.storage).toBe(config.redis.storageSize);
        // Node drains are not blocked unless redis.blockNodeDrains asks for it.
        expect(ofType('kubernetes:policy/v1:PodDisruptionBudget')).toHaveLength(config.redis.blockNodeDrains ? 1 : 0);
        for (const t of ['kubernetes:networking.k8s.io/v1:NetworkPolicy', 'kubernetes:core/v1:Service']) expect(ofType(t)).toHaveLength(1);
      } else {
        expect(ofType('socket-gateway:redis:StandaloneRedis')).toEqual([]);
        expect(sts).toEqual([]);
      }
    });

    it('should keep every secret a Pulumi secret', () => {
      expect(plaintextSecretViolations(resources)).toEqual([]);
      const gatewaySecret = ofType('kubernetes:core/v1:Secret').find((r) => r.inputs.metadata.name === 'socket-gateway-secrets')!;
      expect(Object.keys(reveal(gatewaySecret.inputs.stringData)).sort()).toEqual(expect.arrayContaining(['API_KEYS', 'REDIS_URL']));
      const plain = JSON.stringify(resources.filter((r) => r.type !== 'kubernetes:core/v1:Secret').map((r) => reveal(r.inputs)));
      for (const s of Object.values(e.secrets)) expect(plain).not.toContain(s);
    });

    it('should follow the component conventions', () => {
      expect(namingViolations(resources)).toEqual([]);
    });

    it('should create Kubernetes objects that pass the schema and hardening policies', async () => {
      const objs = k8sObjects();
      expect(await schemaErrors(objs)).toEqual([]);
      expect([...hardeningViolations(objs), ...selectorViolations(objs)]).toEqual([]);
    });

    it('should render the chart with chartValues() into objects that pass the schema and every policy', async () => {
      const objs = helmTemplate({ values: chartValues(config), namespace: config.namespace });
      expect(await schemaErrors(objs)).toEqual([]);
      expect(
        allViolations(objs, {
          app: APP_ENDPOINTS,
          alertGroups: expectedRuleGroups(alertRuleFiles(), config.monitoring.runbookBaseUrl),
          dashboards: dashboardFiles(),
          runbookBaseUrl: config.monitoring.runbookBaseUrl,
          knownSecretValues: Object.values(e.secrets),
        }),
      ).toEqual([]);
      expect(objs.some((o) => o.kind === 'PrometheusRule')).toBe(e.monitoring);
      expect(objs.some((o) => o.kind === 'ServiceMonitor')).toBe(e.monitoring);
      expect(objs.some((o) => o.metadata.labels?.grafana_dashboard === '1')).toBe(e.monitoring);
    });

    it('should export the namespace, service, public URL and smoke command', () => {
      expect(outputs.namespace.value).toBe(config.namespace);
      expect(outputs.service.value).toBe(`${config.namespace}/socket-gateway`);
      expect(outputs.publicUrl.value).toBe(`${config.tls.enabled ? 'https' : 'http'}://${config.host}`);
      expect(String(outputs.smokeCommand.value)).toContain(config.host);
      expect(String(outputs.podSmokeCommand.value)).toContain('/app/bin/smoke --url http://127.0.0.1:3000');
      for (const o of Object.values(outputs)) expect(o.secret).toBe(false);
    });
  });
}
