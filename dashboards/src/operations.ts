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
            description: 'Pods reporting socket_gateway_draining = 1: unready, refusing new handshakes, disconnecting their sockets in batches.',
            unit: 'short',
            min: 0,
            queries: [{ expr: `sum(socket_gateway_draining{${GW}})`, legend: 'draining' }],
            runbooks: ['SocketGatewayDrainingTooLong'],
          }),
          timeSeries({
            title: 'Drain progress against its budget',
            description:
              'Seconds each draining pod has drained, against its budget DRAIN_DELAY_MS + DRAIN_WINDOW_MS (25s by default). A drain past its budget is cut by the kubelet at the grace period and raises an alert.',
            unit: 's',
            min: 0,
            queries: [
              { expr: `max by (pod) (socket_gateway_drain_elapsed_seconds{${GW}})`, legend: '{{pod}} elapsed' },
              { expr: `max(socket_gateway_drain_budget_seconds{${GW}})`, legend: 'budget' },
            ],
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
              'Seconds since each maintenance job last succeeded on any pod (the job label is stored as exported_job), with 3 of its configured intervals, where the alert fires. A job that never succeeded shows decades.',
            unit: 's',
            min: 0,
            queries: [
              {
                expr: `time() - max by (exported_job) (socket_gateway_maintenance_last_success_timestamp_seconds{${GW_NS}})`,
                legend: '{{exported_job}}',
              },
              {
                expr: `3 * max by (exported_job) (socket_gateway_maintenance_interval_seconds{${GW_NS}})`,
                legend: '{{exported_job}} alert threshold',
              },
            ],
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
            runbooks: ['SocketGatewayMaintenanceJobStale', 'SocketGatewayMaintenanceJobFailing'],
          }),
        ],
      },
      {
        row: 'Webhooks',
        panels: [
          timeSeries({
            title: 'Webhook deliveries',
            description:
              'Webhook POSTs per second by result: success, failure (retried with backoff) and dead_letter (attempts exhausted; replay with the ops CLI). Any dead letter raises an alert.',
            unit: 'ops',
            min: 0,
            width: 8,
            queries: [{ expr: `sum by (result) (rate(socket_gateway_webhook_deliveries_total{${GW}}[$__rate_interval]))`, legend: '{{result}}' }],
            runbooks: ['SocketGatewayWebhookDeadLetters'],
          }),
          timeSeries({
            title: 'Webhook queue',
            description: 'Webhook events queued or in flight (one fleet-wide queue; the highest report of the pods). Growing above 100 for 15 minutes raises an alert.',
            unit: 'short',
            min: 0,
            width: 8,
            queries: [{ expr: `max(socket_gateway_webhook_queue_depth{${GW}})`, legend: 'queued' }],
            thresholds: [[null, 'green'], [100, 'orange']],
            runbooks: ['SocketGatewayWebhookQueueGrowing'],
          }),
          timeSeries({
            title: 'Webhook POST time',
            description: 'p50 and p99 time of one webhook POST until its response or timeout (WEBHOOK_TIMEOUT_MS, 5s by default). The alert fires when p99 stays above 2.5s.',
            unit: 's',
            min: 0,
            width: 8,
            queries: [
              { expr: `histogram_quantile(0.5, sum by (le) (rate(socket_gateway_webhook_delivery_duration_seconds_bucket{${GW}}[$__rate_interval])))`, legend: 'p50' },
              { expr: `histogram_quantile(0.99, sum by (le) (rate(socket_gateway_webhook_delivery_duration_seconds_bucket{${GW}}[$__rate_interval])))`, legend: 'p99' },
            ],
            thresholds: [[null, 'green'], [2.5, 'red']],
            runbooks: ['SocketGatewayWebhookDeliveryLatencyHigh'],
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
            title: 'Invalid frames',
            description: 'Well-formed frames sockets should not send (payloads refused by schema, events with no handler) per second, by kind, and the sockets disconnected for sending too many in a minute. A sustained rate usually means an outdated or hostile client.',
            unit: 'ops',
            min: 0,
            queries: [
              { expr: `sum by (kind) (rate(socket_gateway_invalid_frames_total{${GW}}[$__rate_interval]))`, legend: '{{kind}}' },
              { expr: `sum(rate(socket_gateway_invalid_frame_disconnects_total{${GW}}[$__rate_interval]))`, legend: 'disconnected' },
            ],
            width: 24,
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
