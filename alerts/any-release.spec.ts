import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { helmTemplate } from '../helm/test/helm';
import type { K8sObject } from '../helm/test/k8s-schema';
import { runPromtool } from './lib/promtool';

/**
 * The chart installed as release `rt-prod`: the PrometheusRule it renders must still fire on the
 * series that release produces — the job its ServiceMonitor gives, its pod, container and HPA names.
 */
const RELEASE = 'rt-prod';
const NAMESPACE = 'rt-prod';

type Dict = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const objs = helmTemplate({
  release: RELEASE,
  namespace: NAMESPACE,
  values: { monitoring: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } }, autoscaling: { enabled: true } },
});
const one = (kind: string): K8sObject => {
  const found = objs.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, rendered ${found.length}`);
  return found[0];
};

/**
 * The `job` label Prometheus Operator gives a ServiceMonitor target: the Service's name, then the
 * endpoint's relabelings (only `replace` with a fixed replacement is expected here).
 */
function scrapedJob(): string {
  const sm = one('ServiceMonitor').spec as Dict;
  const selected = objs.filter((o) => o.kind === 'Service' && Object.entries(sm.selector.matchLabels as Record<string, string>).every(([k, v]) => o.metadata.labels?.[k] === v));
  if (selected.length !== 1) throw new Error(`expected the ServiceMonitor to select one Service, it selects ${selected.length}`);
  let job = selected[0].metadata.name;
  for (const r of (sm.endpoints[0].relabelings ?? []) as Dict[]) {
    if (r.targetLabel !== 'job') continue;
    if ((r.action ?? 'replace') !== 'replace' || r.sourceLabels) throw new Error(`unexpected relabeling ${JSON.stringify(r)}`);
    job = r.replacement;
  }
  return job;
}

const deployment = one('Deployment');
const hpa = one('HorizontalPodAutoscaler');
const container = ((deployment.spec as Dict).template.spec.containers as Dict[])[0].name as string;
const pod = `${deployment.metadata.name}-7d9f8c6b5-x2x4q`;
const job = scrapedJob();

function ruleTest(): Dict {
  const gw = `job="${job}", namespace="${NAMESPACE}", pod="${pod}"`;
  const ksm = `job="kube-state-metrics", namespace="${NAMESPACE}"`;
  return {
    rule_files: ['rules.yaml'],
    evaluation_interval: '1m',
    tests: [
      {
        name: `release ${RELEASE}: gateway, kube-state-metrics and cAdvisor series all reach their alerts`,
        interval: '1m',
        input_series: [
          { series: `up{${gw}, instance="10.0.0.9:9464"}`, values: '1x30' },
          { series: `socket_gateway_redis_up{${gw}}`, values: '0x30' },
          { series: `socket_gateway_connected_sockets{${gw}}`, values: '99x30' },
          { series: `socket_gateway_max_connections{${gw}}`, values: '100x30' },
          { series: `container_memory_working_set_bytes{job="kubelet", namespace="${NAMESPACE}", pod="${pod}", container="${container}"}`, values: '960x30' },
          { series: `kube_pod_container_resource_limits{${ksm}, pod="${pod}", container="${container}", resource="memory", unit="byte"}`, values: '1000x30' },
          // 48 CPU-seconds a minute against a limit of 1 core: 80%.
          { series: `container_cpu_usage_seconds_total{job="kubelet", namespace="${NAMESPACE}", pod="${pod}", container="${container}"}`, values: '0+48x30' },
          { series: `kube_pod_container_resource_limits{${ksm}, pod="${pod}", container="${container}", resource="cpu", unit="core"}`, values: '1x30' },
          { series: `kube_pod_container_status_waiting_reason{${ksm}, pod="${pod}", container="${container}", reason="CrashLoopBackOff"}`, values: '1x30' },
          { series: `kube_horizontalpodautoscaler_status_current_replicas{${ksm}, horizontalpodautoscaler="${hpa.metadata.name}"}`, values: '20x30' },
          { series: `kube_horizontalpodautoscaler_spec_max_replicas{${ksm}, horizontalpodautoscaler="${hpa.metadata.name}"}`, values: '20x30' },
          {
            series: `kube_horizontalpodautoscaler_info{${ksm}, horizontalpodautoscaler="${hpa.metadata.name}", scaletargetref_kind="Deployment", scaletargetref_name="${(hpa.spec as Dict).scaleTargetRef.name}"}`,
            values: '1x30',
          },
        ],
        promql_expr_test: [
          {
            expr: 'count by (alertname, severity) (ALERTS{alertstate="firing"})',
            eval_time: '20m',
            exp_samples: [
              ['SocketGatewayRedisDown', 'critical'],
              ['SocketGatewayConnectionsNearLimit', 'warning'],
              ['SocketGatewayConnectionsNearLimit', 'critical'],
              ['SocketGatewayMemoryNearLimit', 'warning'],
              ['SocketGatewayCPUNearLimit', 'warning'],
              ['SocketGatewayCrashLooping', 'warning'],
              ['SocketGatewayHPAMaxedOut', 'warning'],
            ].map(([alertname, severity]) => ({ labels: `{alertname="${alertname}", severity="${severity}"}`, value: 1 })),
          },
        ],
        alert_rule_test: [{ alertname: 'SocketGatewayDown', eval_time: '20m', exp_alerts: [] }],
      },
    ],
  };
}

describe(`alerts under release ${RELEASE}`, () => {
  it('should render names that differ from the default release, so the test means something', () => {
    for (const svc of objs.filter((o) => o.kind === 'Service')) expect(svc.metadata.name.startsWith('socket-gateway')).toBe(false);
    expect(pod.startsWith('socket-gateway-')).toBe(false);
    expect(hpa.metadata.name).not.toBe('socket-gateway');
  });

  it('should fire every gateway, Kubernetes and HPA alert on the series that release produces (promtool test rules)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-any-release-'));
    try {
      const groups = (one('PrometheusRule').spec as Dict).groups;
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
      writeFileSync(join(dir, 'release.test.yaml'), stringify(ruleTest()));
      const res = runPromtool(['test', 'rules', 'release.test.yaml'], dir);
      if (res.status !== 0) throw new Error(`promtool test rules failed for release ${RELEASE}:\n${res.output}`);
      expect(res.output).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
