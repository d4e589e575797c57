import type { ChatMessage } from '../../contracts/events';
import { messageIdFor, newEpoch } from '../message-id';
import {
  RateLimitExceeded, type AppendInput, type AppendResult, type BusEvent, type ChannelMeta, type MessageLog, type MessagePatch, type RangeQuery, type RangeResult,
} from '../engine.ports';
import type { MemoryRateLimiter } from './memory-rate-limiter';

interface ChannelState {
  epoch: string;
  lastSeq: number;
  /** Retained messages, ascending by seq, at most `maxLen`. */
  messages: ChatMessage[];
  createdAt: number;
}

/** Retries come within minutes; remembering the last 100k sends covers them on one instance. */
export const MAX_IDEMPOTENCY_KEYS = 100_000;

/** Single-instance MessageLog; the bus is an in-process call. */
export class MemoryMessageLog implements MessageLog {
  private readonly channels = new Map<string, ChannelState>();
  /** key `${channelId}\u0000${userId}\u0000${clientMsgId}` → [channelId, seq, expiresAt] */
  private readonly idempotency = new Map<string, { channelId: string; seq: number; message: ChatMessage; expiresAt: number }>();
  private listener: ((e: BusEvent) => void) | null = null;

  constructor(private readonly maxLen: number, private readonly idempotencyTtlMs: number, private readonly rates: MemoryRateLimiter) {}

  subscribe(listener: (event: BusEvent) => void): void {
    this.listener = listener;
  }

  /** Every event is already local: there is nothing to follow. */
  async follow(): Promise<void> {}

  async unfollow(): Promise<void> {}

  private state(channelId: string): ChannelState {
    let s = this.channels.get(channelId);
    if (!s) {
      s = { epoch: newEpoch(), lastSeq: 0, messages: [], createdAt: Date.now() };
      this.channels.set(channelId, s);
    }
    return s;
  }

  async append(input: AppendInput): Promise<AppendResult> {
    const key = `${input.channelId}\u0000${input.userId}\u0000${input.clientMsgId}`;
    const prior = this.idempotency.get(key);
    if (prior && prior.expiresAt > input.now) return { message: prior.message, duplicate: true };
    if (input.rate) {
      const decision = await this.rates.consume(input.rate.key, input.rate.capacity, input.rate.windowMs, input.now);
      if (!decision.allowed) throw new RateLimitExceeded(decision.retryAfterMs);
    }
    const s = this.state(input.channelId);
    const seq = ++s.lastSeq;
    const message: ChatMessage = {
      id: messageIdFor(s.epoch, seq),
      channelId: input.channelId,
      seq,
      userId: input.userId,
      content: input.content,
      clientMsgId: input.clientMsgId,
      createdAt: new Date(input.now).toISOString(),
      ...(input.threadId ? { threadId: input.threadId } : {}),
    };
    s.messages.push(message);
    if (s.messages.length > this.maxLen) s.messages.splice(0, s.messages.length - this.maxLen);
    this.idempotency.set(key, { channelId: input.channelId, seq, message, expiresAt: input.now + this.idempotencyTtlMs });
    // Without a bound a busy single instance would keep every message for IDEMPOTENCY_TTL_SEC;
    // Maps iterate in insertion order, so the first keys are the oldest sends.
    if (this.idempotency.size > MAX_IDEMPOTENCY_KEYS) {
      for (const k of this.idempotency.keys()) {
        this.idempotency.delete(k);
        if (this.idempotency.size <= MAX_IDEMPOTENCY_KEYS) break;
      }
    }
    this.listener?.({ kind: 'message:new', message });
    return { message, duplicate: false };
  }

  async get(channelId: string, seq: number): Promise<ChatMessage | null> {
    const s = this.channels.get(channelId);
    return s?.messages.find((m) => m.seq === seq) ?? null;
  }

  async update(channelId: string, seq: number, patch: MessagePatch): Promise<ChatMessage | null> {
    const s = this.channels.get(channelId);
    const idx = s ? s.messages.findIndex((m) => m.seq === seq) : -1;
    // A deleted message stays deleted: a later edit or delete finds nothing to change (as in redis).
    if (!s || idx < 0 || s.messages[idx].deleted) return null;
    const editedAt = new Date(patch.now).toISOString();
    const updated: ChatMessage = patch.deleted
      ? { ...s.messages[idx], content: '', deleted: true, editedAt, deletedBy: patch.by }
      : { ...s.messages[idx], content: patch.content ?? s.messages[idx].content, editedAt, editedBy: patch.by };
    s.messages[idx] = updated;
    this.listener?.(
      patch.deleted
        ? { kind: 'message:deleted', channelId, messageId: updated.id, seq, deletedBy: patch.by }
        : { kind: 'message:updated', message: updated },
    );
    return updated;
  }

  async range(channelId: string, q: RangeQuery): Promise<RangeResult> {
    const all = (this.channels.get(channelId)?.messages ?? []).filter((m) => !q.threadId || m.threadId === q.threadId);
    if (q.afterSeq !== undefined) {
      const after = all.filter((m) => m.seq > q.afterSeq!);
      return { messages: after.slice(0, q.limit), hasMore: after.length > q.limit };
    }
    const before = q.beforeSeq !== undefined ? all.filter((m) => m.seq < q.beforeSeq!) : all;
    const start = Math.max(0, before.length - q.limit);
    return { messages: before.slice(start), hasMore: start > 0 };
  }

  async meta(channelId: string): Promise<ChannelMeta> {
    const s = this.state(channelId);
    return { epoch: s.epoch, lastSeq: s.lastSeq, firstSeq: s.messages[0]?.seq ?? 0 };
  }

  /** Drops expired idempotency keys (the maintenance job calls this). */
  expireIdempotency(now: number): number {
    let n = 0;
    for (const [k, v] of this.idempotency) if (v.expiresAt <= now) { this.idempotency.delete(k); n++; }
    return n;
  }

  /** Re-trims every channel to `maxLen`; returns channels looked at and messages removed. */
  trimAll(maxLen: number): { scanned: number; trimmed: number } {
    let trimmed = 0;
    for (const s of this.channels.values()) {
      if (s.messages.length > maxLen) {
        trimmed += s.messages.length - maxLen;
        s.messages.splice(0, s.messages.length - maxLen);
      }
    }
    return { scanned: this.channels.size, trimmed };
  }

  /** Channels whose newest message (or creation, when empty) is older than `idleMs`. */
  idleChannels(now: number, idleMs: number): string[] {
    const out: string[] = [];
    for (const [id, s] of this.channels) {
      const last = s.messages[s.messages.length - 1];
      const lastAt = last ? Date.parse(last.createdAt) : s.createdAt;
      if (now - lastAt >= idleMs) out.push(id);
    }
    return out;
  }

  drop(channelId: string): void {
    this.channels.delete(channelId);
  }
}
