import type { ChatMessage } from '../contracts/events';

/** A hole in a channel's sequence: messages after `afterSeq` and before `beforeSeq` are missing. */
export interface SeqGap {
  afterSeq: number;
  beforeSeq: number;
}

/**
 * Per-channel delivery in strict seq order: a message is released only when every earlier seq
 * has been released; later ones are held until the gap is filled (live or from history), and
 * anything at or below the released point, or already held, is a duplicate and dropped.
 */
export class OrderingBuffer {
  private readonly held = new Map<number, ChatMessage>();
  private dropped = 0;

  /** @param lastSeq the last seq already delivered (0 for an empty channel) */
  constructor(private last: number) {}

  get lastSeq(): number {
    return this.last;
  }

  get heldCount(): number {
    return this.held.size;
  }

  get duplicatesDropped(): number {
    return this.dropped;
  }

  /** The first hole before a held message, or null when nothing is waiting. */
  get gap(): SeqGap | null {
    if (this.held.size === 0) return null;
    return { afterSeq: this.last, beforeSeq: Math.min(...this.held.keys()) };
  }

  /** Accepts one message; returns what can now be delivered, in seq order. */
  push(message: ChatMessage): ChatMessage[] {
    if (message.seq <= this.last || this.held.has(message.seq)) {
      this.dropped++;
      return [];
    }
    this.held.set(message.seq, message);
    return this.drain();
  }

  /** Accepts a batch (a replay or a history page) in any order. */
  pushAll(messages: readonly ChatMessage[]): ChatMessage[] {
    const out: ChatMessage[] = [];
    for (const m of messages) out.push(...this.push(m));
    return out;
  }

  /**
   * Gives up on the current hole (history no longer has it): releases the held messages from
   * the first one on. The caller reports the skipped range to the application.
   */
  skipGap(): ChatMessage[] {
    const gap = this.gap;
    if (!gap) return [];
    this.last = gap.beforeSeq - 1;
    return this.drain();
  }

  /** Treats everything up to `seq` as delivered (it is gone from history) and releases what follows. */
  skipTo(seq: number): ChatMessage[] {
    if (seq <= this.last) return [];
    for (const held of [...this.held.keys()]) if (held <= seq) this.held.delete(held);
    this.last = seq;
    return this.drain();
  }

  /** Starts over at `lastSeq` (new epoch): held messages belong to the old sequence. */
  reset(lastSeq: number): void {
    this.held.clear();
    this.last = lastSeq;
  }

  private drain(): ChatMessage[] {
    const out: ChatMessage[] = [];
    for (let next = this.held.get(this.last + 1); next; next = this.held.get(this.last + 1)) {
      this.held.delete(next.seq);
      this.last = next.seq;
      out.push(next);
    }
    return out;
  }
}
