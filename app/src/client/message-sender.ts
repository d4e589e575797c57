import type { Ack, MessageSendPayload, MessageSendResult } from '../contracts/events';
import { backoffDelay, type BackoffOptions } from './backoff';
import { GatewayClientError, isRetryable } from './errors';
import { newClientMsgId } from './ids';
import type { TimerSet } from './timers';

export type PendingStatus = 'queued' | 'sending' | 'retrying';

/** A message the application sent that the gateway has not acknowledged yet (optimistic UI). */
export interface PendingMessage {
  clientMsgId: string;
  channelId: string;
  content: string;
  threadId?: string;
  status: PendingStatus;
  /** attempts that reached the gateway and failed or timed out */
  failures: number;
  /** ms since epoch, local clock */
  createdAt: number;
}

export interface SentMessage extends MessageSendResult {
  clientMsgId: string;
  channelId: string;
}

/** The connection as the sender sees it. `send` rejects with TIMEOUT, DISCONNECTED or CLOSED. */
export interface SendLink {
  /** true when the channel can take sends now (connected, and joined if subscribed through the SDK) */
  canSend(channelId: string): boolean;
  send(payload: MessageSendPayload, timeoutMs: number): Promise<Ack<MessageSendResult>>;
}

export interface SenderOptions {
  /** Most messages waiting (queued, in flight or retrying) before `send` refuses with QUEUE_FULL. @default 1000 */
  maxPending: number;
  /** @default 5000 */
  ackTimeoutMs: number;
  /** Failed attempts (timeouts, UNAVAILABLE, RATE_LIMITED) before a send is given up. @default 8 */
  maxFailures: number;
  backoff: BackoffOptions;
  random: () => number;
}

interface Entry extends PendingMessage {
  /** bumped on every dispatch and connection loss, so a late ack of an older attempt is ignored */
  attempt: number;
  resolve(r: SentMessage): void;
  reject(e: GatewayClientError): void;
  timer: object | null;
}

/**
 * The outbox: one FIFO per channel, the head in flight and the rest waiting, so a channel's
 * messages reach the gateway in the order they were sent. Offline, everything waits here (the
 * bounded offline queue) and flows again, in order, once the channel is joined. Every retry of a
 * message reuses its clientMsgId, which the gateway deduplicates.
 */
export class MessageSender {
  private readonly queues = new Map<string, Entry[]>();
  private count = 0;

  constructor(
    private readonly link: SendLink,
    private readonly timers: TimerSet,
    private readonly opts: SenderOptions,
    private readonly onChange: () => void,
  ) {}

  get size(): number {
    return this.count;
  }

  enqueue(channelId: string, content: string, extra: { threadId?: string; clientMsgId?: string } = {}): { clientMsgId: string; done: Promise<SentMessage> } {
    const clientMsgId = extra.clientMsgId ?? newClientMsgId();
    if (this.count >= this.opts.maxPending) {
      return { clientMsgId, done: Promise.reject(new GatewayClientError('QUEUE_FULL', `${this.count} messages are already waiting to be sent`)) };
    }
    let resolve!: (r: SentMessage) => void;
    let reject!: (e: GatewayClientError) => void;
    const done = new Promise<SentMessage>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = {
      clientMsgId, channelId, content, ...(extra.threadId ? { threadId: extra.threadId } : {}),
      status: 'queued', failures: 0, createdAt: this.timers.now(), attempt: 0, resolve, reject, timer: null,
    };
    let q = this.queues.get(channelId);
    if (!q) this.queues.set(channelId, (q = []));
    q.push(entry);
    this.count++;
    this.onChange();
    this.pump(channelId);
    return { clientMsgId, done };
  }

  /** Sends the head of each channel's queue that can go now (all channels without an argument). */
  pump(channelId?: string): void {
    const ids = channelId === undefined ? [...this.queues.keys()] : [channelId];
    for (const id of ids) {
      const head = this.queues.get(id)?.[0];
      if (head && head.status === 'queued' && this.link.canSend(id)) this.dispatch(head);
    }
  }

  /** The connection dropped: whatever was in flight goes back to waiting, to be resent as is. */
  connectionLost(): void {
    let changed = false;
    for (const q of this.queues.values()) {
      const head = q[0];
      if (head && head.status !== 'queued') {
        head.attempt++;
        this.timers.clear(head.timer);
        head.timer = null;
        head.status = 'queued';
        changed = true;
      }
    }
    if (changed) this.onChange();
  }

  /** Rejects every waiting message of one channel (unsubscribed) or of all channels (closed). */
  failAll(err: GatewayClientError, channelId?: string): void {
    const ids = channelId === undefined ? [...this.queues.keys()] : [channelId];
    let changed = false;
    for (const id of ids) {
      for (const e of this.queues.get(id) ?? []) {
        e.attempt++;
        this.timers.clear(e.timer);
        e.reject(err);
        this.count--;
        changed = true;
      }
      this.queues.delete(id);
    }
    if (changed) this.onChange();
  }

  pending(channelId?: string): PendingMessage[] {
    const out: PendingMessage[] = [];
    for (const [id, q] of this.queues) {
      if (channelId !== undefined && id !== channelId) continue;
      for (const e of q) {
        out.push({
          clientMsgId: e.clientMsgId, channelId: e.channelId, content: e.content, status: e.status, failures: e.failures,
          createdAt: e.createdAt, ...(e.threadId ? { threadId: e.threadId } : {}),
        });
      }
    }
    return out;
  }

  private dispatch(e: Entry): void {
    const attempt = ++e.attempt;
    e.status = 'sending';
    this.onChange();
    const payload: MessageSendPayload = { channelId: e.channelId, content: e.content, clientMsgId: e.clientMsgId, ...(e.threadId ? { threadId: e.threadId } : {}) };
    this.link.send(payload, this.opts.ackTimeoutMs).then(
      (ack) => {
        if (attempt !== e.attempt) return;
        if (ack.ok) this.finish(e, null, { ...ack, clientMsgId: e.clientMsgId, channelId: e.channelId });
        else this.failed(e, GatewayClientError.fromBody(ack.error));
      },
      (err: unknown) => {
        if (attempt !== e.attempt) return;
        const error = err instanceof GatewayClientError ? err : new GatewayClientError('INTERNAL_ERROR', String(err));
        // A dropped connection is not the message's fault: connectionLost() requeues it.
        if (error.code === 'DISCONNECTED') return;
        this.failed(e, error);
      },
    );
  }

  private failed(e: Entry, err: GatewayClientError): void {
    e.failures++;
    if (!isRetryable(err.code) || e.failures >= this.opts.maxFailures) {
      this.finish(e, err);
      return;
    }
    e.status = 'retrying';
    this.onChange();
    const delay = Math.max(err.retryAfterMs ?? 0, backoffDelay(e.failures - 1, this.opts.backoff, this.opts.random));
    e.timer = this.timers.set(() => {
      e.timer = null;
      e.status = 'queued';
      this.pump(e.channelId);
    }, delay);
  }

  private finish(e: Entry, err: GatewayClientError | null, result?: SentMessage): void {
    const q = this.queues.get(e.channelId);
    if (!q || q[0] !== e) return;
    q.shift();
    if (q.length === 0) this.queues.delete(e.channelId);
    this.count--;
    this.onChange();
    if (err) e.reject(err);
    else e.resolve(result!);
    this.pump(e.channelId);
  }
}
