import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type DeadLetter, type Engine, type WebhookEvent, type WebhookEventType } from '../engine/engine.ports';
import { ShutdownHooks } from '../lifecycle/shutdown-hooks';

/** Events waiting in memory for the engine queue; past it the oldest are dropped (and logged). */
const OUTBOX_MAX = 10_000;
/** Retry delay of the outbox while the engine is unreachable. */
const OUTBOX_RETRY_MS = 1000;
/** Channel occupancy is decided from this many members: 1 after a join = it was empty. */
const OCCUPANCY_PROBE = 2;

/**
 * The producer side of webhooks. `emit` is what the hot path calls: it only pushes into an
 * in-memory outbox and returns; the outbox is moved to the engine's shared queue in the
 * background (one enqueue per burst), so a slow store or receiver never delays an ack. Each
 * event is emitted by the one instance that handled the change, hence queued once fleet-wide;
 * WebhookWorker on every instance delivers from the shared queue.
 */
@Injectable()
export class WebhookService implements OnApplicationShutdown {
  private outbox: WebhookEvent[] = [];
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly enqueuedListeners: Array<() => void> = [];

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    hooks: ShutdownHooks,
  ) {
    hooks.register('webhook-outbox', () => this.flush());
  }

  get enabled(): boolean {
    return this.config.webhooks.url !== null;
  }

  /** Queues one event for delivery; never throws, never waits. A no-op when WEBHOOK_URL is unset. */
  emit(type: WebhookEventType, data: Record<string, unknown>): void {
    if (!this.enabled) return;
    this.outbox.push({ id: `evt_${randomUUID()}`, type, createdAt: new Date(this.clock.now()).toISOString(), data });
    if (this.outbox.length > OUTBOX_MAX) {
      const dropped = this.outbox.splice(0, this.outbox.length - OUTBOX_MAX);
      this.logger.warn('webhook.outbox_overflow', { metadata: { dropped: dropped.length, oldestType: dropped[0].type } });
    }
    this.scheduleFlush();
  }

  /** member.joined, and channel.occupied when the user is the channel's only member. Fire and forget. */
  memberJoined(channelId: string, userId: string): void {
    if (!this.enabled) return;
    this.emit('member.joined', { channelId, userId });
    this.engine.membership.members(channelId, OCCUPANCY_PROBE).then(
      (members) => {
        if (members.length === 1 && members[0] === userId) this.emit('channel.occupied', { channelId, userId });
      },
      (err) => this.logger.warn('webhook.occupancy_failed', { channelId, userId, err }),
    );
  }

  /** member.left, and channel.vacated when nobody is left. Fire and forget. */
  memberLeft(channelId: string, userId: string): void {
    if (!this.enabled) return;
    this.emit('member.left', { channelId, userId });
    this.engine.membership.members(channelId, 1).then(
      (members) => {
        if (members.length === 0) this.emit('channel.vacated', { channelId, userId });
      },
      (err) => this.logger.warn('webhook.occupancy_failed', { channelId, userId, err }),
    );
  }

  /** Called after events reached the shared queue (the local worker wakes up at once). */
  onEnqueued(listener: () => void): void {
    this.enqueuedListeners.push(listener);
  }

  deadLetters(limit: number): Promise<DeadLetter[]> {
    return this.engine.webhooks.deadLetters(limit);
  }

  async retryDeadLetters(ids: string[] | null, limit: number): Promise<number> {
    const n = await this.engine.webhooks.requeueDead(ids, limit, this.clock.now());
    if (n > 0) for (const l of this.enqueuedListeners) l();
    return n;
  }

  /** Moves the outbox to the engine; resolves when it is empty or the store refused (then retried later). */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => this.afterFlush());
    return this.flushing;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.flush();
  }

  private scheduleFlush(): void {
    // One flush per burst: everything emitted in this tick goes in one enqueue.
    if (this.flushing || this.retryTimer) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushOnce()).finally(() => this.afterFlush());
  }

  /** Events emitted while the last batch was being written would otherwise wait for the next emit. */
  private afterFlush(): void {
    this.flushing = null;
    if (this.outbox.length > 0 && !this.retryTimer) this.scheduleFlush();
  }

  private async flushOnce(): Promise<void> {
    while (this.outbox.length > 0) {
      const batch = this.outbox.splice(0, 500);
      try {
        await this.engine.webhooks.enqueue(batch, this.clock.now());
      } catch (err) {
        this.outbox.unshift(...batch);
        this.logger.warn('webhook.enqueue_failed', { metadata: { waiting: this.outbox.length }, err });
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.scheduleFlush();
        }, OUTBOX_RETRY_MS);
        this.retryTimer.unref();
        return;
      }
      for (const l of this.enqueuedListeners) l();
    }
  }
}
