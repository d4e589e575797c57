/**
 * The prometheus-adapter rule the chart's connected-sockets HPA depends on: it serves the metric
 * name the HPA asks for, from a metric the gateway really exports, with queries the real
 * Prometheus parser accepts once the adapter has filled in its templates.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { parseWithPromtool } from '../dashboards/lib/promtool-parse';
import { MetricsService } from '../app/src/metrics/metrics.service';
import { helmTemplate, REPO_ROOT } from './test/helm';

type Dict = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const adapter = parse(readFileSync(path.join(REPO_ROOT, 'helm/prometheus-adapter-values.yaml'), 'utf8')) as Dict;
const rule = adapter.rules.custom[0] as Dict;

/** The adapter's own template substitution for one namespace's pods. */
function expand(query: string): string {
  return query
    .replace('<<.Series>>', rule.seriesQuery.split('{')[0])
    .replace('<<.LabelMatchers>>', 'namespace="socket-gateway",pod=~"socket-gateway-a|socket-gateway-b"')
    .replace('<<.GroupBy>>', 'pod');
}

describe('prometheus-adapter rule for the connected-sockets HPA', () => {
  it('should serve exactly the metric name the chart\'s HPA asks for', () => {
    const hpa = helmTemplate({ values: { autoscaling: { connectedSockets: { enabled: true } } } }).find((o) => o.kind === 'HorizontalPodAutoscaler') as Dict;
    const pods = hpa.spec.metrics.find((m: Dict) => m.type === 'Pods');
    expect(rule.name.as).toBe(pods.pods.metric.name);
    expect(rule.resources.overrides).toEqual({ namespace: { resource: 'namespace' }, pod: { resource: 'pod' } });
    expect(adapter.rules.default).toBe(false);
  });

  it('should read a gauge the gateway exports', async () => {
    const metrics = new MetricsService(new Registry(), false);
    const name = rule.seriesQuery.split('{')[0];
    const exported = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
    expect(exported?.type).toBe('gauge');
  });

  it('should hold queries the real Prometheus parser accepts', () => {
    const r = parseWithPromtool([
      { origin: 'prometheus-adapter seriesQuery', expr: rule.seriesQuery },
      { origin: 'prometheus-adapter metricsQuery', expr: expand(rule.metricsQuery) },
    ]);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it('should leave the custom metric off unless it is enabled', () => {
    const hpa = helmTemplate().find((o) => o.kind === 'HorizontalPodAutoscaler') as Dict;
    expect(hpa.spec.metrics.map((m: Dict) => m.type)).toEqual(['Resource']);
  });
});
