import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { gatewayDashboard } from './lib/gateway-dashboard';
import { tablePanel, timeSeries } from './lib/panels';
import { CONTAINER, DEPLOYMENT, GW, GW_NS } from './lib/selectors';

export function operationsDashboard(): dashboard.Dashboard {
  return gatewayDashboard({
    uid: 'socket-gateway-operations',
    title: 'Operations',
    description: 'Drains, restarts, maintenance jobs, rate limiting, authentication failures, notifications and running versions of the Socket Gateway.',
    sections: [
      {
        row: 'Rollouts and drains',
        panels: [
          tablePanel({
            title: 'Running versions',
            description: 'Pods per gateway version and commit (socket_gateway_build_info). Two rows outside a rollout mean a stuck rollout.',
            unit: 'short',
            queries: [{ expr: `count by (version, commit) (socket_gateway_build_info{${GW}})` }],
          }),
          tablePanel({
            title: 'Node.js versions',
            description: 'Pods per Node.js runtime version (nodejs_version_info).',
            unit: 'short',
            queries: [{ expr: `count by (version) (nodejs_version_info{${GW}})` }],
          }),
          timeSeries({
            title: 'Pod uptime',
            description: 'Time since each gateway process started. Uptimes resetting together mark a rollout; one pod resetting alone is a crash or an OOM kill.',
            unit: 's',
            min: 0,
            queries: [{ expr: `time() - max by (pod) (process_start_time_seconds{${GW}})`, legend: '{{pod}}' }],
            runbooks: ['SocketGatewayCrashLooping', 'SocketGatewayMemoryNearLimit'],
          }),
          timeSeries({
            title: 'Draining pods',
            description:
              'Pods reporting socket_gateway_draining = 1. A drain takes DRAIN_DELAY_MS (5s) + DRAIN_WINDOW_MS (20s); one lasting past the 45s grace period raises an alert.',
            unit: 'short',
            min: 0,
            queries: [{ expr: `sum(socket_gateway_draining{${GW}})`, legend: 'draining' }],
            runbooks: ['SocketGatewayDrainingTooLong'],
          }),
          timeSeries({
            title: 'Scrape targets up',
            description: 'Gateway pods Prometheus scrapes successfully, against available replicas of Deployment socket-gateway.',
            unit: 'short',
            min: 0,
            queries: [
              { expr: `sum(up{${GW}})`, legend: 'up' },
              { expr: `max(kube_deployment_status_replicas_available{${DEPLOYMENT}})`, legend: 'available replicas' },
            ],
            runbooks: ['SocketGatewayTargetDown', 'SocketGatewayDown'],
          }),
          timeSeries({
            title: 'Container restarts',
            description: 'Restarts of the gateway container per pod over the last hour. Steady growth is a crash loop.',
            unit: 'short',
            min: 0,
            queries: [{ expr: `sum by (pod) (increase(kube_pod_container_status_restarts_total{${CONTAINER}}[1h]))`, legend: '{{pod}}' }],
            runbooks: ['SocketGatewayCrashLooping'],
          }),
          timeSeries({
            title: 'Containers waiting',
            description: 'Gateway containers waiting to start, by reason (CrashLoopBackOff, ImagePullBackOff, ...). Healthy is empty.',
            unit: 'short',
            min: 0,
            queries: [
              { expr: `sum by (reason) (kube_pod_container_status_waiting_reason{${CONTAINER}})`, legend: '{{reason}}' },
            ],
            runbooks: ['SocketGatewayCrashLooping'],
            width: 24,
          }),
        ],
      },
      {
        row: 'Maintenance jobs',
        panels: [
          timeSeries({
            title: 'Time since last success',
            description:
              'Seconds since each maintenance job last succeeded on any pod (the job label is stored as exported_job). Healthy stays under 60s; the alert fires above 180s (3 intervals).',
            unit: 's',
            min: 0,
            queries: [
              {
                expr: `time() - max by (exported_job) (socket_gateway_maintenance_last_success_timestamp_seconds{${GW_NS}})`,
                legend: '{{exported_job}}',
              },
            ],
            thresholds: [[null, 'green'], [180, 'red']],
            runbooks: ['SocketGatewayMaintenanceJobStale'],
          }),
          timeSeries({
            title: 'Maintenance runs',
            description: 'Runs per minute by job and result. "skipped" is normal: another pod held the lock. Any "failure" deserves a look at the logs.',
            unit: 'opm',
            min: 0,
            queries: [
              {
                expr: `sum by (exported_job, result) (rate(socket_gateway_maintenance_runs_total{${GW}}[$__rate_interval])) * 60`,
                legend: '{{exported_job}} {{result}}',
              },
            ],
            runbooks: ['SocketGatewayMaintenanceJobStale'],
          }),
        ],
      },
      {
        row: 'Abuse and backlog',
        panels: [
          timeSeries({
            title: 'Rate-limited events',
            description: 'Events refused by rate limits per second, by event. The alert fires when more than 5% of an event type is refused.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (event) (rate(socket_gateway_rate_limited_total{${GW}}[$__rate_interval]))`, legend: '{{event}}' }],
            runbooks: ['SocketGatewayRateLimitingSpike'],
          }),
          timeSeries({
            title: 'Authentication failures',
            description: 'Refused handshakes and token refreshes per second, by reason. The alert fires when one reason exceeds 10% of handshakes.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (reason) (rate(socket_gateway_auth_failures_total{${GW}}[$__rate_interval]))`, legend: '{{reason}}' }],
            runbooks: ['SocketGatewayAuthFailureSpike'],
          }),
          timeSeries({
            title: 'Pending notifications',
            description: 'Notifications waiting in each pod\'s batches. Healthy drains to near 0 between flushes; steady growth above 100 raises an alert.',
            unit: 'short',
            min: 0,
            queries: [{ expr: `sum by (pod) (socket_gateway_notifications_pending{${GW}})`, legend: '{{pod}}' }],
            thresholds: [[null, 'green'], [100, 'orange']],
            runbooks: ['SocketGatewayNotificationBacklogGrowing'],
            width: 24,
          }),
        ],
      },
    ],
  });
}
