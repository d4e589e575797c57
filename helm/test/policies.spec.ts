import type { K8sObject } from './k8s-schema';
import {
  dashboardViolations,
  expectedRuleGroups,
  gracePeriodViolations,
  hardeningViolations,
  probeViolations,
  prometheusRuleViolations,
  publicSurfaceViolations,
  routingViolations,
  secretLeakViolations,
  selectorViolations,
} from './policies';

const labels = { 'app.kubernetes.io/name': 'gw', 'app.kubernetes.io/instance': 'r' };
const APP = { http: ['/healthz', '/readyz'], metrics: ['/metrics'] };

/** A compliant minimal rendering; each test breaks one thing. */
function fixture(): any[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'gw-config' }, data: { DRAIN_DELAY_MS: '5000', DRAIN_WINDOW_MS: '20000', TRANSPORTS: 'websocket,polling' } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gw', labels },
      spec: {
        selector: { matchLabels: labels },
        template: {
          metadata: { labels: { ...labels, extra: 'x' } },
          spec: {
            terminationGracePeriodSeconds: 40,
            securityContext: { runAsNonRoot: true, runAsUser: 1000 },
            containers: [
              {
                name: 'gateway',
                ports: [{ name: 'http', containerPort: 3000 }, { name: 'metrics', containerPort: 9464 }],
                envFrom: [{ configMapRef: { name: 'gw-config' } }],
                env: [{ name: 'JWT_SECRET', valueFrom: { secretKeyRef: { name: 's', key: 'JWT_SECRET' } } }],
                lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
                readinessProbe: { httpGet: { path: '/readyz', port: 'http' } },
                livenessProbe: { httpGet: { path: '/healthz', port: 3000 } },
                resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              },
            ],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'gw', labels }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9464, targetPort: 'metrics' }] } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'gw' }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
    { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'gw' }, spec: { selector: { matchLabels: { ...labels, 'app.kubernetes.io/component': 'metrics' } }, endpoints: [{ port: 'metrics', path: '/metrics' }] } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'gw', annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600', 'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600', 'nginx.ingress.kubernetes.io/affinity': 'cookie' } },
      spec: { ingressClassName: 'nginx', rules: [{ host: 'a', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'gw', port: { name: 'http' } } } }] } }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gw-metrics', labels: { ...labels, 'app.kubernetes.io/component': 'metrics' } },
      spec: { clusterIP: 'None', publishNotReadyAddresses: true, selector: labels, ports: [{ name: 'metrics', port: 9464, targetPort: 'metrics' }] },
    },
  ];
}

const dep = (objs: K8sObject[]) => objs[1] as any; // eslint-disable-line @typescript-eslint/no-explicit-any
const container = (objs: K8sObject[]) => dep(objs).spec.template.spec.containers[0];

describe('deployment policies', () => {
  it('should find nothing wrong with the compliant fixture', () => {
    const objs = fixture();
    expect([...gracePeriodViolations(objs), ...selectorViolations(objs), ...probeViolations(objs, APP), ...hardeningViolations(objs), ...secretLeakViolations(objs), ...routingViolations(objs, true)]).toEqual([]);
  });

  it('should flag a grace period shorter than preStop + drain delay + window + margin', () => {
    const objs = fixture();
    dep(objs).spec.template.spec.terminationGracePeriodSeconds = 30;
    expect(gracePeriodViolations(objs)).toEqual([expect.stringMatching(/^Deployment\/gw: terminationGracePeriodSeconds 30 must be >= preStop 5 s/)]);
  });

  it('should flag Service, PDB and ServiceMonitor selectors that miss the pods', () => {
    const objs = fixture();
    objs[2].spec.selector = { 'app.kubernetes.io/name': 'other' };
    objs[3].spec.selector.matchLabels = { 'app.kubernetes.io/instance': 'nope' };
    objs[4].spec.endpoints[0].port = 'prom';
    expect(selectorViolations(objs)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Service\/gw: selector/), expect.stringMatching(/^PodDisruptionBudget\/gw: selector/), expect.stringMatching(/^ServiceMonitor\/gw: endpoint port prom is not a port/)]),
    );
  });

  it('should flag a ServiceMonitor whose Service drops draining pods, or that selects two Services', () => {
    const objs = fixture();
    delete objs[6].spec.publishNotReadyAddresses;
    expect(selectorViolations(objs)).toEqual([expect.stringMatching(/^ServiceMonitor\/gw: Service\/gw-metrics drops draining pods/)]);
    const twice = fixture();
    twice[2].metadata.labels = { ...labels, 'app.kubernetes.io/component': 'metrics' };
    expect(selectorViolations(twice)).toEqual(expect.arrayContaining([expect.stringMatching(/^ServiceMonitor\/gw: selector matches 2 Services/)]));
  });

  it('should flag a probe on a path the app does not serve on that port', () => {
    const objs = fixture();
    container(objs).readinessProbe.httpGet.port = 'metrics';
    container(objs).livenessProbe.httpGet.path = '/health';
    expect(probeViolations(objs, APP)).toEqual([
      expect.stringMatching(/gateway.livenessProbe GET \/health on port http/),
      expect.stringMatching(/gateway.readinessProbe GET \/readyz on port metrics/),
    ]);
  });

  it('should flag containers without resources, running as root or writable', () => {
    const objs = fixture();
    delete container(objs).resources.limits;
    dep(objs).spec.template.spec.securityContext = {};
    container(objs).securityContext = { capabilities: { drop: ['NET_RAW'] } };
    const v = hardeningViolations(objs).join('\n');
    for (const m of ['no memory limit', 'may run as root', 'writable root filesystem', 'privilege escalation', 'capabilities']) expect(v).toContain(m);
  });

  it('should flag a request above its limit, which the API server refuses', () => {
    const objs = fixture();
    container(objs).resources = { requests: { cpu: '1500m', memory: '256Mi' }, limits: { cpu: '1', memory: '0.125Gi' } };
    expect(hardeningViolations(objs)).toEqual([
      'Deployment/gw: container gateway requests cpu 1500m above its limit 1',
      'Deployment/gw: container gateway requests memory 256Mi above its limit 0.125Gi',
    ]);
    container(objs).resources = { requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '1', memory: '134217728' } };
    expect(hardeningViolations(objs)).toEqual([]);
  });

  it('should flag secrets in ConfigMaps and literal secret env values', () => {
    const objs = fixture();
    objs[0].data.REDIS_URL = 'redis://:hunter22@redis:6379';
    objs[0].data.NOTES = 'token is abcdefgh1234';
    container(objs).env.push({ name: 'API_KEYS', value: 'k'.repeat(20) });
    expect(secretLeakViolations(objs, ['abcdefgh1234'])).toEqual([
      'ConfigMap/gw-config: key REDIS_URL looks like a secret',
      'ConfigMap/gw-config: value of REDIS_URL contains a secret',
      'ConfigMap/gw-config: value of NOTES contains a secret',
      'Deployment/gw: gateway env API_KEYS must come from a secretKeyRef',
    ]);
  });

  it('should flag short proxy timeouts and missing affinity while polling', () => {
    const objs = fixture();
    objs[5].metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'] = '60';
    delete objs[5].metadata.annotations['nginx.ingress.kubernetes.io/affinity'];
    expect(routingViolations(objs, true)).toEqual(['Ingress/gw: nginx proxy-read-timeout must be >= 3600', 'Ingress/gw: polling needs nginx cookie affinity']);
    expect(routingViolations(objs, false)).toEqual(['Ingress/gw: nginx proxy-read-timeout must be >= 3600']);
  });

  it('should flag a public route to anything but /socket.io/ on the http port', () => {
    const objs = fixture();
    objs[5].spec.rules[0].http.paths[0].path = '/socket.io/';
    expect(publicSurfaceViolations(objs)).toEqual([]);
    objs[5].spec.rules[0].http.paths.push({ path: '/', pathType: 'Prefix', backend: { service: { name: 'gw', port: { name: 'metrics' } } } });
    expect(publicSurfaceViolations(objs)).toEqual(['Ingress/gw: routes / publicly; only /socket.io/ may be public', 'Ingress/gw: routes to gw:metrics, not the Service\'s http port']);
  });

  it('should compare the PrometheusRule with the alert files, runbook base applied', () => {
    const files = [
      { name: 'b.rules.yaml', doc: { groups: [{ name: 'b', rules: [{ alert: 'B', expr: 'up == 0', annotations: { runbook_url: 'x/Shared.md' } }] }] } },
      { name: 'a.rules.yaml', doc: { groups: [{ name: 'a', rules: [{ record: 'r', expr: 'up' }] }] } },
    ];
    const groups = expectedRuleGroups(files, 'https://wiki/runbooks/');
    expect(groups.map((g) => g.name)).toEqual(['a', 'b']);
    expect(groups[1].rules[0].annotations.runbook_url).toBe('https://wiki/runbooks/Shared.md');
    expect((files[0].doc.groups[0].rules[0] as { annotations: { runbook_url: string } }).annotations.runbook_url).toBe('x/Shared.md');
    const rule = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'gw' }, spec: { groups } };
    expect(prometheusRuleViolations([rule], groups)).toEqual([]);
    expect(prometheusRuleViolations([rule], expectedRuleGroups(files))).toEqual([expect.stringMatching(/^PrometheusRule\/gw: groups differ from alerts\/ .*group #1/)]);
  });

  it('should require one labelled ConfigMap per dashboard with the file unchanged', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd', labels: { grafana_dashboard: '1' } }, data: { 'a.json': '{"uid":"a"}' } };
    expect(dashboardViolations([cm], [{ name: 'a.json', json: '{"uid":"a"}\n' }])).toEqual([]);
    expect(dashboardViolations([cm], [{ name: 'a.json', json: '{"uid":"b"}' }, { name: 'c.json', json: '{}' }])).toEqual([
      'expected 2 dashboard ConfigMaps, found 1',
      'ConfigMap/d: a.json differs from dashboards/generated/a.json',
      'no dashboard ConfigMap holds c.json',
    ]);
  });
});
