/**
 * Every metric name the dashboards and alert rules read, and where each may come from. The
 * end-to-end check scrapes a running gateway and asserts metricsExpectedFromGateway() ⊆ scraped.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { Registry } from 'prom-client';
import { MetricsService } from '../../app/src/metrics/metrics.service';
import { loadRuleGroups, recordingRules, RuleGroup } from '../../alerts/lib/rules';
import { allDashboards } from '../src';
import { labelValuesSelector, metricNames } from './promql';

/** prom-client's default metrics the dashboards and alerts read (unprefixed; collectDefaultMetrics). */
const DEFAULT_METRICS_USED: Record<string, MetricType> = {
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  process_open_fds: 'gauge',
  process_max_fds: 'gauge',
  process_start_time_seconds: 'gauge',
  nodejs_eventloop_lag_p99_seconds: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_heap_size_total_bytes: 'gauge',
  nodejs_gc_duration_seconds: 'histogram',
  nodejs_version_info: 'gauge',
};

type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * The gateway's own catalogue, read from MetricsService itself (a metric added there must be
 * charted), plus the default metrics used; histograms add _bucket/_sum/_count.
 */
export const GATEWAY_METRICS: Record<string, MetricType> = {
  ...Object.fromEntries(
    new MetricsService(new Registry(), false).registry.getMetricsAsArray().map((m) => [m.name, m.type as unknown as MetricType]),
  ),
  ...DEFAULT_METRICS_USED,
};

/** Metrics that come from Prometheus itself, kube-state-metrics, cAdvisor or the kubelet, never from the gateway. */
export const EXTERNAL_METRICS: Record<string, string> = {
  up: 'Prometheus (scrape health of every target)',
  kube_pod_container_status_restarts_total: 'kube-state-metrics',
  kube_pod_container_status_waiting_reason: 'kube-state-metrics',
  kube_pod_container_resource_limits: 'kube-state-metrics',
  kube_horizontalpodautoscaler_status_current_replicas: 'kube-state-metrics',
  kube_horizontalpodautoscaler_spec_max_replicas: 'kube-state-metrics',
  kube_horizontalpodautoscaler_info: 'kube-state-metrics',
  kube_deployment_status_replicas_available: 'kube-state-metrics',
  container_cpu_usage_seconds_total: 'cAdvisor (kubelet /metrics/cadvisor)',
  container_memory_working_set_bytes: 'cAdvisor (kubelet /metrics/cadvisor)',
  redis_memory_used_bytes: 'redis_exporter',
  redis_memory_max_bytes: 'redis_exporter',
  redis_evicted_keys_total: 'redis_exporter',
  redis_rejected_connections_total: 'redis_exporter',
  redis_rdb_last_bgsave_status: 'redis_exporter',
  redis_aof_last_write_status: 'redis_exporter',
  redis_aof_last_bgrewrite_status: 'redis_exporter',
  redis_master_link_up: 'redis_exporter (replicas only)',
  redis_sentinel_master_status: 'redis_exporter (scraping a Sentinel)',
};

/** Sample names a metric shows in the exposition format. */
export function exposedSampleNames(name: string, type: 'counter' | 'gauge' | 'histogram'): string[] {
  return type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
}

/** Every sample name the gateway catalogue promises. */
export function gatewaySampleNames(): Set<string> {
  return new Set(Object.entries(GATEWAY_METRICS).flatMap(([n, t]) => exposedSampleNames(n, t)));
}

/** Sample names in a Prometheus text exposition (what `GET /metrics` returns). */
export function sampleNamesInExposition(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{|\s)/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

export interface QueryRef {
  /** Where the query lives, for error messages: "dashboard socket-gateway-overview / Connect time / B". */
  origin: string;
  expr: string;
}

export function dashboardQueries(dashboards: dashboard.Dashboard[] = allDashboards()): QueryRef[] {
  const refs: QueryRef[] = [];
  for (const d of dashboards) {
    for (const v of d.templating?.list ?? []) {
      const selector = typeof v.query === 'string' ? labelValuesSelector(v.query) : undefined;
      if (selector) refs.push({ origin: `dashboard ${d.uid} / variable ${v.name}`, expr: selector });
    }
    for (const p of (d.panels ?? []) as dashboard.Panel[]) {
      for (const t of (p.targets ?? []) as Array<{ expr?: string; refId?: string }>) {
        if (t.expr) refs.push({ origin: `dashboard ${d.uid} / ${p.title} / ${t.refId}`, expr: t.expr });
      }
    }
  }
  return refs;
}

export function ruleQueries(groups: RuleGroup[] = loadRuleGroups()): QueryRef[] {
  return groups.flatMap((g) =>
    g.rules.map((r) => ({ origin: `rule ${g.name} / ${'alert' in r ? r.alert : r.record}`, expr: r.expr })),
  );
}

export function allQueries(): QueryRef[] {
  return [...dashboardQueries(), ...ruleQueries()];
}

/** Names the rule file records itself (socket_gateway:...): produced by Prometheus, not scraped. */
export function recordedMetricNames(groups: RuleGroup[] = loadRuleGroups()): Set<string> {
  return new Set(recordingRules(groups).map((r) => r.record));
}

/** Every scraped metric name any dashboard query or rule reads (recorded names resolved away). */
export function referencedMetricNames(): string[] {
  const recorded = recordedMetricNames();
  const names = new Set(allQueries().flatMap((q) => metricNames(q.expr)));
  return [...names].filter((n) => !recorded.has(n)).sort();
}

/** What a running gateway must export for every panel and alert to have data. */
export function metricsExpectedFromGateway(): string[] {
  return referencedMetricNames().filter((n) => !(n in EXTERNAL_METRICS));
}
