import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { gatewayDashboard } from './lib/gateway-dashboard';
import { timeSeries } from './lib/panels';
import { GW } from './lib/selectors';

export function redisFanoutDashboard(): dashboard.Dashboard {
  return gatewayDashboard({
    uid: 'socket-gateway-redis-fanout',
    title: 'Redis and fan-out',
    description: 'The state store (Redis), the Socket.IO Redis adapter, message fan-out, online users and rooms of the Socket Gateway.',
    sections: [
      {
        row: 'Redis',
        panels: [
          timeSeries({
            title: 'Redis reachable',
            description: 'socket_gateway_redis_up of each pod: 1 while the state store answers, 0 when it does not (readiness is then false). Any 0 pages after 1 minute.',
            unit: 'bool_yes_no',
            min: 0,
            max: 1,
            queries: [{ expr: `min by (pod) (socket_gateway_redis_up{${GW}})`, legend: '{{pod}}' }],
            thresholds: [[null, 'red'], [1, 'green']],
            runbooks: ['SocketGatewayRedisDown'],
          }),
          timeSeries({
            title: 'Redis command latency p99',
            description: 'p99 latency of each state-store operation across the selected pods. The alert fires above 50 ms for 10 minutes.',
            unit: 's',
            min: 0,
            queries: [
              {
                expr: `histogram_quantile(0.99, sum by (command, le) (rate(socket_gateway_redis_command_duration_seconds_bucket{${GW}}[$__rate_interval])))`,
                legend: '{{command}}',
              },
            ],
            thresholds: [[null, 'green'], [0.05, 'red']],
            runbooks: ['SocketGatewayRedisLatencyHigh'],
          }),
          timeSeries({
            title: 'Redis commands',
            description: 'State-store operations per second, by operation.',
            unit: 'ops',
            min: 0,
            queries: [
              { expr: `sum by (command) (rate(socket_gateway_redis_command_duration_seconds_count{${GW}}[$__rate_interval]))`, legend: '{{command}}' },
            ],
            runbooks: ['SocketGatewayRedisLatencyHigh'],
          }),
          timeSeries({
            title: 'Adapter errors',
            description: 'Errors per second of the Socket.IO Redis adapter and its pub/sub clients, per pod. Healthy is 0; anything else may lose broadcasts to other pods.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (pod) (rate(socket_gateway_adapter_errors_total{${GW}}[$__rate_interval]))`, legend: '{{pod}}' }],
            runbooks: ['SocketGatewayAdapterErrors'],
          }),
        ],
      },
      {
        row: 'Fan-out',
        panels: [
          timeSeries({
            title: 'Message fan-out time',
            description: 'From receiving a message to handing its broadcast to the adapter, p50 and p99. Grows with Redis latency and event-loop lag.',
            unit: 's',
            min: 0,
            queries: [
              { expr: `histogram_quantile(0.5, sum by (le) (rate(socket_gateway_message_fanout_seconds_bucket{${GW}}[$__rate_interval])))`, legend: 'p50' },
              { expr: `histogram_quantile(0.99, sum by (le) (rate(socket_gateway_message_fanout_seconds_bucket{${GW}}[$__rate_interval])))`, legend: 'p99' },
            ],
            runbooks: ['SocketGatewayEventLatencyHigh', 'SocketGatewayRedisLatencyHigh'],
          }),
          timeSeries({
            title: 'Messages delivered per pod',
            description: 'Message events handed to local sockets per second on each pod. A pod at 0 while others deliver has lost its adapter subscription.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (pod) (rate(socket_gateway_messages_delivered_total{${GW}}[$__rate_interval]))`, legend: '{{pod}}' }],
            runbooks: ['SocketGatewayAdapterErrors'],
          }),
          timeSeries({
            title: 'Online users',
            description: 'Distinct users with at least one socket on each pod. A user connected to two pods counts on both.',
            unit: 'short',
            min: 0,
            queries: [{ expr: `sum by (pod) (socket_gateway_online_users{${GW}})`, legend: '{{pod}}' }],
          }),
          timeSeries({
            title: 'Rooms',
            description: 'Socket.IO rooms on each pod, including one per socket. Rooms far above sockets plus channels point at rooms that are never left.',
            unit: 'short',
            min: 0,
            queries: [{ expr: `sum by (pod) (socket_gateway_rooms{${GW}})`, legend: '{{pod}}' }],
          }),
        ],
      },
    ],
  });
}
