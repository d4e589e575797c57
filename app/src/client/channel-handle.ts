import type { ChannelJoinResult, ChatMessage, MessageHistoryPayload, MessageHistoryResult } from '../contracts/events';
import type { GapInfo } from './channel-subscription';
import { TypedEmitter } from './emitter';
import type { GatewayClientError } from './errors';
import type { SentMessage } from './message-sender';
import type { SubscriptionState } from './subscription-state';

/**
 * Where one channel stands. The same object is returned until something in it changes, so it
 * can be a `useSyncExternalStore` snapshot as is.
 */
export interface ChannelSnapshot {
  readonly channelId: string;
  readonly state: SubscriptionState;
  /** last seq delivered; with `epoch`, what an app persists to resume later (null before the first join) */
  readonly lastSeq: number | null;
  readonly epoch: string | null;
  /** the members of the latest join or rejoin ack, kept current by member events */
  readonly members: readonly string[];
  /** why the subscription is `failed` */
  readonly error: GatewayClientError | null;
}

export interface ChannelEvents {
  /** a message of this channel, in seq order, once */
  message: (m: ChatMessage) => void;
  /** someone joined or left; `members` is the list after the change */
  member: (e: { userId: string; joined: boolean; members: readonly string[] }) => void;
  /** messages that could not be recovered after a reconnect (see GapInfo) */
  gap: (gap: GapInfo) => void;
  /** the subscription state changed, or a join or rejoin succeeded (with its member list) */
  state: (snapshot: ChannelSnapshot) => void;
}

/** What a channel handle asks of its client. */
export interface ChannelOwner {
  snapshot(channelId: string): ChannelSnapshot | null;
  send(channelId: string, content: string, opts?: { threadId?: string; clientMsgId?: string }): Promise<SentMessage> & { clientMsgId: string };
  history(channelId: string, query: Omit<MessageHistoryPayload, 'channelId'>): Promise<MessageHistoryResult>;
  typing(channelId: string, isTyping: boolean, threadId?: string): void;
  unsubscribe(channelId: string): void;
}

/**
 * One joined channel, from `client.channel(id)`: its own events, send, history and leave.
 * The client keeps it joined across reconnects until `leave()` (or `close()`).
 */
export class GatewayChannel {
  private left = false;
  private lastSnapshot: ChannelSnapshot | null = null;

  constructor(
    readonly id: string,
    private readonly owner: ChannelOwner,
    private readonly events: TypedEmitter<ChannelEvents>,
    /** the first join's ack (rejects with the join's error, or CLOSED on leave/close) */
    readonly joined: Promise<ChannelJoinResult>,
  ) {}

  /** The current snapshot (the same object until something changes); after `leave()`, the last one, `unsubscribed`. */
  snapshot(): ChannelSnapshot {
    if (!this.left) this.lastSnapshot = this.owner.snapshot(this.id) ?? this.lastSnapshot;
    return (this.lastSnapshot ??= { channelId: this.id, state: 'unsubscribed', lastSeq: null, epoch: null, members: [], error: null });
  }

  get state(): SubscriptionState {
    return this.snapshot().state;
  }

  get members(): readonly string[] {
    return this.snapshot().members;
  }

  on<K extends keyof ChannelEvents>(event: K, fn: ChannelEvents[K]): () => void {
    return this.events.on(event, fn);
  }

  once<K extends keyof ChannelEvents>(event: K, fn: ChannelEvents[K]): () => void {
    return this.events.once(event, fn);
  }

  off<K extends keyof ChannelEvents>(event: K, fn: ChannelEvents[K]): void {
    this.events.off(event, fn);
  }

  /** Like `client.send(id, …)`: queued while offline, retried with the same clientMsgId. */
  send(content: string, opts: { threadId?: string; clientMsgId?: string } = {}): Promise<SentMessage> & { clientMsgId: string } {
    return this.owner.send(this.id, content, opts);
  }

  history(query: Omit<MessageHistoryPayload, 'channelId'> = {}): Promise<MessageHistoryResult> {
    return this.owner.history(this.id, query);
  }

  /** Volatile typing indicator: dropped while disconnected. */
  typing(isTyping: boolean, threadId?: string): void {
    this.owner.typing(this.id, isTyping, threadId);
  }

  /** Leaves the channel; queued sends of it reject with CLOSED, listeners hear a last `state`. */
  leave(): void {
    if (this.left) return;
    this.owner.unsubscribe(this.id);
  }

  /** Called by the client when the subscription ends (leave, unsubscribe or close). */
  ended(snapshot: ChannelSnapshot): void {
    if (this.left) return;
    this.left = true;
    this.lastSnapshot = snapshot;
    this.events.emit('state', snapshot);
    this.events.removeAll();
  }
}
