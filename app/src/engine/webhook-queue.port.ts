/** Every webhook event type the gateway sends. */
export const WEBHOOK_EVENT_TYPES = [
  'message.created', 'message.updated', 'message.deleted',
  'channel.occupied', 'channel.vacated', 'member.joined', 'member.left',
  'user.online', 'user.offline', 'notification.undelivered',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The body of one webhook POST; `id` is stable across retries, for deduplication. */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  /** ISO time the event happened. */
  createdAt: string;
  data: Record<string, unknown>;
}

/** A queued event handed to one worker until its visibility timeout. */
export interface ClaimedWebhook {
  event: WebhookEvent;
  /** 1 on the first delivery attempt; also the lease token of retry/deadLetter. */
  attempt: number;
}

export interface DeadLetter {
  event: WebhookEvent;
  attempts: number;
  lastError: string;
  /** ms since epoch */
  deadAt: number;
}

/**
 * At-least-once delivery queue shared by every instance. A claimed event is invisible until
 * `now + visibilityMs`; a worker that dies mid-delivery simply lets it reappear.
 */
export interface WebhookQueue {
  /** Queues an event due at once; an id already queued (or dead-lettered) is left as it is. */
  enqueue(events: WebhookEvent[], now: number): Promise<void>;
  /** Takes up to `limit` due events and hides them until `now + visibilityMs`. */
  claim(limit: number, visibilityMs: number, now: number): Promise<ClaimedWebhook[]>;
  /** Delivered: forgets the event. */
  ack(id: string): Promise<void>;
  /** Failed: makes the event due again at `dueAt`, unless another worker has claimed it since (`attempt` differs). */
  retry(id: string, attempt: number, dueAt: number, error: string): Promise<void>;
  /** Failed for the last time: moves the event to the dead-letter list (bounded to `maxDead`, oldest dropped). */
  deadLetter(id: string, attempt: number, error: string, now: number, maxDead: number): Promise<void>;
  /** Dead letters, oldest first. */
  deadLetters(limit: number): Promise<DeadLetter[]>;
  /** Requeues dead letters (the given ids, or the oldest `limit`) with a fresh attempt budget; returns how many. */
  requeueDead(ids: string[] | null, limit: number, now: number): Promise<number>;
  /** Events queued or in flight (dead letters excluded). */
  depth(): Promise<number>;
}
