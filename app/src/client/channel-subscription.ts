import type { Ack, ChannelJoinPayload, ChannelJoinResult, ChatMessage, MessageHistoryResult } from '../contracts/events';
import { backoffDelay, type BackoffOptions } from './backoff';
import { GatewayClientError, isRetryable } from './errors';
import { fillFromHistory } from './gap-filler';
import { OrderingBuffer } from './ordering-buffer';
import { SubscriptionStateMachine, type SubscriptionEvent, type SubscriptionState } from './subscription-state';
import type { TimerSet } from './timers';

/** What the application is told when messages cannot be recovered (README "Gap callback"). */
export interface GapInfo {
  channelId: string;
  /** `epoch_changed`: the channel's sequence restarted (store flushed); `history_unavailable`: trimmed away */
  reason: 'epoch_changed' | 'history_unavailable';
  /** last seq delivered before the hole (in `previousEpoch`) */
  lastSeenSeq: number;
  /** delivery resumes after this seq (in `epoch`); what lies between was not delivered */
  resumedAfterSeq: number;
  previousEpoch: string | null;
  epoch: string;
}

/** The connection as a subscription sees it. Requests reject with TIMEOUT, DISCONNECTED or CLOSED. */
export interface ChannelLink {
  connected(): boolean;
  request<R extends object>(event: 'channel:join' | 'message:history', payload: object, timeoutMs: number): Promise<Ack<R>>;
}

export interface ChannelHooks {
  deliver(messages: ChatMessage[]): void;
  gap(info: GapInfo): void;
  stateChanged(state: SubscriptionState, error?: GatewayClientError): void;
  /** every successful join and rejoin, after the replay it carried was delivered */
  joined(result: ChannelJoinResult): void;
}

export interface ChannelOptions {
  /** @default 5000 */
  ackTimeoutMs: number;
  /** join retries after the first attempt. @default 3 */
  retries: number;
  backoff: BackoffOptions;
  random: () => number;
  /** @default 100 (the gateway's maximum) */
  historyPageSize: number;
}

/** Where a subscription starts: a seq and epoch the application persisted, or "now" when absent. */
export interface SubscribeFrom {
  sinceSeq?: number;
  epoch?: string;
}

/** Live messages kept while the first join is in flight (before the baseline seq is known). */
const MAX_EARLY = 10_000;

/**
 * One channel: the state machine, the ordering buffer and the join / replay / gap-fill I/O,
 * with ack timeouts and retries on injected timers.
 */
export class ChannelSubscription {
  private readonly machine = new SubscriptionStateMachine();
  private buffer: OrderingBuffer | null = null;
  private epoch: string | null = null;
  private early: ChatMessage[] = [];
  private attempts = 0;
  private gapAttempts = 0;
  /** Bumped by every restart, connection loss and unsubscribe; late answers of an older run are ignored. */
  private run = 0;
  private retryTimer: object | null = null;
  private filling = false;
  private lastResult: ChannelJoinResult | null = null;
  private waiters: Array<{ resolve: (r: ChannelJoinResult) => void; reject: (e: GatewayClientError) => void }> = [];

  constructor(
    readonly channelId: string,
    private readonly link: ChannelLink,
    private readonly hooks: ChannelHooks,
    private readonly timers: TimerSet,
    private readonly opts: ChannelOptions,
    from: SubscribeFrom = {},
  ) {
    if (from.sinceSeq !== undefined) {
      this.buffer = new OrderingBuffer(from.sinceSeq);
      this.epoch = from.epoch ?? null;
    }
  }

  get state(): SubscriptionState {
    return this.machine.state;
  }

  /** The last seq delivered to the application (null before the first join). */
  get lastSeq(): number | null {
    return this.buffer?.lastSeq ?? null;
  }

  get currentEpoch(): string | null {
    return this.epoch;
  }

  subscribe(): Promise<ChannelJoinResult> {
    if (this.state === 'subscribed' && this.lastResult) return Promise.resolve(this.lastResult);
    const done = new Promise<ChannelJoinResult>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.state !== 'subscribing') {
      this.transition('subscribe');
      this.attempts = 0;
      if (this.link.connected()) this.attempt();
    }
    return done;
  }

  /** A (new) connection is ready: join again, from where delivery stopped. */
  onConnected(): void {
    if (this.state !== 'subscribing') return;
    this.timers.clear(this.retryTimer);
    this.attempts = 0;
    this.attempt();
  }

  onConnectionLost(): void {
    this.stop();
    if (this.machine.can('connection_lost')) this.transition('connection_lost');
  }

  unsubscribe(): void {
    this.stop();
    this.transition('unsubscribe');
    this.settle(new GatewayClientError('CLOSED', `unsubscribed from ${this.channelId}`));
  }

  /** The client is closing: stop everything, reject whoever waits. */
  close(err: GatewayClientError): void {
    this.stop();
    this.settle(err);
  }

  onMessage(m: ChatMessage): void {
    if (this.state === 'unsubscribed' || this.state === 'failed') return;
    if (!this.buffer) {
      if (this.early.length < MAX_EARLY) this.early.push(m);
      return;
    }
    this.deliver(this.buffer.push(m));
    if (this.buffer.gap && this.state === 'subscribed') void this.fillLive();
  }

  private stop(): void {
    this.run++;
    this.filling = false;
    this.timers.clear(this.retryTimer);
    this.retryTimer = null;
  }

  private attempt(): void {
    const run = ++this.run;
    this.filling = false;
    this.attempts++;
    const payload: ChannelJoinPayload = { channelId: this.channelId };
    if (this.buffer) {
      payload.sinceSeq = this.buffer.lastSeq;
      if (this.epoch) payload.epoch = this.epoch;
    }
    this.link.request<ChannelJoinResult>('channel:join', payload, this.opts.ackTimeoutMs).then(
      (ack) => {
        if (run === this.run) void this.onJoinAck(run, ack);
      },
      (err) => {
        if (run === this.run) this.onAttemptError(toClientError(err));
      },
    );
  }

  private async onJoinAck(run: number, ack: Ack<ChannelJoinResult>): Promise<void> {
    if (!ack.ok) return this.onAttemptError(GatewayClientError.fromBody(ack.error));
    if (!this.buffer) {
      // A first subscription starts at the present: the live messages that raced the ack and are
      // not newer than lastSeq are dropped by the buffer.
      this.buffer = new OrderingBuffer(ack.lastSeq);
    } else if (!ack.recovered) {
      this.hooks.gap({
        channelId: this.channelId,
        reason: this.epoch !== null && this.epoch !== ack.epoch ? 'epoch_changed' : 'history_unavailable',
        lastSeenSeq: this.buffer.lastSeq,
        resumedAfterSeq: ack.lastSeq,
        previousEpoch: this.epoch,
        epoch: ack.epoch,
      });
      this.buffer.reset(ack.lastSeq);
    }
    this.epoch = ack.epoch;
    const early = this.early;
    this.early = [];
    this.deliver(this.buffer.pushAll(ack.missed));
    this.deliver(this.buffer.pushAll(early));
    if (ack.hasMore) {
      try {
        if (!(await this.fill(run, true))) return;
      } catch (err) {
        if (run === this.run) this.onAttemptError(toClientError(err));
        return;
      }
    }
    if (run !== this.run) return;
    this.lastResult = ack;
    this.gapAttempts = 0;
    this.transition('joined');
    this.hooks.joined(ack);
    for (const w of this.waiters.splice(0)) w.resolve(ack);
    if (this.buffer.gap) void this.fillLive();
  }

  private onAttemptError(err: GatewayClientError): void {
    // A dropped connection is not a failed join: onConnectionLost / onConnected take it from here.
    if (err.code === 'DISCONNECTED' || err.code === 'CLOSED') return;
    if (isRetryable(err.code) && this.attempts <= this.opts.retries) {
      this.transition('retry');
      const delay = Math.max(err.retryAfterMs ?? 0, backoffDelay(this.attempts - 1, this.opts.backoff, this.opts.random));
      this.retryTimer = this.timers.set(() => {
        this.retryTimer = null;
        if (this.link.connected() && this.state === 'subscribing') this.attempt();
      }, delay);
      return;
    }
    this.transition('fail', err);
    this.settle(err);
  }

  /** Pages history into the buffer; false when this run was superseded (or must rejoin). */
  private async fill(run: number, untilDone: boolean): Promise<boolean> {
    const buffer = this.buffer!;
    const fetchAfter = async (afterSeq: number) => {
      const ack = await this.link.request<MessageHistoryResult>(
        'message:history',
        { channelId: this.channelId, afterSeq, limit: this.opts.historyPageSize },
        this.opts.ackTimeoutMs,
      );
      if (run !== this.run) throw new GatewayClientError('DISCONNECTED', 'superseded');
      if (!ack.ok) throw GatewayClientError.fromBody(ack.error);
      return ack;
    };
    for (;;) {
      const outcome = await fillFromHistory(buffer, fetchAfter, (m) => this.deliver(m), { epoch: this.epoch!, untilDone });
      if (run !== this.run) return false;
      if (outcome.kind === 'filled') return true;
      if (outcome.kind === 'epoch_changed') {
        // Rejoining with the old epoch makes the server answer recovered: false with the new baseline.
        if (this.machine.can('resync')) this.transition('resync');
        this.attempts = 0;
        this.attempt();
        return false;
      }
      const resumedAfterSeq = outcome.firstAvailableSeq !== null ? outcome.firstAvailableSeq - 1 : buffer.gap!.beforeSeq - 1;
      this.hooks.gap({
        channelId: this.channelId,
        reason: 'history_unavailable',
        lastSeenSeq: outcome.afterSeq,
        resumedAfterSeq,
        previousEpoch: this.epoch,
        epoch: this.epoch!,
      });
      this.deliver(buffer.skipTo(resumedAfterSeq));
    }
  }

  private async fillLive(): Promise<void> {
    if (this.filling) return;
    this.filling = true;
    const run = this.run;
    try {
      await this.fill(run, false);
    } catch (err) {
      const e = toClientError(err);
      if (run === this.run && e.code !== 'DISCONNECTED' && e.code !== 'CLOSED') {
        const delay = Math.max(e.retryAfterMs ?? 0, backoffDelay(this.gapAttempts++, this.opts.backoff, this.opts.random));
        this.retryTimer = this.timers.set(() => {
          this.retryTimer = null;
          if (this.state === 'subscribed') void this.fillLive();
        }, delay);
      }
    } finally {
      if (run === this.run) this.filling = false;
    }
  }

  private deliver(messages: ChatMessage[]): void {
    if (messages.length > 0) this.hooks.deliver(messages);
  }

  private transition(event: SubscriptionEvent, error?: GatewayClientError): void {
    if (this.machine.apply(event) || error) this.hooks.stateChanged(this.machine.state, error);
  }

  private settle(err: GatewayClientError): void {
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}

function toClientError(err: unknown): GatewayClientError {
  if (err instanceof GatewayClientError) return err;
  return new GatewayClientError('INTERNAL_ERROR', err instanceof Error ? err.message : String(err));
}
