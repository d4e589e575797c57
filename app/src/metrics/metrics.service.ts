import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CLIENT_EVENTS } from '../contracts/events';
import { OpenFdsGauge } from './open-fds.gauge';
import { ERROR_CODES } from '../contracts/error-codes';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const CONNECT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Handshake refusals the client caused (bad, expired or revoked token, blocked IP, its own connect rate, its address's flood guard, too many sockets of its user). */
export const CLIENT_REFUSALS = ['missing_token', 'invalid_token', 'expired', 'revoked', 'ip_blocked', 'rate_limited', 'ip_flood', 'socket_limit'] as const;
/** Handshake refusals the service caused: they burn the connection SLO's budget. */
export const SERVER_REFUSALS = ['connection_limit', 'error'] as const;
/** A draining pod refuses new handshakes on purpose (rollouts); neither side's fault. */
export const PLANNED_REFUSALS = ['draining'] as const;
export type RefusalReason = (typeof CLIENT_REFUSALS)[number] | (typeof SERVER_REFUSALS)[number] | (typeof PLANNED_REFUSALS)[number];
export const REFUSAL_REASONS: readonly RefusalReason[] = [...CLIENT_REFUSALS, ...SERVER_REFUSALS, ...PLANNED_REFUSALS];

/**
 * Reasons of socket_gateway_auth_failures_total: every client-caused handshake refusal (the auth
 * middleware counts each one; token refreshes reuse the token reasons) and the server API's keys.
 */
const AUTH_FAILURE_REASONS = [...CLIENT_REFUSALS, 'api_missing_key', 'api_wrong_key'] as const;

export const INVALID_FRAME_KINDS = ['invalid_payload', 'unknown_event'] as const;

/** Every reason Socket.IO gives a server-side socket's disconnect (its DisconnectReason type; not imported: services stay free of socket.io). */
export const DISCONNECT_REASONS = [
  'transport error', 'transport close', 'forced close', 'ping timeout', 'parse error',
  'server shutting down', 'forced server close', 'client namespace disconnect', 'server namespace disconnect',
] as const;

export const MAINTENANCE_RESULTS = ['success', 'failure', 'skipped'] as const;
const WEBHOOK_RESULTS = ['success', 'failure', 'dead_letter'] as const;

/**
 * Every metric of the gateway, in one place (README "Metrics" documents each). No label ever
 * carries a user or channel id: label values come from small fixed sets.
 */
@Injectable()
export class MetricsService implements OnModuleDestroy {
  readonly registry: Registry;
  private openFds: OpenFdsGauge | null = null;
  /** Set by the Broadcaster once the Socket.IO server exists. */
  roomsSource: (() => number) | null = null;

  readonly connectedSockets: Gauge;
  readonly connections: Counter<'result' | 'reason'>;
  readonly disconnections: Counter<'reason'>;
  readonly connectDuration: Histogram;
  readonly events: Counter<'event' | 'result'>;
  readonly eventDuration: Histogram<'event'>;
  readonly messagesDelivered: Counter;
  readonly messageFanout: Histogram;
  readonly errors: Counter<'code'>;
  readonly rateLimited: Counter<'event'>;
  readonly authFailures: Counter<'reason'>;
  readonly rooms: Gauge;
  readonly onlineUsers: Gauge;
  readonly maxConnections: Gauge;
  readonly redisUp: Gauge;
  readonly redisCommandDuration: Histogram<'command'>;
  readonly adapterErrors: Counter;
  readonly busMessagesReceived: Counter;
  readonly draining: Gauge;
  readonly drainBudget: Gauge;
  /** Set by the ConnectionGuardService when a drain starts (ms since epoch). */
  drainStartedAt: number | null = null;
  readonly drainElapsed: Gauge;
  readonly maintenanceRuns: Counter<'job' | 'result'>;
  readonly maintenanceLastSuccess: Gauge<'job'>;
  readonly maintenanceInterval: Gauge<'job'>;
  readonly notificationsPending: Gauge;
  readonly webhookDeliveries: Counter<'result'>;
  readonly webhookQueueDepth: Gauge;
  readonly webhookDeliveryDuration: Histogram;
  readonly buildInfo: Gauge<'version' | 'commit'>;
  readonly invalidFrames: Counter<'kind'>;
  readonly invalidFrameDisconnects: Counter;

  constructor(registry?: Registry, withDefaultMetrics = true) {
    this.registry = registry ?? new Registry();
    if (withDefaultMetrics) {
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 10 });
      // These defaults walk every open descriptor or handle synchronously on each scrape: tens of
      // milliseconds of blocked event loop at 10,000 sockets. process_open_fds (an alert reads it)
      // is kept, read off the loop; the handle counts go (nothing reads them).
      for (const name of ['process_open_fds', 'nodejs_active_handles', 'nodejs_active_handles_total']) this.registry.removeSingleMetric(name);
      this.openFds = new OpenFdsGauge(this.registry);
    }
    const r = [this.registry];
    const p = 'socket_gateway_';

    this.connectedSockets = new Gauge({ name: `${p}connected_sockets`, help: 'Sockets connected to this instance.', registers: r });
    this.connections = new Counter({ name: `${p}connections_total`, help: 'Handshakes by result (accepted, rejected) and refusal reason (none when accepted).', labelNames: ['result', 'reason'], registers: r });
    this.disconnections = new Counter({ name: `${p}disconnections_total`, help: 'Disconnections by Socket.IO reason.', labelNames: ['reason'], registers: r });
    this.connectDuration = new Histogram({ name: `${p}connect_duration_seconds`, help: 'Handshake start to connection:ready.', buckets: CONNECT_BUCKETS, registers: r });
    this.events = new Counter({ name: `${p}events_total`, help: 'Client events handled, by event and result (ok or an error code).', labelNames: ['event', 'result'], registers: r });
    this.eventDuration = new Histogram({ name: `${p}event_duration_seconds`, help: 'Time to handle a client event, until its ack.', labelNames: ['event'], buckets: LATENCY_BUCKETS, registers: r });
    this.messagesDelivered = new Counter({ name: `${p}messages_delivered_total`, help: 'Message events handed to local sockets (one per receiving socket).', registers: r });
    this.messageFanout = new Histogram({ name: `${p}message_fanout_seconds`, help: 'From receiving a message to handing its broadcast to the adapter.', buckets: LATENCY_BUCKETS, registers: r });
    this.errors = new Counter({ name: `${p}errors_total`, help: 'Errors answered to clients, by error code.', labelNames: ['code'], registers: r });
    this.rateLimited = new Counter({ name: `${p}rate_limited_total`, help: 'Events refused by rate limits, by event.', labelNames: ['event'], registers: r });
    this.authFailures = new Counter({ name: `${p}auth_failures_total`, help: 'Refused tokens (handshakes and refreshes) and server API keys, by reason.', labelNames: ['reason'], registers: r });
    const self = this;
    this.rooms = new Gauge({
      name: `${p}rooms`,
      help: 'Socket.IO rooms on this instance (including per-socket rooms).',
      registers: r,
      // Read at scrape time: rooms change with every join and leave.
      collect() {
        if (self.roomsSource) this.set(self.roomsSource());
      },
    });
    this.onlineUsers = new Gauge({ name: `${p}online_users`, help: 'Distinct users with at least one socket on this instance.', registers: r });
    this.maxConnections = new Gauge({ name: `${p}max_connections`, help: 'Configured connection limit of this instance.', registers: r });
    this.redisUp = new Gauge({ name: `${p}redis_up`, help: '1 when the state store answers, else 0 (1 for the memory engine).', registers: r });
    this.redisCommandDuration = new Histogram({ name: `${p}redis_command_duration_seconds`, help: 'State-store command latency, by engine operation.', labelNames: ['command'], buckets: LATENCY_BUCKETS, registers: r });
    this.adapterErrors = new Counter({ name: `${p}adapter_errors_total`, help: 'Errors of the Socket.IO Redis adapter and its pub/sub clients.', registers: r });
    this.busMessagesReceived = new Counter({ name: `${p}bus_messages_received_total`, help: 'Channel events received from the Redis channel topics this instance follows (0 with the memory engine).', registers: r });
    this.draining = new Gauge({ name: `${p}draining`, help: '1 while this instance drains its connections.', registers: r });
    this.drainBudget = new Gauge({ name: `${p}drain_budget_seconds`, help: 'DRAIN_DELAY_MS + DRAIN_WINDOW_MS: how long a drain should take at most.', registers: r });
    this.drainElapsed = new Gauge({
      name: `${p}drain_elapsed_seconds`,
      help: 'Seconds since this instance started draining; 0 when not draining.',
      registers: r,
      // Read at scrape time so the last scrape before the kubelet's kill shows how far the drain got.
      collect() {
        this.set(self.drainStartedAt === null ? 0 : Math.max(0, Date.now() - self.drainStartedAt) / 1000);
      },
    });
    this.maintenanceRuns = new Counter({ name: `${p}maintenance_runs_total`, help: 'Maintenance job runs by job and result (success, failure, skipped).', labelNames: ['job', 'result'], registers: r });
    this.maintenanceLastSuccess = new Gauge({ name: `${p}maintenance_last_success_timestamp_seconds`, help: 'Unix time of the last successful run of each maintenance job on this instance; 0 = never.', labelNames: ['job'], registers: r });
    this.maintenanceInterval = new Gauge({ name: `${p}maintenance_interval_seconds`, help: 'Configured interval of each maintenance job.', labelNames: ['job'], registers: r });
    this.notificationsPending = new Gauge({ name: `${p}notifications_pending`, help: 'Notifications waiting in this instance\u2019s batches.', registers: r });
    this.webhookDeliveries = new Counter({ name: `${p}webhook_deliveries_total`, help: 'Webhook delivery attempts by result (success, failure, dead_letter).', labelNames: ['result'], registers: r });
    this.webhookQueueDepth = new Gauge({ name: `${p}webhook_queue_depth`, help: 'Webhook events queued or in flight (fleet-wide queue, as last seen by this instance).', registers: r });
    this.webhookDeliveryDuration = new Histogram({ name: `${p}webhook_delivery_duration_seconds`, help: 'Duration of one webhook POST, until its response or timeout.', buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: r });
    this.buildInfo = new Gauge({ name: `${p}build_info`, help: 'Always 1; labels carry the running version.', labelNames: ['version', 'commit'], registers: r });
    this.invalidFrames = new Counter({ name: `${p}invalid_frames_total`, help: 'Well-formed frames a socket should not send, by kind (invalid_payload, unknown_event).', labelNames: ['kind'], registers: r });
    this.invalidFrameDisconnects = new Counter({ name: `${p}invalid_frame_disconnects_total`, help: 'Sockets disconnected for sending MAX_INVALID_FRAMES_PER_MINUTE invalid frames.', registers: r });
    this.redisUp.set(1);
    this.zeroKnownSeries();
  }

  /**
   * A counter series that first appears with value 1 is invisible to rate() and increase(), so the
   * first failure would never alert: every label value known in advance is exported at 0 from start-up.
   */
  private zeroKnownSeries(): void {
    this.connections.inc({ result: 'accepted', reason: 'none' }, 0);
    for (const reason of REFUSAL_REASONS) this.connections.inc({ result: 'rejected', reason }, 0);
    for (const reason of AUTH_FAILURE_REASONS) this.authFailures.inc({ reason }, 0);
    for (const reason of DISCONNECT_REASONS) this.disconnections.inc({ reason }, 0);
    for (const kind of INVALID_FRAME_KINDS) this.invalidFrames.inc({ kind }, 0);
    this.invalidFrameDisconnects.inc(0);
    for (const code of ERROR_CODES) this.errors.inc({ code }, 0);
    for (const event of CLIENT_EVENTS) {
      this.rateLimited.inc({ event }, 0);
      this.events.inc({ event, result: 'ok' }, 0);
      // Every answer, not only the SLO's codes: SocketGatewayEventErrorsHigh reads them all.
      for (const code of ERROR_CODES) this.events.inc({ event, result: code }, 0);
    }
    for (const result of WEBHOOK_RESULTS) this.webhookDeliveries.inc({ result }, 0);
    this.webhookQueueDepth.set(0);
    this.notificationsPending.set(0);
    this.onlineUsers.set(0);
    this.connectedSockets.set(0);
    this.adapterErrors.inc(0);
    this.busMessagesReceived.inc(0);
    this.draining.set(0);
  }

  /** A maintenance job's series, at 0 (never succeeded) until its first run. */
  registerMaintenanceJob(job: string, intervalMs: number): void {
    this.maintenanceInterval.set({ job }, intervalMs / 1000);
    for (const result of MAINTENANCE_RESULTS) this.maintenanceRuns.inc({ job, result }, 0);
    this.maintenanceLastSuccess.set({ job }, 0);
  }

  onModuleDestroy(): void {
    this.openFds?.stop();
  }
}
