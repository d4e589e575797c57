import type { ChatMessage, GapInfo, GatewayChannel, GatewayClient, GatewayClientError, PendingMessage, SubscriptionState } from '@socket-gateway/client';
import { ExternalStore, Shared } from './external-store';

/** What `useChannel` renders from; a new object only when something in it changed. */
export interface ChannelView {
  /** `idle` until the hook's effect has joined */
  status: SubscriptionState | 'idle';
  /** recent history then live messages, in seq order (at most `MAX_MESSAGES`) */
  messages: readonly ChatMessage[];
  members: readonly string[];
  /** this channel's messages sent but not acknowledged yet (optimistic UI) */
  pending: readonly PendingMessage[];
  /** the last hole reported after a reconnect (null when none) */
  gap: GapInfo | null;
  error: GatewayClientError | null;
}

/** Messages read from history when the channel is joined. */
export const HISTORY_ON_JOIN = 50;
/** Messages a view keeps; older ones drop off the front. */
export const MAX_MESSAGES = 500;

const EMPTY: ChannelView = { status: 'idle', messages: [], members: [], pending: [], gap: null, error: null };

/** One channel for every `useChannel(id)` of a provider: joined while any of them is mounted. */
export class ChannelStore extends ExternalStore<ChannelView> {
  readonly shared = new Shared(() => this.start(), () => this.stop());
  private channel: GatewayChannel | null = null;
  private offs: Array<() => void> = [];

  constructor(private readonly client: GatewayClient, readonly id: string) {
    super(EMPTY);
  }

  private start(): void {
    const client = this.client;
    const ch = (this.channel = client.channel(this.id));
    const sync = () => this.update({ status: ch.state, members: ch.members, error: ch.snapshot().error, pending: client.pending(this.id) });
    this.offs = [
      ch.on('state', sync),
      ch.on('member', sync),
      ch.on('message', (m) => this.merge([m])),
      // A new epoch restarts the seqs: what is shown belongs to the old sequence.
      ch.on('gap', (gap) => this.update(gap.reason === 'epoch_changed' ? { gap, messages: [] } : { gap })),
      client.on('pending', sync),
      client.on('message:updated', (m) => m.channelId === this.id && this.merge([m])),
      // The first join (and every rejoin) reads recent history, so a view opened late is not empty.
      client.on('subscribed', (r) => {
        if (r.channelId === this.id) ch.history({ limit: HISTORY_ON_JOIN }).then((h) => this.channel === ch && this.merge(h.messages), () => undefined);
      }),
    ];
    sync();
    if (ch.state === 'subscribed') ch.history({ limit: HISTORY_ON_JOIN }).then((h) => this.channel === ch && this.merge(h.messages), () => undefined);
  }

  private stop(): void {
    for (const off of this.offs.splice(0)) off();
    this.channel?.leave();
    this.channel = null;
    this.set(EMPTY);
  }

  private update(patch: Partial<ChannelView>): void {
    const next = { ...this.value, ...patch };
    const keys = Object.keys(patch) as Array<keyof ChannelView>;
    if (keys.some((k) => next[k] !== this.value[k])) this.set(next);
  }

  /** Adds or replaces messages by seq, keeping seq order. */
  private merge(messages: readonly ChatMessage[]): void {
    if (messages.length === 0) return;
    const bySeq = new Map(this.value.messages.map((m) => [m.seq, m]));
    for (const m of messages) bySeq.set(m.seq, m);
    const sorted = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
    this.update({ messages: sorted.slice(-MAX_MESSAGES) });
  }
}
