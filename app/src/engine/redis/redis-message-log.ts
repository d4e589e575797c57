import type { ChatMessage } from '../../contracts/events';
import { EngineUnavailableError } from '../../common/gateway-error';
import { newEpoch } from '../message-id';
import {
  RateLimitExceeded, type AppendInput, type AppendResult, type BusEvent, type ChannelMeta, type MessageLog, type MessagePatch,
  type RangeQuery, type RangeResult, type RateLimiter,
} from '../engine.ports';
import { APPEND_LUA, META_LUA, RANGE_LUA, UPDATE_LUA } from './message-log.lua';
import type { ChannelTopics } from './redis-channel-topics';
import type { RedisCommandRunner } from './redis-command-runner';
import { isCluster, type RedisClient } from './redis-connection';
import type { RedisKeys } from './redis-keys';
import { isNoScript, LuaScript, scriptsFor } from './lua-scripts';

interface MessageLogCommands {
  sgAppend(...args: Array<string | number>): Promise<[number, string]>;
  sgUpdate(...args: Array<string | number>): Promise<string | null>;
  sgMeta(...args: Array<string | number>): Promise<[string, string, string]>;
  sgRange(...args: Array<string | number>): Promise<[StreamEntry[], Array<string | null>]>;
}

/** The same scripts queued on a pipeline (followed there by WAIT, on the same node). */
interface PipelinedScripts {
  evalsha(sha: string, ...args: Array<string | number>): PipelinedScripts;
  eval(lua: string, ...args: Array<string | number>): PipelinedScripts;
  wait(replicas: number, timeoutMs: number): PipelinedScripts;
  exec(): Promise<Array<[Error | null, unknown]> | null>;
}

/** The writing scripts, also run in a pipeline with WAIT. */
const WRITES = { sgAppend: new LuaScript({ numberOfKeys: 6, lua: APPEND_LUA }), sgUpdate: new LuaScript({ numberOfKeys: 3, lua: UPDATE_LUA }) };

type StreamEntry = [id: string, fields: string[]];

export interface RedisMessageLogOptions {
  historyMaxLen: number;
  idempotencyTtlSec: number;
  /** Replicas that must hold a write before it resolves (0: none). */
  waitReplicas: number;
  engineTimeoutMs: number;
}

/** Entries read per round trip when filtering a thread out of the channel's stream. */
const THREAD_SCAN_CHUNK = 200;

/**
 * MessageLog on Redis: a Stream per channel (entry id `<seq>-0`), a hash of edit overlays and
 * idempotency keys, all written — and the event published on the channel's own topic, in the same
 * hash slot — by one script per operation, so every instance following the channel receives its
 * events in seq order. With `waitReplicas` the script is pipelined with `WAIT` on the same
 * connection, and the write only resolves once that many replicas hold it.
 */
export class RedisMessageLog implements MessageLog {
  private listener: ((event: BusEvent) => void) | null = null;
  private readonly scripts: MessageLogCommands;

  constructor(
    private readonly redis: RedisClient,
    private readonly topics: ChannelTopics,
    private readonly keys: RedisKeys,
    private readonly runner: RedisCommandRunner,
    private readonly opts: RedisMessageLogOptions,
    private readonly onError: (err: Error) => void,
    private readonly rateLimiter: RateLimiter,
  ) {
    this.scripts = scriptsFor<MessageLogCommands>(redis, {
      sgAppend: WRITES.sgAppend.definition,
      sgUpdate: WRITES.sgUpdate.definition,
      sgMeta: { numberOfKeys: 3, lua: META_LUA },
      sgRange: { numberOfKeys: 2, lua: RANGE_LUA },
    });
  }

  subscribe(listener: (event: BusEvent) => void): void {
    this.listener = listener;
  }

  follow(channelId: string): Promise<void> {
    return this.topics.follow(this.keys.events(channelId));
  }

  unfollow(channelId: string): Promise<void> {
    return this.topics.unfollow(this.keys.events(channelId));
  }

  /** An event received on a followed topic. */
  deliver(payload: string): void {
    try {
      this.listener?.(JSON.parse(payload) as BusEvent);
    } catch (err) {
      // A failing listener must not take the subscriber connection down with it.
      this.onError(err as Error);
    }
  }

  append(input: AppendInput): Promise<AppendResult> {
    const { channelId, rate } = input;
    // On a Cluster the sender's bucket is in another slot: it is consumed first, in its own call.
    const inScript = rate !== undefined && !isCluster(this.redis);
    return this.runner.run('append', async () => {
      if (rate && !inScript) {
        const decision = await this.rateLimiter.consume(rate.key, rate.capacity, rate.windowMs, input.now);
        if (!decision.allowed) throw new RateLimitExceeded(decision.retryAfterMs);
      }
      const [outcome, value] = await this.script<[number, string | number]>('sgAppend', [
        this.keys.meta(channelId), this.keys.log(channelId), this.keys.edits(channelId),
        this.keys.idempotency(channelId, input.userId, input.clientMsgId), this.keys.events(channelId),
        inScript ? this.keys.rateBucket(rate.key) : this.keys.meta(channelId),
        this.topics.publishCommand, newEpoch(), this.opts.historyMaxLen, this.opts.idempotencyTtlSec,
        channelId, input.userId, input.content, input.clientMsgId, new Date(input.now).toISOString(), input.threadId ?? '',
        inScript ? rate.capacity : '', inScript ? rate.windowMs : '', input.now,
      ]);
      if (Number(outcome) === 2) throw new RateLimitExceeded(Number(value));
      return { message: JSON.parse(String(value)) as ChatMessage, duplicate: Number(outcome) === 1 };
    });
  }

  /**
   * Runs a writing script; with `waitReplicas` it is pipelined with WAIT, which a Cluster client
   * sends to the same primary as the script (the pipeline's keys pick the node). WAIT's own
   * timeout is half the engine deadline, so a shortfall answers UNAVAILABLE before the deadline.
   */
  private async script<T>(name: 'sgAppend' | 'sgUpdate', args: Array<string | number>): Promise<T> {
    const replicas = this.opts.waitReplicas;
    if (replicas === 0) return (this.scripts[name] as (...a: Array<string | number>) => Promise<T>)(...args);
    let replies = await this.withWait(WRITES[name].sha, WRITES[name].evalArguments(args), replicas, false);
    // A node that lost its script cache (restart, failover) ran nothing: send the script itself.
    if (isNoScript(replies[0]?.[0])) replies = await this.withWait(WRITES[name].definition.lua, WRITES[name].evalArguments(args), replicas, true);
    const [scriptErr, result] = replies[0] ?? [new Error('no reply to the script')];
    if (scriptErr) throw movedToUnavailable(scriptErr);
    const [waitErr, acked] = replies[1] ?? [new Error('no reply to WAIT')];
    if (waitErr) throw movedToUnavailable(waitErr);
    if (Number(acked) < replicas) {
      throw new EngineUnavailableError(`write held by ${Number(acked)} of ${replicas} required replicas`);
    }
    return result as T;
  }

  private async withWait(script: string, args: Array<string | number>, replicas: number, source: boolean): Promise<Array<[Error | null, unknown]>> {
    const pipeline = this.redis.pipeline() as unknown as PipelinedScripts;
    (source ? pipeline.eval(script, ...args) : pipeline.evalsha(script, ...args)).wait(replicas, Math.max(1, Math.floor(this.opts.engineTimeoutMs / 2)));
    return (await pipeline.exec()) ?? [];
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
      const json = await this.script<string | null>('sgUpdate', [
        this.keys.log(channelId), this.keys.edits(channelId), this.keys.events(channelId),
        this.topics.publishCommand, seq, patch.deleted ? 'delete' : 'edit', patch.content ?? '', new Date(patch.now).toISOString(), patch.by,
      ]);
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
      if (q.threadId) {
        const found = await this.scanThread(channelId, q.threadId, start, ascending, limit + 1);
        const page = found.slice(0, limit);
        if (!ascending) page.reverse();
        return { messages: await this.applyOverlays(channelId, page), hasMore: found.length > limit };
      }
      // The page and its overlays in one round trip (a rejoin's replay rides along with the join).
      const [entries, overlays] = await this.scripts.sgRange(this.keys.log(channelId), this.keys.edits(channelId), ascending ? 'asc' : 'desc', start, limit + 1);
      const page = entries.slice(0, limit).map((e, i) => withOverlay(parseEntry(e).message, overlays[i]));
      if (!ascending) page.reverse();
      return { messages: page, hasMore: entries.length > limit };
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

/**
 * ioredis follows MOVED/ASK by itself except inside a pipeline with a write in it. There the
 * refusal means the slot just moved (a failover) and nothing was written: UNAVAILABLE, so the
 * client retries, by then against the slot's new primary.
 */
function movedToUnavailable(err: Error): Error {
  return /^(MOVED|ASK) /.test(err.message) ? new EngineUnavailableError(`slot moved: ${err.message}`) : err;
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
