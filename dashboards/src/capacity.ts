import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { gatewayDashboard } from './lib/gateway-dashboard';
import { timeSeries } from './lib/panels';
import { CONTAINER, DEPLOYMENT, GW, HPA } from './lib/selectors';

export function capacityDashboard(): dashboard.Dashboard {
  return gatewayDashboard({
    uid: 'socket-gateway-capacity',
    title: 'Capacity',
    description: 'Connections per pod against the limit, memory per connection, CPU, event loop, heap, GC and scaling of the Socket Gateway.',
    sections: [
      {
        row: 'Connections against the limit',
        panels: [
          timeSeries({
            title: 'Connection limit used',
            description:
              'Connected sockets of each pod divided by its socket_gateway_max_connections. Warning at 80%; readiness turns false at 95% and handshakes are refused at 100%.',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              {
                expr: `sum by (pod) (socket_gateway_connected_sockets{${GW}}) / sum by (pod) (socket_gateway_max_connections{${GW}})`,
                legend: '{{pod}}',
              },
            ],
            thresholds: [[null, 'green'], [0.8, 'orange'], [0.95, 'red']],
            runbooks: ['SocketGatewayConnectionsNearLimit'],
          }),
          timeSeries({
            title: 'Connected sockets and limit',
            description: 'Sockets connected to each pod next to its configured MAX_CONNECTIONS.',
            unit: 'short',
            min: 0,
            queries: [
              { expr: `sum by (pod) (socket_gateway_connected_sockets{${GW}})`, legend: '{{pod}} connected' },
              { expr: `max by (pod) (socket_gateway_max_connections{${GW}})`, legend: '{{pod}} limit' },
            ],
            runbooks: ['SocketGatewayConnectionsNearLimit'],
          }),
          timeSeries({
            title: 'Replicas',
            description:
              'Available replicas of Deployment socket-gateway, current replicas of its HorizontalPodAutoscaler and the HPA maximum. Current at maximum for 15 minutes raises an alert.',
            unit: 'short',
            min: 0,
            queries: [
              { expr: `max(kube_deployment_status_replicas_available{${DEPLOYMENT}})`, legend: 'available' },
              { expr: `max(kube_horizontalpodautoscaler_status_current_replicas{${HPA}})`, legend: 'HPA current' },
              { expr: `max(kube_horizontalpodautoscaler_spec_max_replicas{${HPA}})`, legend: 'HPA max' },
            ],
            runbooks: ['SocketGatewayHPAMaxedOut'],
            width: 24,
          }),
        ],
      },
      {
        row: 'Memory',
        panels: [
          timeSeries({
            title: 'Memory per connection',
            description:
              'Resident memory of each pod divided by its connected sockets. Judged against 50 KiB once a pod holds half its limit; on idle pods Node\'s own footprint dominates.',
            unit: 'bytes',
            min: 0,
            queries: [
              {
                expr: `sum by (pod) (process_resident_memory_bytes{${GW}}) / clamp_min(sum by (pod) (socket_gateway_connected_sockets{${GW}}), 1)`,
                legend: '{{pod}}',
              },
            ],
            thresholds: [[null, 'green'], [51200, 'red']],
            runbooks: ['SocketGatewayMemoryPerConnectionHigh'],
          }),
          timeSeries({
            title: 'Memory against the limit',
            description: 'Working-set memory of each gateway container divided by its memory limit. At 100% the kernel OOM-kills it; the alert fires at 90%.',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              {
                expr: `sum by (pod) (container_memory_working_set_bytes{${CONTAINER}}) / sum by (pod) (kube_pod_container_resource_limits{${CONTAINER}, resource="memory"})`,
                legend: '{{pod}}',
              },
            ],
            thresholds: [[null, 'green'], [0.9, 'red']],
            runbooks: ['SocketGatewayMemoryNearLimit'],
          }),
          timeSeries({
            title: 'Heap',
            description: 'V8 heap used and allocated per pod. Used heap that only grows between GCs under flat load is a leak.',
            unit: 'bytes',
            min: 0,
            queries: [
              { expr: `sum by (pod) (nodejs_heap_size_used_bytes{${GW}})`, legend: '{{pod}} used' },
              { expr: `sum by (pod) (nodejs_heap_size_total_bytes{${GW}})`, legend: '{{pod}} total' },
            ],
            runbooks: ['SocketGatewayMemoryPerConnectionHigh'],
          }),
          timeSeries({
            title: 'Time spent in GC',
            description: 'Share of wall time each pod spends in garbage collection, by GC kind. Sustained values above a few percent add event-loop lag.',
            unit: 'percentunit',
            min: 0,
            queries: [
              { expr: `sum by (pod, kind) (rate(nodejs_gc_duration_seconds_sum{${GW}}[$__rate_interval]))`, legend: '{{pod}} {{kind}}' },
            ],
            runbooks: ['SocketGatewayEventLoopLagHigh'],
          }),
        ],
      },
      {
        row: 'CPU and event loop',
        panels: [
          timeSeries({
            title: 'CPU against the limit',
            description: 'CPU used by each gateway container divided by its CPU limit. The alert fires above 70% for 15 minutes. Empty when no CPU limit is set.',
            unit: 'percentunit',
            min: 0,
            queries: [
              {
                expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{${CONTAINER}}[$__rate_interval])) / sum by (pod) (kube_pod_container_resource_limits{${CONTAINER}, resource="cpu"})`,
                legend: '{{pod}}',
              },
            ],
            thresholds: [[null, 'green'], [0.7, 'red']],
            runbooks: ['SocketGatewayCPUNearLimit'],
          }),
          timeSeries({
            title: 'Process CPU',
            description: 'CPU seconds per second used by each Node process (1 = one full core). Node runs JavaScript on one core, so values near 1 saturate the event loop.',
            unit: 'short',
            min: 0,
            queries: [{ expr: `sum by (pod) (rate(process_cpu_seconds_total{${GW}}[$__rate_interval]))`, legend: '{{pod}}' }],
            runbooks: ['SocketGatewayCPUNearLimit', 'SocketGatewayEventLoopLagHigh'],
          }),
          timeSeries({
            title: 'Event-loop lag',
            description: 'p99 event-loop lag of each pod since the previous scrape, and the lag measured at the scrape itself. Every socket on the pod waits this long; the alert fires above 100 ms.',
            unit: 's',
            min: 0,
            queries: [
              { expr: `max by (pod) (nodejs_eventloop_lag_p99_seconds{${GW}})`, legend: '{{pod}} p99' },
              { expr: `max by (pod) (nodejs_eventloop_lag_seconds{${GW}})`, legend: '{{pod}} at scrape' },
            ],
            thresholds: [[null, 'green'], [0.1, 'red']],
            runbooks: ['SocketGatewayEventLoopLagHigh'],
          }),
          timeSeries({
            title: 'File descriptors used',
            description: 'Open file descriptors of each pod divided by its limit; every socket holds one. The alert fires above 80%.',
            unit: 'percentunit',
            min: 0,
            max: 1,
            queries: [
              { expr: `sum by (pod) (process_open_fds{${GW}}) / sum by (pod) (process_max_fds{${GW}})`, legend: '{{pod}}' },
            ],
            thresholds: [[null, 'green'], [0.8, 'red']],
            runbooks: ['SocketGatewayFileDescriptorsNearLimit'],
          }),
        ],
      },
    ],
  });
}
