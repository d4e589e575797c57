import type Redis from 'ioredis';
import type { ChatMessage } from '../../contracts/events';
import { newEpoch } from '../message-id';
import type {
  AppendInput, AppendResult, BusEvent, ChannelMeta, MessageLog, MessagePatch, RangeQuery, RangeResult,
} from '../engine.ports';
import { APPEND_LUA, META_LUA, UPDATE_LUA } from './message-log.lua';
import type { RedisCommandRunner } from './redis-command-runner';
import type { RedisKeys } from './redis-keys';

interface MessageLogCommands {
  sgAppend(...args: Array<string | number>): Promise<[number, string]>;
  sgUpdate(...args: Array<string | number>): Promise<string | null>;
  sgMeta(...args: Array<string | number>): Promise<[string, string, string]>;
}

type StreamEntry = [id: string, fields: string[]];

export interface RedisMessageLogOptions {
  historyMaxLen: number;
  idempotencyTtlSec: number;
}

/** Entries read per round trip when filtering a thread out of the channel's stream. */
const THREAD_SCAN_CHUNK = 200;

/**
 * MessageLog on Redis: a Stream per channel (entry id `<seq>-0`), a hash of edit overlays and
 * idempotency keys, all written — and the bus event published — by one script per operation, so
 * every instance's subscriber receives a channel's events in seq order.
 */
export class RedisMessageLog implements MessageLog {
  private listener: ((event: BusEvent) => void) | null = null;
  private readonly scripts: MessageLogCommands;

  constructor(
    private readonly redis: Redis,
    subscriber: Redis,
    private readonly keys: RedisKeys,
    private readonly runner: RedisCommandRunner,
    private readonly opts: RedisMessageLogOptions,
    private readonly onError: (err: Error) => void,
  ) {
    redis.defineCommand('sgAppend', { numberOfKeys: 4, lua: APPEND_LUA });
    redis.defineCommand('sgUpdate', { numberOfKeys: 2, lua: UPDATE_LUA });
    redis.defineCommand('sgMeta', { numberOfKeys: 3, lua: META_LUA });
    this.scripts = redis as unknown as MessageLogCommands;
    subscriber.on('message', (channel: string, payload: string) => {
      if (channel === keys.bus) this.deliver(payload);
    });
  }

  subscribe(listener: (event: BusEvent) => void): void {
    this.listener = listener;
  }

  private deliver(payload: string): void {
    try {
      this.listener?.(JSON.parse(payload) as BusEvent);
    } catch (err) {
      // A failing listener must not take the subscriber connection down with it.
      this.onError(err as Error);
    }
  }

  append(input: AppendInput): Promise<AppendResult> {
    const { channelId } = input;
    return this.runner.run('append', async () => {
      const [duplicate, json] = await this.scripts.sgAppend(
        this.keys.meta(channelId), this.keys.log(channelId), this.keys.edits(channelId),
        this.keys.idempotency(channelId, input.userId, input.clientMsgId),
        this.keys.bus, newEpoch(), this.opts.historyMaxLen, this.opts.idempotencyTtlSec,
        channelId, input.userId, input.content, input.clientMsgId, new Date(input.now).toISOString(), input.threadId ?? '',
      );
      return { message: JSON.parse(json) as ChatMessage, duplicate: Number(duplicate) === 1 };
    });
  }

  get(channelId: string, seq: number): Promise<ChatMessage | null> {
    return this.runner.run('get', async () => {
      const id = `${seq}-0`;
      const [entries, overlay] = await Promise.all([
        this.redis.xrange(this.keys.log(channelId), id, id),
        this.redis.hget(this.keys.edits(channelId), String(seq)),
      ]);
      if (entries.length === 0) return null;
      return withOverlay(parseEntry(entries[0]).message, overlay);
    });
  }

  update(channelId: string, seq: number, patch: MessagePatch): Promise<ChatMessage | null> {
    return this.runner.run('update', async () => {
      const json = await this.scripts.sgUpdate(
        this.keys.log(channelId), this.keys.edits(channelId),
        this.keys.bus, seq, patch.deleted ? 'delete' : 'edit', patch.content ?? '', new Date(patch.now).toISOString(), patch.by,
      );
      // nil (not retained, or already deleted) arrives as null.
      return json ? (JSON.parse(json) as ChatMessage) : null;
    });
  }

  range(channelId: string, q: RangeQuery): Promise<RangeResult> {
    return this.runner.run('range', async () => {
      const limit = Math.max(0, q.limit);
      const ascending = q.afterSeq !== undefined;
      const start = ascending
        ? q.afterSeq! > 0 ? `(${q.afterSeq}-0` : '-'
        : q.beforeSeq !== undefined ? `(${q.beforeSeq}-0` : '+';
      const found = q.threadId
        ? await this.scanThread(channelId, q.threadId, start, ascending, limit + 1)
        : (await this.read(channelId, start, ascending, limit + 1)).map((e) => parseEntry(e).message);
      const hasMore = found.length > limit;
      const page = found.slice(0, limit);
      if (!ascending) page.reverse();
      return { messages: await this.applyOverlays(channelId, page), hasMore };
    });
  }

  meta(channelId: string): Promise<ChannelMeta> {
    return this.runner.run('meta', async () => {
      const [epoch, lastSeq, firstId] = await this.scripts.sgMeta(
        this.keys.meta(channelId), this.keys.log(channelId), this.keys.edits(channelId), newEpoch(),
      );
      return { epoch, lastSeq: Number(lastSeq), firstSeq: seqOfId(firstId) };
    });
  }

  private read(channelId: string, start: string, ascending: boolean, count: number): Promise<StreamEntry[]> {
    const key = this.keys.log(channelId);
    return ascending
      ? this.redis.xrange(key, start, '+', 'COUNT', count)
      : this.redis.xrevrange(key, start, '-', 'COUNT', count);
  }

  /** Walks the stream in chunks; bounded because the stream holds at most historyMaxLen entries. */
  private async scanThread(channelId: string, threadId: string, start: string, ascending: boolean, want: number): Promise<ChatMessage[]> {
    const out: ChatMessage[] = [];
    let cursor = start;
    while (out.length < want) {
      const chunk = await this.read(channelId, cursor, ascending, THREAD_SCAN_CHUNK);
      for (const entry of chunk) {
        const parsed = parseEntry(entry);
        if (parsed.threadId === threadId) out.push(parsed.message);
        if (out.length === want) break;
      }
      if (chunk.length < THREAD_SCAN_CHUNK) break;
      cursor = `(${chunk[chunk.length - 1][0]}`;
    }
    return out;
  }

  private async applyOverlays(channelId: string, messages: ChatMessage[]): Promise<ChatMessage[]> {
    if (messages.length === 0) return messages;
    const overlays = await this.redis.hmget(this.keys.edits(channelId), ...messages.map((m) => String(m.seq)));
    return messages.map((m, i) => withOverlay(m, overlays[i]));
  }
}

function parseEntry([, fields]: StreamEntry): { message: ChatMessage; threadId: string | undefined } {
  let message: ChatMessage | undefined;
  let threadId: string | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'm') message = JSON.parse(fields[i + 1]) as ChatMessage;
    else if (fields[i] === 't') threadId = fields[i + 1];
  }
  if (!message) throw new Error('stream entry without a message field');
  return { message, threadId };
}

function withOverlay(message: ChatMessage, overlay: string | null | undefined): ChatMessage {
  return overlay ? { ...message, ...(JSON.parse(overlay) as Partial<ChatMessage>) } : message;
}

function seqOfId(id: string): number {
  return Number(id.split('-')[0]);
}
