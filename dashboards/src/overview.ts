import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { gatewayDashboard } from './lib/gateway-dashboard';
import { statPanel, timeSeries } from './lib/panels';
import { CONNECTION_ERROR_BUDGET, GW, GW_NS, MESSAGE_ERROR_BUDGET } from './lib/selectors';

const SLO = 'cluster=~"$cluster", namespace="$namespace"';

/**
 * 30-day error ratios weighted by traffic, as the burn-rate alerts count: bad events over valid
 * events of the whole window (an average of 5m ratios would weigh a quiet night like a busy day).
 */
const ERROR_RATIO_30D = {
  connection_errors:
    `sum(increase(socket_gateway_connections_total{${GW_NS}, result="rejected", reason=~"connection_limit|error"}[30d]))` +
    ` / sum(increase(socket_gateway_connections_total{${GW_NS}, reason=~"none|connection_limit|error"}[30d]))`,
  message_errors:
    `sum(increase(socket_gateway_events_total{${GW_NS}, result=~"UNAVAILABLE|INTERNAL_ERROR"}[30d]))` +
    ` / sum(increase(socket_gateway_events_total{${GW_NS}}[30d]))`,
};

/** Budget left over 30 days: 1 − (error ratio ÷ budget). */
const budgetLeft = (sli: keyof typeof ERROR_RATIO_30D, budget: number) => `1 - (${ERROR_RATIO_30D[sli]}) / ${budget}`;

const burnRates = (sli: string, budget: number) =>
  ['1h', '6h', '1d', '3d'].map((w) => ({
    expr: `socket_gateway:${sli}:ratio_rate${w}{${SLO}} / ${budget}`,
    legend: `${w} window`,
  }));

export function overviewDashboard(): dashboard.Dashboard {
  return gatewayDashboard({
    uid: 'socket-gateway-overview',
    title: 'Overview',
    description: 'SLOs and error budgets, connections, event throughput, latency and errors of the Socket Gateway.',
    sections: [
      {
        row: 'Service level objectives (30 days)',
        panels: [
          statPanel({
            title: 'Connection success',
            description:
              'Share of valid handshakes not refused for a server-side reason (connection limit, internal error) over 30 days, weighted by traffic. Objective: 99.9%. Client-caused refusals and drain refusals do not count.',
            unit: 'percentunit',
            decimals: 3,
            width: 6,
            queries: [{ expr: `1 - (${ERROR_RATIO_30D.connection_errors})`, instant: true }],
            thresholds: [[null, 'red'], [0.999, 'green']],
            runbooks: ['SocketGatewayConnectionErrorBudgetBurn'],
          }),
          statPanel({
            title: 'Connection error budget left',
            description: 'Share of the 30-day connection error budget (0.1% of handshakes) not yet spent. Below 0 the SLO is missed.',
            unit: 'percentunit',
            decimals: 1,
            width: 6,
            queries: [{ expr: budgetLeft('connection_errors', CONNECTION_ERROR_BUDGET), instant: true }],
            thresholds: [[null, 'red'], [0, 'orange'], [0.25, 'green']],
            runbooks: ['SocketGatewayConnectionErrorBudgetBurn'],
          }),
          statPanel({
            title: 'Message handling success',
            description:
              'Share of client events not answered with UNAVAILABLE or INTERNAL_ERROR over 30 days, weighted by traffic. Objective: 99.99%. Client errors (FORBIDDEN, INVALID_PAYLOAD, ...) do not count.',
            unit: 'percentunit',
            decimals: 4,
            width: 6,
            queries: [{ expr: `1 - (${ERROR_RATIO_30D.message_errors})`, instant: true }],
            thresholds: [[null, 'red'], [0.9999, 'green']],
            runbooks: ['SocketGatewayMessageErrorBudgetBurn'],
          }),
          statPanel({
            title: 'Message error budget left',
            description: 'Share of the 30-day message-handling error budget (0.01% of events) not yet spent. Below 0 the SLO is missed.',
            unit: 'percentunit',
            decimals: 1,
            width: 6,
            queries: [{ expr: budgetLeft('message_errors', MESSAGE_ERROR_BUDGET), instant: true }],
            thresholds: [[null, 'red'], [0, 'orange'], [0.25, 'green']],
            runbooks: ['SocketGatewayMessageErrorBudgetBurn'],
          }),
          timeSeries({
            title: 'Connection error budget burn rate',
            description:
              'How many times faster than sustainable the connection budget burns, per alert window. 1x spends it exactly in 30 days; pages start at 14.4x (1h) and 6x (6h).',
            unit: 'suffix:x',
            min: 0,
            queries: burnRates('connection_errors', CONNECTION_ERROR_BUDGET),
            thresholds: [[null, 'green'], [6, 'orange'], [14.4, 'red']],
            runbooks: ['SocketGatewayConnectionErrorBudgetBurn'],
          }),
          timeSeries({
            title: 'Message error budget burn rate',
            description:
              'How many times faster than sustainable the message-handling budget burns, per alert window. 1x spends it exactly in 30 days; pages start at 14.4x (1h) and 6x (6h).',
            unit: 'suffix:x',
            min: 0,
            queries: burnRates('message_errors', MESSAGE_ERROR_BUDGET),
            thresholds: [[null, 'green'], [6, 'orange'], [14.4, 'red']],
            runbooks: ['SocketGatewayMessageErrorBudgetBurn'],
          }),
        ],
      },
      {
        row: 'Connections',
        panels: [
          timeSeries({
            title: 'Connected sockets',
            description: 'Sockets connected to each pod. Even spread is healthy; one pod far above the others points at sticky routing or a recent drain.',
            unit: 'short',
            min: 0,
            queries: [{ expr: `sum by (pod) (socket_gateway_connected_sockets{${GW}})`, legend: '{{pod}}' }],
            runbooks: ['SocketGatewayConnectionsNearLimit'],
          }),
          timeSeries({
            title: 'Handshakes by result and reason',
            description:
              'Handshakes per second: accepted, or rejected with the reason. connection_limit and error burn the connection SLO; draining (rollouts) and client reasons (tokens, blocked IPs, connect rate) do not. A sudden jump of accepted handshakes is a reconnect storm.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (result, reason) (rate(socket_gateway_connections_total{${GW}}[$__rate_interval]))`, legend: '{{result}} {{reason}}' }],
            runbooks: ['SocketGatewayReconnectStorm', 'SocketGatewayConnectionErrorBudgetBurn'],
          }),
          timeSeries({
            title: 'Disconnections by reason',
            description:
              'Disconnections per second by Socket.IO reason. "transport close" spikes on every pod at once point at the ingress (reloads); "ping timeout" at overloaded pods or networks; "server namespace disconnect" at drains.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (reason) (rate(socket_gateway_disconnections_total{${GW}}[$__rate_interval]))`, legend: '{{reason}}' }],
            runbooks: ['SocketGatewayReconnectStorm'],
          }),
          timeSeries({
            title: 'Connect time',
            description: 'Time from handshake to connection:ready, p50 and p99 across the selected pods. The alert fires when p99 stays above 1s.',
            unit: 's',
            min: 0,
            queries: [
              { expr: `histogram_quantile(0.5, sum by (le) (rate(socket_gateway_connect_duration_seconds_bucket{${GW}}[$__rate_interval])))`, legend: 'p50' },
              { expr: `histogram_quantile(0.99, sum by (le) (rate(socket_gateway_connect_duration_seconds_bucket{${GW}}[$__rate_interval])))`, legend: 'p99' },
            ],
            thresholds: [[null, 'green'], [1, 'red']],
            runbooks: ['SocketGatewayConnectLatencyHigh'],
          }),
        ],
      },
      {
        row: 'Events',
        panels: [
          timeSeries({
            title: 'Event throughput',
            description: 'Client events handled per second, by event name.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (event) (rate(socket_gateway_events_total{${GW}}[$__rate_interval]))`, legend: '{{event}}' }],
          }),
          timeSeries({
            title: 'Messages delivered',
            description: 'Message events handed to local sockets per second (one per receiving socket), against messages sent.',
            unit: 'ops',
            min: 0,
            queries: [
              { expr: `sum(rate(socket_gateway_messages_delivered_total{${GW}}[$__rate_interval]))`, legend: 'delivered' },
              { expr: `sum(rate(socket_gateway_events_total{${GW}, event="message:send", result="ok"}[$__rate_interval]))`, legend: 'sent' },
            ],
          }),
          timeSeries({
            title: 'Event latency p99',
            description: 'Time to handle a client event until its ack, 99th percentile by event. The alert fires when it stays above 100 ms.',
            unit: 's',
            min: 0,
            queries: [
              {
                expr: `histogram_quantile(0.99, sum by (event, le) (rate(socket_gateway_event_duration_seconds_bucket{${GW}}[$__rate_interval])))`,
                legend: '{{event}}',
              },
            ],
            thresholds: [[null, 'green'], [0.1, 'red']],
            runbooks: ['SocketGatewayEventLatencyHigh'],
          }),
          timeSeries({
            title: 'Errors by code',
            description:
              'Error answers per second by code. UNAVAILABLE and INTERNAL_ERROR are server-side and burn the SLO; the others are client errors.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (code) (rate(socket_gateway_errors_total{${GW}}[$__rate_interval]))`, legend: '{{code}}' }],
            runbooks: ['SocketGatewayEventErrorsHigh', 'SocketGatewayMessageErrorBudgetBurn'],
          }),
          timeSeries({
            title: 'Event error ratio',
            description: 'Share of client events answered with an error code, rate limiting excluded. The alert fires above 0.1%.',
            unit: 'percentunit',
            min: 0,
            queries: [
              {
                expr: `sum(rate(socket_gateway_events_total{${GW}, result!~"ok|RATE_LIMITED"}[$__rate_interval])) / sum(rate(socket_gateway_events_total{${GW}}[$__rate_interval]))`,
                legend: 'error ratio',
              },
            ],
            thresholds: [[null, 'green'], [0.001, 'red']],
            runbooks: ['SocketGatewayEventErrorsHigh'],
            width: 24,
          }),
        ],
      },
    ],
  });
}
