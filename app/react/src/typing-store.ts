import type { GatewayClient } from '@socket-gateway/client';
import { ExternalStore, Shared } from './external-store';

/** The gateway sends `isTyping: false` after 5 s; this covers a lost one. */
export const TYPING_TIMEOUT_MS = 6_000;
/** `isTyping: true` is sent again at most this often while the user keeps typing. */
export const TYPING_RESEND_MS = 3_000;

/** Who else is typing in one channel (sorted user ids), and the user's own indicator. */
export class TypingStore extends ExternalStore<readonly string[]> {
  readonly shared = new Shared(() => this.start(), () => this.stop());
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private offs: Array<() => void> = [];
  private lastSent = 0;

  constructor(private readonly client: GatewayClient, readonly channelId: string) {
    super([]);
  }

  /** Throttled: true goes out at most every TYPING_RESEND_MS, false at once. */
  readonly setTyping = (isTyping: boolean): void => {
    const now = Date.now();
    if (isTyping && now - this.lastSent < TYPING_RESEND_MS) return;
    this.lastSent = isTyping ? now : 0;
    this.client.typing(this.channelId, isTyping);
  };

  private start(): void {
    this.offs = [
      this.client.on('user:typing', (e) => {
        if (e.channelId === this.channelId && !e.threadId && e.userId !== this.client.connection?.userId) this.mark(e.userId, e.isTyping);
      }),
      // A message ends its author's typing.
      this.client.on('message:new', (m) => m.channelId === this.channelId && this.mark(m.userId, false)),
    ];
  }

  private stop(): void {
    for (const off of this.offs.splice(0)) off();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.set([]);
  }

  private mark(userId: string, typing: boolean): void {
    clearTimeout(this.timers.get(userId));
    this.timers.delete(userId);
    if (typing) this.timers.set(userId, setTimeout(() => this.mark(userId, false), TYPING_TIMEOUT_MS));
    const next = [...this.timers.keys()].sort();
    if (next.length !== this.value.length || next.some((u, i) => u !== this.value[i])) this.set(next);
  }
}
