/**
 * Every metric name the dashboards and alert rules read, and where each may come from. The
 * end-to-end check scrapes a running gateway and asserts metricsExpectedFromGateway() ⊆ scraped.
 */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { loadRuleGroups, recordingRules, RuleGroup } from '../../alerts/lib/rules';
import { allDashboards } from '../src';
import { labelValuesSelector, metricNames } from './promql';

/** The gateway's own catalogue (README "Metrics"), as base names; histograms add _bucket/_sum/_count. */
export const GATEWAY_METRICS: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  socket_gateway_connected_sockets: 'gauge',
  socket_gateway_connections_total: 'counter',
  socket_gateway_disconnections_total: 'counter',
  socket_gateway_connect_duration_seconds: 'histogram',
  socket_gateway_events_total: 'counter',
  socket_gateway_event_duration_seconds: 'histogram',
  socket_gateway_messages_delivered_total: 'counter',
  socket_gateway_message_fanout_seconds: 'histogram',
  socket_gateway_errors_total: 'counter',
  socket_gateway_rate_limited_total: 'counter',
  socket_gateway_auth_failures_total: 'counter',
  socket_gateway_rooms: 'gauge',
  socket_gateway_online_users: 'gauge',
  socket_gateway_max_connections: 'gauge',
  socket_gateway_redis_up: 'gauge',
  socket_gateway_redis_command_duration_seconds: 'histogram',
  socket_gateway_adapter_errors_total: 'counter',
  socket_gateway_draining: 'gauge',
  socket_gateway_maintenance_runs_total: 'counter',
  socket_gateway_maintenance_last_success_timestamp_seconds: 'gauge',
  socket_gateway_notifications_pending: 'gauge',
  socket_gateway_build_info: 'gauge',
  // prom-client default metrics, unprefixed.
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

/** Metrics that come from Prometheus itself, kube-state-metrics, cAdvisor or the kubelet, never from the gateway. */
export const EXTERNAL_METRICS: Record<string, string> = {
  up: 'Prometheus (scrape health of every target)',
  kube_pod_container_status_restarts_total: 'kube-state-metrics',
  kube_pod_container_status_waiting_reason: 'kube-state-metrics',
  kube_pod_container_resource_limits: 'kube-state-metrics',
  kube_horizontalpodautoscaler_status_current_replicas: 'kube-state-metrics',
  kube_horizontalpodautoscaler_spec_max_replicas: 'kube-state-metrics',
  kube_deployment_status_replicas_available: 'kube-state-metrics',
  container_cpu_usage_seconds_total: 'cAdvisor (kubelet /metrics/cadvisor)',
  container_memory_working_set_bytes: 'cAdvisor (kubelet /metrics/cadvisor)',
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
