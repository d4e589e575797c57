import { Registry } from 'prom-client';
import { CLIENT_REFUSALS, DISCONNECT_REASONS, INVALID_FRAME_KINDS, MetricsService, REFUSAL_REASONS } from '../../src/metrics/metrics.service';
import { CLIENT_EVENTS } from '../../src/contracts/events';
import { ERROR_CODES } from '../../src/contracts/error-codes';
import { startTestGateway } from '../support/gateway';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, connect, connectRefused } from '../support/clients';
import { signToken } from '../support/tokens';

/** The catalogue is whatever MetricsService registers: a metric added there is checked here too. */
const CATALOGUE = new MetricsService(new Registry(), false).registry.getMetricsAsArray().map((m) => m.name);

const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`series ${series} missing`);
  return Number(line.slice(series.length + 1));
};

describe('metrics', () => {
  let redis: RedisServer;
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    redis = await RedisServer.start();
    gw = await startTestGateway({ REDIS_URL: redis.url, RATE_LIMIT_MESSAGE_SEND: '3', MAX_CONNECTIONS: '50', API_KEYS: 'metrics-test-key-0123456789' });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw.close();
    await redis.stop();
  });

  it('should export the whole catalogue with sane values after a scripted session, on the metrics port only', async () => {
    const a = await connect(gw.url, await signToken({ sub: 'm1' }));
    const b = await connect(gw.url, await signToken({ sub: 'm2' }));
    await connectRefused(gw.url, 'bad-token');
    for (const s of [a, b]) await call(s, 'channel:join', { channelId: 'metrics' });
    for (let i = 0; i < 4; i++) await call(a, 'message:send', { channelId: 'metrics', content: `x${i}`, clientMsgId: `metrics-msg-${i}` });
    await call(a, 'message:send', { channelId: 'metrics', content: '' });
    await fetch(`${gw.url}/api/v1/maintenance/key-expiry`, { method: 'POST', headers: { authorization: 'Bearer metrics-test-key-0123456789' } });
    b.disconnect();
    await new Promise((r) => setTimeout(r, 50));

    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${gw.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of CATALOGUE) expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    // A # TYPE line alone is no series: every catalogue metric must have a sample rate() can read.
    const withoutSample = CATALOGUE.filter((name) => !new RegExp(`^${name}(_bucket|_sum|_count)?(\\{[^}]*\\})? `, 'm').test(text));
    expect(withoutSample).toEqual([]);
    expect(value(text, 'socket_gateway_connected_sockets')).toBe(1);
    expect(value(text, 'socket_gateway_connections_total{result="accepted",reason="none"}')).toBe(2);
    expect(value(text, 'socket_gateway_connections_total{result="rejected",reason="invalid_token"}')).toBe(1);
    expect(value(text, 'socket_gateway_auth_failures_total{reason="invalid_token"}')).toBe(1);
    expect(value(text, 'socket_gateway_disconnections_total{reason="client namespace disconnect"}')).toBe(1);
    expect(value(text, 'socket_gateway_connect_duration_seconds_count')).toBe(2);
    expect(value(text, 'socket_gateway_events_total{event="message:send",result="ok"}')).toBe(3);
    expect(value(text, 'socket_gateway_events_total{event="message:send",result="RATE_LIMITED"}')).toBe(1);
    expect(value(text, 'socket_gateway_rate_limited_total{event="message:send"}')).toBe(1);
    expect(value(text, 'socket_gateway_errors_total{code="INVALID_PAYLOAD"}')).toBe(1);
    expect(value(text, 'socket_gateway_invalid_frames_total{kind="invalid_payload"}')).toBe(1);
    expect(value(text, 'socket_gateway_invalid_frames_total{kind="unknown_event"}')).toBe(0);
    expect(value(text, 'socket_gateway_invalid_frame_disconnects_total')).toBe(0);
    expect(value(text, 'socket_gateway_auth_failures_total{reason="ip_flood"}')).toBe(0);
    expect(value(text, 'socket_gateway_event_duration_seconds_count{event="channel:join"}')).toBe(2);
    expect(value(text, 'socket_gateway_messages_delivered_total')).toBe(6);
    expect(value(text, 'socket_gateway_message_fanout_seconds_count')).toBe(3);
    // One event per accepted send, from the one channel topic this instance follows.
    expect(value(text, 'socket_gateway_bus_messages_received_total')).toBe(3);
    expect(value(text, 'socket_gateway_max_connections')).toBe(50);
    expect(value(text, 'socket_gateway_redis_up')).toBe(1);
    // Four sends reach the append script, which also takes the sender's rate token: three stored, one refused.
    expect(value(text, 'socket_gateway_redis_command_duration_seconds_count{command="append"}')).toBe(4);
    expect(value(text, 'socket_gateway_draining')).toBe(0);
    expect(value(text, 'socket_gateway_maintenance_runs_total{job="key-expiry",result="success"}')).toBe(1);
    expect(value(text, 'socket_gateway_rooms')).toBeGreaterThan(0);
    expect(text).toMatch(/^socket_gateway_build_info\{version="\d+\.\d+\.\d+",commit="[^"]+"\} 1$/m);
    for (const name of ['socket_gateway_webhook_deliveries_total', 'socket_gateway_webhook_queue_depth', 'socket_gateway_drain_budget_seconds', 'socket_gateway_maintenance_interval_seconds']) {
      expect(text).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? \\d`, 'm'));
    }
    // No label may carry a user or channel id.
    expect(text).not.toMatch(/"m1"|"m2"|"metrics"\}/);
  });

  it('should export every series whose labels are known in advance at 0 before anything happened', async () => {
    const fresh = await startTestGateway({ REDIS_URL: redis.url, MAINTENANCE_INTERVAL_MS: '600000', API_KEYS: 'metrics-test-key-0123456789' });
    try {
      const text = await (await fetch(`http://127.0.0.1:${fresh.metricsPort}/metrics`)).text();
      const zero = (series: string) => expect({ series, value: value(text, series) }).toEqual({ series, value: 0 });
      zero('socket_gateway_connections_total{result="accepted",reason="none"}');
      for (const reason of REFUSAL_REASONS) zero(`socket_gateway_connections_total{result="rejected",reason="${reason}"}`);
      for (const reason of DISCONNECT_REASONS) zero(`socket_gateway_disconnections_total{reason="${reason}"}`);
      // Every event with every answer it can give: SocketGatewayEventErrorsHigh reads all error codes.
      for (const event of CLIENT_EVENTS) {
        zero(`socket_gateway_rate_limited_total{event="${event}"}`);
        for (const result of ['ok', ...ERROR_CODES]) zero(`socket_gateway_events_total{event="${event}",result="${result}"}`);
      }
      for (const code of ERROR_CODES) zero(`socket_gateway_errors_total{code="${code}"}`);
      // The auth middleware counts every client-caused refusal as an auth failure; the API key guard its two reasons.
      for (const reason of [...CLIENT_REFUSALS, 'api_missing_key', 'api_wrong_key']) zero(`socket_gateway_auth_failures_total{reason="${reason}"}`);
      for (const kind of INVALID_FRAME_KINDS) zero(`socket_gateway_invalid_frames_total{kind="${kind}"}`);
      for (const result of ['success', 'failure', 'dead_letter']) zero(`socket_gateway_webhook_deliveries_total{result="${result}"}`);
      for (const job of ['history-trim', 'key-expiry', 'orphan-cleanup', 'inbox-expiry', 'presence-prune']) {
        for (const result of ['success', 'failure', 'skipped']) zero(`socket_gateway_maintenance_runs_total{job="${job}",result="${result}"}`);
        // 0 = never succeeded, so a job that never succeeds still alerts.
        zero(`socket_gateway_maintenance_last_success_timestamp_seconds{job="${job}"}`);
        expect(value(text, `socket_gateway_maintenance_interval_seconds{job="${job}"}`)).toBeGreaterThan(0);
      }
      expect(value(text, 'socket_gateway_maintenance_interval_seconds{job="history-trim"}')).toBe(600);
      expect(value(text, 'socket_gateway_drain_budget_seconds')).toBe(25);
      zero('socket_gateway_drain_elapsed_seconds');
      zero('socket_gateway_bus_messages_received_total');
    } finally {
      await fresh.close();
    }
  });
});
