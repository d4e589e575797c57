import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { gatewayDashboard } from './lib/gateway-dashboard';
import { timeSeries } from './lib/panels';
import { GW, REDIS } from './lib/selectors';

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
            title: 'Channel events received from Redis',
            description: 'Channel events (messages, edits, deletes) each pod received from the Redis topics of the channels it has members in. A pod follows only its own channels, so this grows with its members, not with the fleet; compare it with deliveries per pod.',
            unit: 'ops',
            min: 0,
            queries: [{ expr: `sum by (pod) (rate(socket_gateway_bus_messages_received_total{${GW}}[$__rate_interval]))`, legend: '{{pod}}' }],
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
        row: 'Redis server (redis_exporter)',
        panels: [
          timeSeries({
            title: 'Redis memory against maxmemory',
            description: 'used_memory over maxmemory of each Redis (only where maxmemory is set). With noeviction, writes fail at 100%; alerts at 80% (warning) and 95% (critical).',
            unit: 'percentunit',
            min: 0,
            width: 8,
            queries: [{ expr: `max by (pod) (redis_memory_used_bytes{${REDIS}} / (redis_memory_max_bytes{${REDIS}} > 0))`, legend: '{{pod}}' }],
            thresholds: [[null, 'green'], [0.8, 'orange'], [0.95, 'red']],
            runbooks: ['SocketGatewayRedisMemoryNearLimit'],
          }),
          timeSeries({
            title: 'Evicted and rejected',
            description: 'Keys evicted and client connections rejected per second. Both should be 0: evictions lose gateway state, rejections mean maxclients is reached.',
            unit: 'ops',
            min: 0,
            width: 8,
            queries: [
              { expr: `sum by (pod) (rate(redis_evicted_keys_total{${REDIS}}[$__rate_interval]))`, legend: '{{pod}} evicted keys' },
              { expr: `sum by (pod) (rate(redis_rejected_connections_total{${REDIS}}[$__rate_interval]))`, legend: '{{pod}} rejected connections' },
            ],
            runbooks: ['SocketGatewayRedisEvictingKeys', 'SocketGatewayRedisRejectingConnections'],
          }),
          timeSeries({
            title: 'Persistence and replication',
            description: '1 = healthy: last RDB save, last AOF write, and (on replicas) the link to the primary; Sentinel\'s view of the primary. Any 0 raises an alert.',
            unit: 'bool_yes_no',
            min: 0,
            max: 1,
            width: 8,
            queries: [
              { expr: `min by (pod) (redis_rdb_last_bgsave_status{${REDIS}})`, legend: '{{pod}} RDB save' },
              { expr: `min by (pod) (redis_aof_last_write_status{${REDIS}})`, legend: '{{pod}} AOF write' },
              { expr: `min by (pod) (redis_master_link_up{${REDIS}})`, legend: '{{pod}} replica link' },
              { expr: `max by (master_name) (redis_sentinel_master_status{${REDIS}})`, legend: 'Sentinel: {{master_name}} ok' },
            ],
            runbooks: ['SocketGatewayRedisPersistenceFailing', 'SocketGatewayRedisReplicationBroken', 'SocketGatewayRedisNoPrimary'],
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
