import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { GatewayNotification, NotificationPriority } from '../contracts/events';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { GatewayError } from '../common/gateway-error';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type Engine, type StoredNotification } from '../engine/engine.ports';
import { ShutdownHooks } from '../lifecycle/shutdown-hooks';
import { MaintenanceRegistry } from '../maintenance/maintenance.registry';
import { MetricsService } from '../metrics/metrics.service';
import { RateLimitService } from '../rate-limit/rate-limit.service';
import { Broadcaster } from '../socket/broadcaster';
import { WebhookService } from '../webhooks/webhook.service';
import { DEFAULT_BATCHING, NotificationBatcher } from './notification-batcher';

export interface SendNotificationInput {
  userIds: string[];
  type: string;
  priority: NotificationPriority;
  payload: unknown;
}

/** Inter-instance event that hands notifications to the user's sockets wherever they are. */
export const DELIVER_EVENT = 'notification:deliver';
/** Inbox records dropped per run of the expiry job. */
const EXPIRY_BATCH = 1000;
/** Redelivery after connection:ready sends the inbox in batches of this size. */
const REDELIVERY_BATCH = 50;

interface DeliverMessage { userId: string; kind: 'new' | 'batch'; notifications: GatewayNotification[] }

/**
 * Notifications from backends to users. Every (notification, user) pair gets its own id and
 * record in the user's inbox (the engine), so a client acks exactly its copies. Delivery:
 * - `high` goes out at once as `notification:new`;
 * - `normal` / `low` wait in a per-user batch on THIS instance (the one that took the API call)
 *   and go out as `notification:batch` after 250 ms or at 50 items. Batching here needs no shared
 *   queue and no extra store round trip per item; the inbox is the durable copy, so a batch lost
 *   with a crashed instance is still redelivered on the user's next connection.
 * Both reach the user on any instance: the instance asks every other one (adapter
 * `serverSideEmit`) to emit to its local sockets of `user:{id}`, and each instance that reached a
 * socket marks the records delivered. Unacked records are sent again after `connection:ready`.
 */
@Injectable()
export class NotificationsService implements OnModuleInit, OnModuleDestroy {
  private readonly batcher: NotificationBatcher;
  private seq = 0;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
    private readonly broadcaster: Broadcaster,
    private readonly webhooks: WebhookService,
    private readonly hooks: ShutdownHooks,
    private readonly maintenance: MaintenanceRegistry,
    private readonly rateLimits: RateLimitService,
  ) {
    this.batcher = new NotificationBatcher(
      (userId, items) => this.sendBatch(userId, items),
      (pending) => this.metrics.notificationsPending.set(pending),
      { ...DEFAULT_BATCHING, windowMs: config.notifications.batchWindowMs },
    );
  }

  onModuleInit(): void {
    this.broadcaster.onInstanceEvent(DELIVER_EVENT, (p) => {
      for (const d of (p as unknown as { deliveries: DeliverMessage[] }).deliveries ?? []) this.deliverLocal(d);
    });
    this.hooks.register('notification-batches', async () => this.batcher.flushAll());
    // `key-expiry` (core jobs) expires the marks that carry no TTL; inbox records have their own pass.
    this.maintenance.register({ name: 'inbox-expiry', intervalMs: this.config.maintenanceIntervalMs, run: (now) => this.expire(now) });
  }

  /** Closing without a drain (tests, crash-free restarts) still sends what waits, while the adapter is up. */
  onModuleDestroy(): Promise<void> {
    return this.batcher.flushAll();
  }

  /** Stores one record per user and sends it (at once or batched). Returns the ids, in `userIds` order. */
  async send(input: SendNotificationInput): Promise<{ ids: string[] }> {
    const now = this.clock.now();
    const createdAt = new Date(now).toISOString();
    const expiresAt = now + this.config.notifications.ttlSec * 1000;
    const records: StoredNotification[] = input.userIds.map((userId) => ({
      id: this.newId(now), userId, type: input.type, priority: input.priority, payload: input.payload,
      createdAt, expiresAt, state: 'pending', deliveredAt: null, ackedAt: null,
    }));
    const { evicted } = await this.engine.notifications.add(records, {
      ttlMs: this.config.notifications.ttlSec * 1000,
      maxItems: this.config.notifications.inboxMax,
    });
    for (const r of evicted) this.webhooks.emit('notification.undelivered', { reason: 'inbox_full', notification: r });
    if (input.priority === 'high') {
      this.deliver(records.map((r) => ({ userId: r.userId, kind: 'new', notifications: [publicView(r)] })));
    } else {
      for (const r of records) this.batcher.add(r.userId, publicView(r));
    }
    return { ids: records.map((r) => r.id) };
  }

  async state(id: string): Promise<StoredNotification> {
    const r = await this.engine.notifications.get(id, this.clock.now());
    if (!r) throw new GatewayError('NOT_FOUND', 'notification not found or expired');
    return r;
  }

  async ack(userId: string, ids: string[]): Promise<{ acked: number }> {
    await this.rateLimits.check(userId, 'notification:ack');
    return { acked: await this.engine.notifications.ack(userId, ids, this.clock.now()) };
  }

  /** After `connection:ready`: sends the user's unacked inbox to that one socket. */
  /**
   * What a connecting socket is owed. The connect path starts this read together with the presence
   * write, so the two share one round trip; `redeliver` sends the result after connection:ready.
   */
  unackedFor(userId: string): Promise<StoredNotification[]> {
    return this.engine.notifications.unacked(userId, this.config.notifications.inboxMax, this.clock.now());
  }

  async redeliver(userId: string, socketId: string, unacked: Promise<StoredNotification[]> = this.unackedFor(userId)): Promise<number> {
    const pending = await unacked;
    for (let i = 0; i < pending.length; i += REDELIVERY_BATCH) {
      const chunk = pending.slice(i, i + REDELIVERY_BATCH);
      this.broadcaster.toSocket(socketId, 'notification:batch', { notifications: chunk.map(publicView) });
    }
    if (pending.length > 0) await this.engine.notifications.markDelivered(userId, pending.map((r) => r.id), this.clock.now());
    return pending.length;
  }

  /** The maintenance job: drops expired records; the unacked ones become `notification.undelivered`. */
  async expire(now: number): Promise<Record<string, unknown>> {
    const { removed, unacked } = await this.engine.notifications.expire(now, EXPIRY_BATCH);
    for (const r of unacked) this.webhooks.emit('notification.undelivered', { reason: 'expired', notification: r });
    return { removed, undelivered: unacked.length, more: removed === EXPIRY_BATCH };
  }

  /**
   * A batch waits up to the window on this instance while the user may already have received its
   * items by redelivery (on another instance) and acked them: only what is still unacked goes out,
   * so "at least once" covers a lost ack, never a confirmed one.
   */
  private sendBatch(userId: string, items: GatewayNotification[]): Promise<void> {
    return this.engine.notifications.unackedAmong(userId, items.map((n) => n.id)).then(
      (ids) => {
        const open = new Set(ids);
        const left = items.filter((n) => open.has(n.id));
        if (left.length > 0) this.deliver([{ userId, kind: 'batch', notifications: left }]);
      },
      (err) => {
        // Store down: sending everything is the at-least-once side of the trade.
        this.logger.warn('notification.batch_check_failed', { userId, err });
        this.deliver([{ userId, kind: 'batch', notifications: items }]);
      },
    );
  }

  /** One inter-instance message per call, however many users it carries. */
  private deliver(deliveries: DeliverMessage[]): void {
    this.broadcaster.toOtherInstances(DELIVER_EVENT, { deliveries });
    for (const d of deliveries) this.deliverLocal(d);
  }

  private deliverLocal(msg: DeliverMessage): void {
    const reached = msg.kind === 'new'
      ? this.broadcaster.toLocalUser(msg.userId, 'notification:new', msg.notifications[0])
      : this.broadcaster.toLocalUser(msg.userId, 'notification:batch', { notifications: msg.notifications });
    if (reached === 0) return;
    this.engine.notifications.markDelivered(msg.userId, msg.notifications.map((n) => n.id), this.clock.now()).catch((err) => {
      this.logger.warn('notification.mark_delivered_failed', { userId: msg.userId, err });
    });
  }

  /** Sortable by creation (time first), unique across instances (random tail). */
  private newId(now: number): string {
    this.seq = (this.seq + 1) % 1_679_616;
    return `ntf_${now.toString(36)}${this.seq.toString(36).padStart(4, '0')}${randomBytes(6).toString('base64url')}`;
  }
}

/** What clients see: the notification without its per-user bookkeeping. */
function publicView(r: StoredNotification): GatewayNotification {
  return { id: r.id, type: r.type, priority: r.priority, payload: r.payload, createdAt: r.createdAt };
}
