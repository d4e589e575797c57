import type { GatewayNotification } from '../contracts/events';

export interface BatcherOptions {
  /** A user's batch is sent this long after its first item. @default 250 */
  windowMs: number;
  /** …or as soon as it holds this many. @default 50 */
  maxItems: number;
}

export const DEFAULT_BATCHING: BatcherOptions = { windowMs: 250, maxItems: 50 };

/**
 * Per-user batches of normal and low priority notifications on this instance. `onFlush` gets each
 * full or timed-out batch; `onSizeChange` the number of items waiting (the pending gauge).
 */
export class NotificationBatcher {
  private readonly batches = new Map<string, { items: GatewayNotification[]; timer: NodeJS.Timeout }>();
  private size = 0;

  constructor(
    private readonly onFlush: (userId: string, items: GatewayNotification[]) => void | Promise<void>,
    private readonly onSizeChange: (pending: number) => void,
    private readonly opts: BatcherOptions = DEFAULT_BATCHING,
  ) {}

  add(userId: string, item: GatewayNotification): void {
    let batch = this.batches.get(userId);
    if (!batch) {
      const timer = setTimeout(() => this.flush(userId), this.opts.windowMs);
      timer.unref();
      this.batches.set(userId, (batch = { items: [], timer }));
    }
    batch.items.push(item);
    this.resize(1);
    if (batch.items.length >= this.opts.maxItems) this.flush(userId);
  }

  /** Sends every waiting batch now (drain, shutdown); resolves once each was handed on. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.batches.keys()].map((userId) => this.flush(userId)));
  }

  get pending(): number {
    return this.size;
  }

  private flush(userId: string): void | Promise<void> {
    const batch = this.batches.get(userId);
    if (!batch) return;
    clearTimeout(batch.timer);
    this.batches.delete(userId);
    this.resize(-batch.items.length);
    return this.onFlush(userId, batch.items);
  }

  private resize(delta: number): void {
    this.size += delta;
    this.onSizeChange(this.size);
  }
}
