import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/config';
import { CLOCK, type Clock } from '../common/clock';
import { LOGGER, type JsonLogger } from '../common/logger';
import { ENGINE, type ClaimedWebhook, type Engine } from '../engine/engine.ports';
import { MetricsService } from '../metrics/metrics.service';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signWebhook } from './webhook-signature';
import { WebhookSender } from './webhook-sender';
import { WebhookService } from './webhook.service';

/** POSTs in flight per instance. */
const CONCURRENCY = 8;
/** How often an idle worker looks at the shared queue (it is also woken by local enqueues and due retries). */
const POLL_MS = 1000;
/** Dead letters kept; the oldest are dropped past it. */
export const MAX_DEAD_LETTERS = 10_000;

/** Exponential backoff with equal jitter: half the delay fixed, half random, so retries spread out. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(delay / 2 + (random() * delay) / 2);
}

/**
 * Delivers webhooks from the engine's shared queue; runs on every instance. A claimed event is
 * hidden from the others for twice the POST timeout plus a second, so an instance that dies
 * mid-delivery only delays it. Success acks; failure reschedules with backoff; the last allowed
 * failure moves it to the dead-letter list.
 */
@Injectable()
export class WebhookWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly sender = new WebhookSender();
  private timer: NodeJS.Timeout | null = null;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private inFlight = 0;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(ENGINE) private readonly engine: Engine,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    private readonly metrics: MetricsService,
    webhooks: WebhookService,
  ) {
    webhooks.onEnqueued(() => this.wake());
  }

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.url) return;
    this.timer = setInterval(() => this.wake(), POLL_MS);
    this.timer.unref();
    this.wake();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    // In-flight POSTs are cut; their events reappear after the visibility timeout elsewhere.
    this.sender.close();
  }

  private get visibilityMs(): number {
    return this.config.webhooks.timeoutMs * 2 + 1000;
  }

  /** Claims and starts deliveries until the concurrency is used up or nothing is due. */
  wake(): void {
    if (this.stopped || !this.config.webhooks.url) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.fill().finally(() => {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  private async fill(): Promise<void> {
    try {
      while (!this.stopped && this.inFlight < CONCURRENCY) {
        const claimed = await this.engine.webhooks.claim(CONCURRENCY - this.inFlight, this.visibilityMs, this.clock.now());
        if (claimed.length === 0) break;
        for (const c of claimed) {
          this.inFlight++;
          void this.deliver(c).finally(() => {
            this.inFlight--;
            this.wake();
          });
        }
      }
      this.metrics.webhookQueueDepth.set(await this.engine.webhooks.depth());
    } catch (err) {
      this.logger.warn('webhook.claim_failed', { err });
    }
  }

  private async deliver(c: ClaimedWebhook): Promise<void> {
    const { url, secret, timeoutMs, maxAttempts, backoffBaseMs, backoffMaxMs } = this.config.webhooks;
    const body = JSON.stringify(c.event);
    const headers = {
      [SIGNATURE_HEADER]: signWebhook(secret!, body, Math.floor(this.clock.now() / 1000)),
      [EVENT_ID_HEADER]: c.event.id,
      [EVENT_TYPE_HEADER]: c.event.type,
    };
    const end = this.metrics.webhookDeliveryDuration.startTimer();
    let error: string;
    try {
      const status = await this.sender.post(url!, body, headers, timeoutMs);
      end();
      if (status >= 200 && status < 300) {
        this.metrics.webhookDeliveries.inc({ result: 'success' });
        await this.engine.webhooks.ack(c.event.id).catch((err) => this.logger.warn('webhook.ack_failed', { metadata: { eventId: c.event.id }, err }));
        return;
      }
      error = `HTTP ${status}`;
    } catch (err) {
      end();
      error = (err as Error).message || 'request failed';
    }
    try {
      if (c.attempt >= maxAttempts) {
        this.metrics.webhookDeliveries.inc({ result: 'dead_letter' });
        await this.engine.webhooks.deadLetter(c.event.id, c.attempt, error, this.clock.now(), MAX_DEAD_LETTERS);
        this.logger.warn('webhook.dead_letter', { metadata: { eventId: c.event.id, type: c.event.type, attempts: c.attempt, error } });
        return;
      }
      this.metrics.webhookDeliveries.inc({ result: 'failure' });
      const delay = backoffMs(c.attempt, backoffBaseMs, backoffMaxMs);
      await this.engine.webhooks.retry(c.event.id, c.attempt, this.clock.now() + delay, error);
      this.logger.debugEvent('webhook.retry', { metadata: { eventId: c.event.id, attempt: c.attempt, delayMs: delay, error } });
      if (!this.stopped) {
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          this.wake();
        }, delay + 1);
        t.unref();
        this.retryTimers.add(t);
      }
    } catch (err) {
      // The visibility timeout brings the event back; nothing is lost.
      this.logger.warn('webhook.reschedule_failed', { metadata: { eventId: c.event.id }, err });
    }
  }
}
