import { startRedisTopology, TOPOLOGIES, type RedisTopologyHarness, type TopologyMode } from '../../test/support/redis-topology';
import type { ChatMessage } from '../contracts/events';
import { RateLimitExceeded, type AppendInput, type BusEvent, type Engine, type MembershipStore } from './engine.ports';
import { MemoryEngine } from './memory/memory.engine';
import { messageIdFor } from './message-id';
import type { PruneResult } from './redis/redis-membership';
import { RedisEngine } from './redis/redis.engine';
import { EngineUnavailableError } from '../common/gateway-error';
import { notificationInboxContract } from '../../test/engine-contracts/notification-inbox.contract';
import { handshakeContract } from '../../test/engine-contracts/handshake.contract';
import { webhookQueueContract } from '../../test/engine-contracts/webhook-queue.contract';

type PrunableEngine = Engine & { membership: MembershipStore & { pruneInstance(instanceId: string, now: number): Promise<PruneResult> } };

interface EngineOptions { historyMaxLen?: number; waitReplicas?: number }

/** How one engine kind is created; `shared` engines of one test see the same state (redis only). */
interface Harness {
  kind: 'memory' | 'redis';
  /** Shown in the suite name; the Redis topology for redis harnesses. */
  label: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A new engine on fresh state. */
  create(opts?: EngineOptions): Promise<PrunableEngine>;
  /** Another engine on the same state as the last `create` (another gateway instance). */
  createPeer?(opts?: EngineOptions): Promise<PrunableEngine>;
  /** Loses every stored key (FLUSHALL). */
  flush?(): Promise<void>;
  /** Empties the script cache of every primary (SCRIPT FLUSH). */
  flushScripts?(): Promise<void>;
  /** Replicas behind each primary (what REDIS_WAIT_REPLICAS can ask for). */
  replicas?: number;
}

const T0 = Date.parse('2025-01-01T00:00:00.000Z');

function memoryHarness(): Harness {
  return {
    kind: 'memory',
    label: 'memory',
    async setup() {},
    async teardown() {},
    async create(opts = {}) {
      return new MemoryEngine({ historyMaxLen: opts.historyMaxLen ?? 1000, idempotencyTtlSec: 86400 });
    },
  };
}

function redisHarness(mode: TopologyMode): Harness & { redis(): RedisTopologyHarness } {
  let redis: RedisTopologyHarness;
  let prefix = '';
  let n = 0;
  const connect = (opts: EngineOptions) => RedisEngine.connect({
    topology: redis.topology,
    keyPrefix: prefix,
    historyMaxLen: opts.historyMaxLen ?? 1000,
    idempotencyTtlSec: 86400,
    engineTimeoutMs: 1500,
    rejoinGraceMs: 600_000,
    waitReplicas: opts.waitReplicas,
  });
  return {
    kind: 'redis',
    replicas: mode === 'standalone' ? 0 : 1,
    label: `redis ${mode}`,
    redis: () => redis,
    async setup() {
      redis = await startRedisTopology(mode);
    },
    async teardown() {
      await redis?.stop();
    },
    async create(opts = {}) {
      // A fresh prefix per engine isolates tests without flushing between them.
      prefix = `t${++n}`;
      return connect(opts);
    },
    async createPeer(opts = {}) {
      return connect(opts);
    },
    flush: () => redis.flushAll(),
    flushScripts: () => redis.flushScripts(),
  };
}

/** Collects bus events and lets a test wait for a count of them. */
class BusRecorder {
  readonly events: BusEvent[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  readonly listener = (e: BusEvent): void => {
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (this.events.length < w.count) return true;
      w.resolve();
      return false;
    });
  };

  waitFor(count: number): Promise<BusEvent[]> {
    if (this.events.length >= count) return Promise.resolve(this.events);
    return new Promise((resolve) => this.waiters.push({ count, resolve: () => resolve(this.events) }));
  }
}

const harnesses: Harness[] = [memoryHarness(), ...TOPOLOGIES.map(redisHarness)];

describe.each(harnesses)('Engine contract ($label)', (h) => {
  const opened: Engine[] = [];
  const make = async (opts?: EngineOptions) => track(await h.create(opts));
  const peer = async (opts?: EngineOptions) => track(await h.createPeer!(opts));
  const track = <E extends Engine>(e: E): E => {
    opened.push(e);
    return e;
  };
  let clientMsg = 0;
  const input = (over: Partial<AppendInput> = {}): AppendInput => ({
    channelId: 'general',
    userId: 'alice',
    content: 'hello',
    clientMsgId: `c-${++clientMsg}`,
    now: T0,
    ...over,
  });
  // Cross-instance behaviour only exists in the redis engine; the memory run registers no such test.
  const redisOnly = (name: string, fn: () => Promise<void>): void => {
    if (h.kind === 'redis') it(name, fn);
  };

  beforeAll(() => h.setup(), 60_000);
  afterAll(() => h.teardown());
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((e) => e.close()));
  });

  describe('MessageLog', () => {
    it('should consume the sender\u2019s bucket in the append: nothing stored without a token, and a duplicate costs none (but on a Cluster)', async () => {
      const e = await make();
      // On a Cluster the bucket is in another slot and is consumed before the append, so an
      // idempotent retry takes a token there too (README, "Rate limits").
      const cluster = h.label === 'redis cluster';
      const rate = { key: 'u:alice:message:send', capacity: cluster ? 3 : 2, windowMs: 60_000 };
      const first = await e.messages.append(input({ clientMsgId: 'r-1', rate }));
      await e.messages.append(input({ clientMsgId: 'r-2', rate }));
      expect(await e.messages.append(input({ clientMsgId: 'r-1', rate }))).toEqual({ message: first.message, duplicate: true });
      await expect(e.messages.append(input({ clientMsgId: 'r-3', rate }))).rejects.toEqual(new RateLimitExceeded(cluster ? 20_000 : 30_000));
      expect((await e.messages.meta('general')).lastSeq).toBe(2);
      // The bucket is the rate limiter's own: a plain consume sees it empty, and it refills with time.
      expect((await e.rateLimiter.consume(rate.key, rate.capacity, 60_000, T0)).allowed).toBe(false);
      expect((await e.messages.append(input({ clientMsgId: 'r-3', rate, now: T0 + 30_000 }))).message.seq).toBe(3);
    });

    it('should assign strictly increasing seqs and ids from the channel epoch', async () => {
      const e = await make();
      const { epoch } = await e.messages.meta('general');
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await e.messages.append(input({ now: T0 + i, content: `m${i}` })));
      expect(results.map((r) => r.message.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(results.every((r) => !r.duplicate)).toBe(true);
      expect(results[2].message).toEqual({
        id: messageIdFor(epoch, 3), channelId: 'general', seq: 3, userId: 'alice', content: 'm2',
        clientMsgId: results[2].message.clientMsgId, createdAt: new Date(T0 + 2).toISOString(),
      });
      expect(await e.messages.meta('general')).toEqual({ epoch, lastSeq: 5, firstSeq: 1 });
      expect((await e.messages.append(input({ channelId: 'other' }))).message.seq).toBe(1);
    });

    it('should report an empty channel as lastSeq 0 and firstSeq 0 with a stable epoch', async () => {
      const e = await make();
      const first = await e.messages.meta('empty');
      expect(first).toEqual({ epoch: expect.stringMatching(/^[a-z0-9]+$/), lastSeq: 0, firstSeq: 0 });
      expect(await e.messages.meta('empty')).toEqual(first);
      expect(await e.messages.get('empty', 1)).toBeNull();
      expect(await e.messages.range('empty', { limit: 10 })).toEqual({ messages: [], hasMore: false });
    });

    it('should keep content with quotes, slashes, unicode and JSON-like text intact', async () => {
      const e = await make();
      const content = 'a "quote" \\ back/slash \n newline — ünïcødé 🎉 {"kind":"x"} \u0000';
      const { message } = await e.messages.append(input({ content, threadId: 't/1"' }));
      expect(message.content).toBe(content);
      expect(message.threadId).toBe('t/1"');
      expect((await e.messages.get('general', message.seq))?.content).toBe(content);
    });

    it('should return the original on an idempotent retry and publish nothing', async () => {
      const e = await make();
      const bus = new BusRecorder();
      e.messages.subscribe(bus.listener);
      await e.messages.follow('general');
      const first = await e.messages.append(input({ clientMsgId: 'same', content: 'original' }));
      const retry = await e.messages.append(input({ clientMsgId: 'same', content: 'changed', now: T0 + 5000 }));
      expect(retry).toEqual({ message: first.message, duplicate: true });
      // Another user's identical clientMsgId is a different message.
      const other = await e.messages.append(input({ clientMsgId: 'same', userId: 'bob' }));
      expect(other.duplicate).toBe(false);
      expect(other.message.seq).toBe(2);
      // The bus is ordered, so once the next message's event is in, a duplicate's would have been too.
      const events = await bus.waitFor(2);
      expect(events.map((ev) => (ev.kind === 'message:new' ? ev.message.seq : -1))).toEqual([1, 2]);
    });

    it('should keep at most historyMaxLen messages and move firstSeq', async () => {
      const e = await make({ historyMaxLen: 5 });
      for (let i = 1; i <= 8; i++) await e.messages.append(input());
      const meta = await e.messages.meta('general');
      expect(meta.lastSeq).toBe(8);
      expect(meta.firstSeq).toBe(4);
      const all = await e.messages.range('general', { afterSeq: 0, limit: 100 });
      expect(all.messages.map((m) => m.seq)).toEqual([4, 5, 6, 7, 8]);
      expect(all.hasMore).toBe(false);
      expect(await e.messages.get('general', 3)).toBeNull();
      expect(await e.messages.update('general', 2, { content: 'late', by: 'alice', now: T0 })).toBeNull();
    });

    it('should drop the overlays of trimmed messages with them', async () => {
      const e = await make({ historyMaxLen: 2 });
      const m1 = (await e.messages.append(input())).message;
      await e.messages.update('general', m1.seq, { content: 'edited', by: 'alice', now: T0 });
      await e.messages.append(input());
      await e.messages.append(input());
      expect(await e.messages.get('general', 1)).toBeNull();
      expect((await e.messages.range('general', { limit: 10 })).messages.map((m) => [m.seq, m.content])).toEqual([[2, 'hello'], [3, 'hello']]);
    });

    it('should page forward with afterSeq and backward with beforeSeq, with hasMore', async () => {
      const e = await make();
      for (let i = 1; i <= 10; i++) await e.messages.append(input({ content: `m${i}` }));
      const seqs = (r: { messages: ChatMessage[] }) => r.messages.map((m) => m.seq);

      const newest = await e.messages.range('general', { limit: 4 });
      expect([seqs(newest), newest.hasMore]).toEqual([[7, 8, 9, 10], true]);
      const older = await e.messages.range('general', { beforeSeq: 7, limit: 4 });
      expect([seqs(older), older.hasMore]).toEqual([[3, 4, 5, 6], true]);
      const oldest = await e.messages.range('general', { beforeSeq: 3, limit: 4 });
      expect([seqs(oldest), oldest.hasMore]).toEqual([[1, 2], false]);
      const exact = await e.messages.range('general', { beforeSeq: 5, limit: 4 });
      expect([seqs(exact), exact.hasMore]).toEqual([[1, 2, 3, 4], false]);

      const fromStart = await e.messages.range('general', { afterSeq: 0, limit: 4 });
      expect([seqs(fromStart), fromStart.hasMore]).toEqual([[1, 2, 3, 4], true]);
      const next = await e.messages.range('general', { afterSeq: 4, limit: 4 });
      expect([seqs(next), next.hasMore]).toEqual([[5, 6, 7, 8], true]);
      const last = await e.messages.range('general', { afterSeq: 8, limit: 4 });
      expect([seqs(last), last.hasMore]).toEqual([[9, 10], false]);
      const fits = await e.messages.range('general', { afterSeq: 6, limit: 4 });
      expect([seqs(fits), fits.hasMore]).toEqual([[7, 8, 9, 10], false]);
      expect(await e.messages.range('general', { afterSeq: 10, limit: 4 })).toEqual({ messages: [], hasMore: false });
    });

    it('should filter a thread in every paging direction', async () => {
      const e = await make();
      // Thread t1 gets every third message, spread over more entries than one scan chunk.
      for (let i = 1; i <= 450; i++) await e.messages.append(input({ threadId: i % 3 === 0 ? 't1' : undefined }));
      const seqs = (r: { messages: ChatMessage[] }) => r.messages.map((m) => m.seq);

      const newest = await e.messages.range('general', { threadId: 't1', limit: 3 });
      expect([seqs(newest), newest.hasMore]).toEqual([[444, 447, 450], true]);
      const before = await e.messages.range('general', { threadId: 't1', beforeSeq: 10, limit: 5 });
      expect([seqs(before), before.hasMore]).toEqual([[3, 6, 9], false]);
      const after = await e.messages.range('general', { threadId: 't1', afterSeq: 3, limit: 2 });
      expect([seqs(after), after.hasMore]).toEqual([[6, 9], true]);
      const all = await e.messages.range('general', { threadId: 't1', afterSeq: 0, limit: 200 });
      expect(all.messages).toHaveLength(150);
      expect(all.hasMore).toBe(false);
      expect(all.messages.every((m) => m.threadId === 't1')).toBe(true);
      expect(await e.messages.range('general', { threadId: 'nope', limit: 5 })).toEqual({ messages: [], hasMore: false });
    });

    it('should show edits and deletes through get and range and publish them in order', async () => {
      const e = await make();
      const bus = new BusRecorder();
      e.messages.subscribe(bus.listener);
      await e.messages.follow('general');
      const a = (await e.messages.append(input({ content: 'first' }))).message;
      const b = (await e.messages.append(input({ content: 'second' }))).message;

      const edited = await e.messages.update('general', a.seq, { content: 'first, edited', by: 'mod-mia', now: T0 + 1000 });
      expect(edited).toEqual({ ...a, content: 'first, edited', editedAt: new Date(T0 + 1000).toISOString(), editedBy: 'mod-mia' });
      const deleted = await e.messages.update('general', b.seq, { deleted: true, by: 'mod-max', now: T0 + 2000 });
      expect(deleted).toEqual({ ...b, content: '', deleted: true, editedAt: new Date(T0 + 2000).toISOString(), deletedBy: 'mod-max' });

      expect(await e.messages.get('general', a.seq)).toEqual(edited);
      expect(await e.messages.get('general', b.seq)).toEqual(deleted);
      expect((await e.messages.range('general', { limit: 10 })).messages).toEqual([edited, deleted]);
      expect((await e.messages.range('general', { afterSeq: 0, limit: 10 })).messages).toEqual([edited, deleted]);

      const events = await bus.waitFor(4);
      expect(events).toEqual([
        { kind: 'message:new', message: a },
        { kind: 'message:new', message: b },
        { kind: 'message:updated', message: edited },
        { kind: 'message:deleted', channelId: 'general', messageId: b.id, seq: b.seq, deletedBy: 'mod-max' },
      ]);
    });

    it('should refuse to edit or delete a deleted or unknown message', async () => {
      const e = await make();
      const a = (await e.messages.append(input())).message;
      await e.messages.update('general', a.seq, { deleted: true, by: 'alice', now: T0 });
      expect(await e.messages.update('general', a.seq, { content: 'back', by: 'alice', now: T0 })).toBeNull();
      expect(await e.messages.update('general', a.seq, { deleted: true, by: 'alice', now: T0 })).toBeNull();
      expect(await e.messages.update('general', 99, { content: 'x', by: 'alice', now: T0 })).toBeNull();
      expect(await e.messages.update('elsewhere', 1, { content: 'x', by: 'alice', now: T0 })).toBeNull();
      expect((await e.messages.get('general', a.seq))?.deleted).toBe(true);
    });

    it('should keep a second edit as the visible content', async () => {
      const e = await make();
      const a = (await e.messages.append(input())).message;
      await e.messages.update('general', a.seq, { content: 'v2', by: 'alice', now: T0 + 1 });
      await e.messages.update('general', a.seq, { content: 'v3', by: 'mod-mo', now: T0 + 2 });
      expect(await e.messages.get('general', a.seq)).toEqual({ ...a, content: 'v3', editedAt: new Date(T0 + 2).toISOString(), editedBy: 'mod-mo' });
    });

    redisOnly('should give unique consecutive seqs to concurrent appends from two instances', async () => {
      const a = await make();
      const b = await peer();
      const sends = [];
      for (let i = 0; i < 100; i++) sends.push((i % 2 ? a : b).messages.append(input()));
      const seqs = (await Promise.all(sends)).map((r) => r.message.seq).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect((await b.messages.meta('general')).lastSeq).toBe(100);
    });

    redisOnly('should deliver bus events to another instance in seq order', async () => {
      const a = await make();
      const b = await peer();
      const bus = new BusRecorder();
      b.messages.subscribe(bus.listener);
      await Promise.all([b.messages.follow('left'), b.messages.follow('right')]);
      const sends = [];
      for (let i = 0; i < 60; i++) {
        const channelId = i % 2 ? 'left' : 'right';
        sends.push((i % 3 ? a : b).messages.append(input({ channelId })));
      }
      await Promise.all(sends);
      const events = await bus.waitFor(60);
      for (const channelId of ['left', 'right']) {
        const seqs = events.flatMap((ev) => (ev.kind === 'message:new' && ev.message.channelId === channelId ? [ev.message.seq] : []));
        expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      }
    });

    redisOnly('should deliver a channel\u2019s events to an instance only while it follows the channel', async () => {
      const a = await make();
      const b = await peer();
      const bus = new BusRecorder();
      b.messages.subscribe(bus.listener);
      await b.messages.follow('followed');
      await a.messages.append(input({ channelId: 'followed' }));
      await bus.waitFor(1);
      await b.messages.unfollow('followed');
      await a.messages.append(input({ channelId: 'followed' }));
      await b.messages.follow('followed');
      await b.messages.follow('followed');
      await a.messages.append(input({ channelId: 'followed' }));
      // One topic is delivered in order, so seq 2 would have arrived before seq 3 had b still been subscribed.
      const events = await bus.waitFor(2);
      expect(events.map((ev) => (ev.kind === 'message:new' ? ev.message.seq : -1))).toEqual([1, 3]);
    });

    redisOnly('should reload its scripts after the script cache was flushed (NOSCRIPT)', async () => {
      const e = await make();
      await e.messages.append(input());
      expect(await e.locks.acquire('noscript', 'me', 10_000)).toBe(true);
      await h.flushScripts!();
      expect((await e.messages.append(input())).message.seq).toBe(2);
      await e.locks.release('noscript', 'me');
      expect(await e.locks.acquire('noscript', 'other', 10_000)).toBe(true);
    });

    redisOnly('should ack a send only once REDIS_WAIT_REPLICAS replicas hold it, and answer UNAVAILABLE otherwise', async () => {
      const available = h.replicas!;
      const e = await make({ waitReplicas: available });
      expect((await e.messages.append(input({ content: 'replicated' }))).message.seq).toBe(1);
      const short = await peer({ waitReplicas: available + 1 });
      const started = Date.now();
      await expect(short.messages.append(input({ clientMsgId: 'not-enough' }))).rejects.toBeInstanceOf(EngineUnavailableError);
      expect(Date.now() - started).toBeLessThan(1500 + 500);
      // The retry with the same clientMsgId is idempotent: the stored message comes back, no new seq.
      const retry = await short.messages.append(input({ clientMsgId: 'not-enough' })).catch((err: Error) => err);
      expect(retry).toBeInstanceOf(EngineUnavailableError);
      const meta = await short.messages.meta('general');
      expect(meta.lastSeq).toBe(2);
    });

    redisOnly('should keep the epoch across calls and instances and draw a new one after a flush', async () => {
      const a = await make();
      const b = await peer();
      await a.messages.append(input());
      await a.messages.append(input());
      const before = await a.messages.meta('general');
      expect(await b.messages.meta('general')).toEqual(before);

      await h.flush!();
      const restarted = await b.messages.append(input());
      expect(restarted.message.seq).toBe(1);
      const after = await a.messages.meta('general');
      expect(after.epoch).not.toBe(before.epoch);
      expect(after).toEqual({ epoch: after.epoch, lastSeq: 1, firstSeq: 1 });
      expect(restarted.message.id).toBe(messageIdFor(after.epoch, 1));
    });
  });

  describe('RateLimiter', () => {
    it('should allow capacity events, then refuse with retryAfterMs, then refill with time', async () => {
      const e = await make();
      const rl = e.rateLimiter;
      for (let i = 0; i < 3; i++) expect(await rl.consume('u1:send', 3, 60_000, T0)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 2 - i });
      expect(await rl.consume('u1:send', 3, 60_000, T0)).toEqual({ allowed: false, retryAfterMs: 20_000, remaining: 0 });
      expect(await rl.consume('u1:send', 3, 60_000, T0 + 5_000)).toEqual({ allowed: false, retryAfterMs: 15_000, remaining: 0 });
      expect(await rl.consume('u1:send', 3, 60_000, T0 + 20_000)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
      expect((await rl.consume('u1:send', 3, 60_000, T0 + 20_000)).allowed).toBe(false);
      // A full window later the bucket is full again, but never above capacity.
      for (let i = 0; i < 3; i++) expect((await rl.consume('u1:send', 3, 60_000, T0 + 200_000)).allowed).toBe(true);
      expect((await rl.consume('u1:send', 3, 60_000, T0 + 200_000)).allowed).toBe(false);
      // Keys are independent.
      expect((await rl.consume('u2:send', 3, 60_000, T0)).allowed).toBe(true);
    });

    it('should charge several events at once: a cost above what is left empties the bucket', async () => {
      const e = await make();
      const rl = e.rateLimiter;
      expect(await rl.consume('ip:a', 10, 60_000, T0, 4)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 6 });
      expect(await rl.consume('ip:a', 10, 60_000, T0, 9)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
      expect(await rl.consume('ip:a', 10, 60_000, T0, 3)).toEqual({ allowed: false, retryAfterMs: 6_000, remaining: 0 });
      expect(await rl.consume('ip:a', 10, 60_000, T0 + 6_000)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 0 });
    });

    it('should keep fractional refills exact', async () => {
      const e = await make();
      expect((await e.rateLimiter.consume('k', 7, 1000, T0)).allowed).toBe(true);
      for (let i = 0; i < 6; i++) await e.rateLimiter.consume('k', 7, 1000, T0);
      const refused = await e.rateLimiter.consume('k', 7, 1000, T0 + 100);
      const rate = 7 / 1000;
      expect(refused).toEqual({ allowed: false, retryAfterMs: Math.ceil((1 - 100 * rate) / rate), remaining: 0 });
    });

    redisOnly('should share buckets between instances', async () => {
      const a = await make();
      const b = await peer();
      expect((await a.rateLimiter.consume('shared', 2, 60_000, T0)).allowed).toBe(true);
      expect((await b.rateLimiter.consume('shared', 2, 60_000, T0)).allowed).toBe(true);
      expect((await a.rateLimiter.consume('shared', 2, 60_000, T0)).allowed).toBe(false);
    });
  });

  describe('RevocationStore', () => {
    it('should revoke single tokens by jti until they expire anyway', async () => {
      const e = await make();
      await e.revocations.revokeJti('j1', Date.now() + 60_000, Date.now());
      await e.revocations.revokeJti('j-expired', Date.now() - 1, Date.now());
      expect(await e.revocations.isRevoked({ userId: 'alice', jti: 'j1', issuedAt: T0 })).toBe(true);
      expect(await e.revocations.isRevoked({ userId: 'alice', jti: 'j2', issuedAt: T0 })).toBe(false);
      expect(await e.revocations.isRevoked({ userId: 'alice', jti: 'j-expired', issuedAt: T0 })).toBe(false);
      expect(await e.revocations.isRevoked({ userId: 'alice', issuedAt: T0 })).toBe(false);
    });

    it('should keep a permanent jti mark through expiry passes, and never shorten a mark on a second revocation', async () => {
      const e = await make();
      const now = Date.now();
      await e.revocations.revokeJti('forever', null, now);
      await e.revocations.revokeJti('long', now + 3_600_000, now);
      await e.revocations.revokeJti('long', now + 1, now);
      await e.revocations.revokeJti('forever', now + 1, now);
      // Past the short expiry (the memory engine prunes by the given time, Redis by its own TTLs).
      await new Promise((r) => setTimeout(r, 20));
      await e.housekeeping.expireKeys(now + 60_000, { revocationRetentionMs: Infinity, leftRetentionMs: 60_000 });
      expect(await e.revocations.isRevoked({ userId: 'alice', jti: 'long', issuedAt: T0 })).toBe(true);
      await e.housekeeping.expireKeys(now + 400 * 86_400_000, { revocationRetentionMs: Infinity, leftRetentionMs: 60_000 });
      expect(await e.revocations.isRevoked({ userId: 'alice', jti: 'forever', issuedAt: T0 })).toBe(true);
    });

    it('should keep per-user marks forever when the retention is Infinity', async () => {
      const e = await make();
      await e.revocations.revokeUser('dave', T0);
      const { removed } = await e.housekeeping.expireKeys(T0 + 4000 * 86_400_000, { revocationRetentionMs: Infinity, leftRetentionMs: 60_000 });
      expect(removed).toBe(0);
      expect(await e.revocations.isRevoked({ userId: 'dave', issuedAt: T0 - 1 })).toBe(true);
    });

    it('should revoke every token of a user issued before a time, keeping the latest mark', async () => {
      const e = await make();
      await e.revocations.revokeUser('bob', T0);
      await e.revocations.revokeUser('bob', T0 - 10_000);
      expect(await e.revocations.isRevoked({ userId: 'bob', issuedAt: T0 - 1 })).toBe(true);
      expect(await e.revocations.isRevoked({ userId: 'bob', issuedAt: T0 })).toBe(false);
      expect(await e.revocations.isRevoked({ userId: 'bob', jti: 'x', issuedAt: null })).toBe(true);
      expect(await e.revocations.isRevoked({ userId: 'carol', issuedAt: null })).toBe(false);
    });
  });

  describe('MembershipStore', () => {
    it('should report the first and last socket of a user and who was recently a member', async () => {
      const e = await make();
      const m = e.membership;
      expect(await m.add('room', 'alice', 'i1/s1')).toEqual({ firstForUser: true });
      expect(await m.add('room', 'alice', 'i2/s2')).toEqual({ firstForUser: false });
      expect(await m.add('room', 'bob', 'i1/s3')).toEqual({ firstForUser: true });
      expect((await m.members('room', 10)).sort()).toEqual(['alice', 'bob']);
      expect(await m.members('room', 1)).toHaveLength(1);
      expect(await m.isMember('room', 'alice')).toBe(true);

      expect(await m.remove('room', 'alice', 'i1/s1', T0)).toEqual({ lastForUser: false });
      expect(await m.remove('room', 'alice', 'i1/s1', T0)).toEqual({ lastForUser: false });
      expect(await m.isMember('room', 'alice')).toBe(true);
      expect(await m.remove('room', 'alice', 'i2/s2', T0 + 1000)).toEqual({ lastForUser: true });
      expect(await m.isMember('room', 'alice')).toBe(false);
      expect(await m.members('room', 10)).toEqual(['bob']);

      expect(await m.wasRecentlyMember('room', 'alice', 60_000, T0 + 30_000)).toBe(true);
      expect(await m.wasRecentlyMember('room', 'alice', 60_000, T0 + 61_000)).toBe(false);
      expect(await m.wasRecentlyMember('room', 'bob', 60_000, T0 + 10_000_000)).toBe(true);
      expect(await m.wasRecentlyMember('room', 'carol', 60_000, T0)).toBe(false);
      expect(await m.remove('room', 'carol', 'i1/s9', T0)).toEqual({ lastForUser: false });

      expect(await m.add('room', 'alice', 'i1/s4')).toEqual({ firstForUser: true });
    });

    it('should prune every membership of one instance and report the users who left', async () => {
      const e = await make();
      const m = e.membership;
      await m.add('a', 'alice', 'dead/s1');
      await m.add('a', 'alice', 'live/s2');
      await m.add('a', 'bob', 'dead/s3');
      await m.add('b', 'bob', 'dead/s3');
      await m.add('b', 'carol', 'live/s4');
      await m.add('b', 'dave', 'dead-er/s5');
      for (let i = 0; i < 250; i++) await m.add(`bulk${i}`, 'erin', 'dead/s6');

      const result = await m.pruneInstance('dead', T0);
      expect(result.removed).toBe(253);
      const key = (x: { channelId: string; userId: string }) => `${x.channelId}:${x.userId}`;
      expect(result.lastForUser.map(key).sort()).toEqual(
        ['a:bob', 'b:bob', ...Array.from({ length: 250 }, (_, i) => `bulk${i}:erin`)].sort(),
      );
      expect((await m.members('a', 10)).sort()).toEqual(['alice']);
      expect((await m.members('b', 10)).sort()).toEqual(['carol', 'dave']);
      expect(await m.wasRecentlyMember('a', 'bob', 60_000, T0 + 1)).toBe(true);
      expect(await m.pruneInstance('dead', T0)).toEqual({ removed: 0, lastForUser: [] });

      // Regular removals are forgotten by the instance record too.
      await m.remove('a', 'alice', 'live/s2', T0);
      expect(await m.pruneInstance('live', T0)).toEqual({ removed: 1, lastForUser: [{ channelId: 'b', userId: 'carol' }] });
    });
  });

  describe('PresenceStore', () => {
    it('should be online while any socket on any instance is connected, keeping the chosen status across sessions', async () => {
      const e = await make();
      const p = e.presence;
      expect(await p.get(['alice'])).toEqual([{ userId: 'alice', status: 'online', online: false, lastSeen: null }]);
      expect(await p.connect('alice', 'i1/s1', T0)).toEqual({ userId: 'alice', status: 'online', lastSeen: T0, first: true });
      expect(await p.connect('alice', 'i2/s2', T0 + 1)).toMatchObject({ first: false });
      expect(await p.setStatus('alice', 'dnd', T0 + 2)).toEqual({ previous: 'online', online: true, lastSeen: T0 + 2 });
      expect(await p.disconnect('alice', 'i1/s1', T0 + 3)).toEqual({ userId: 'alice', status: 'dnd', lastSeen: T0 + 2, last: false, channels: [] });
      expect(await p.disconnect('alice', 'i1/s1', T0 + 3)).toMatchObject({ last: false });
      await p.trackChannel('alice', 'general');
      await p.trackChannel('alice', 'general');
      await p.trackChannel('alice', 'random');
      expect((await p.channelsOf('alice', 10)).sort()).toEqual(['general', 'random']);
      const last = await p.disconnect('alice', 'i2/s2', T0 + 4);
      expect({ ...last, channels: [...last.channels].sort() }).toEqual({ userId: 'alice', status: 'dnd', lastSeen: T0 + 4, last: true, channels: ['general', 'random'] });
      expect(await p.channelsOf('alice', 10)).toEqual([]);
      expect(await p.get(['alice', 'nobody'])).toEqual([
        { userId: 'alice', status: 'dnd', online: false, lastSeen: T0 + 4 },
        { userId: 'nobody', status: 'online', online: false, lastSeen: null },
      ]);
      expect(await p.connect('alice', 'i1/s3', T0 + 5)).toEqual({ userId: 'alice', status: 'dnd', lastSeen: T0 + 5, first: true });
    });

    it('should admit a handshake in one step: take a connect token, hold the socket cap across instances, and register the socket', async () => {
      const e = await make();
      const p = e.presence;
      const limits = { capacity: 3, windowMs: 60_000, maxSockets: 2 };
      expect(await p.admit('bea', 'i1/s1', limits, T0)).toEqual({ allowed: true, sockets: 0, transition: { userId: 'bea', status: 'online', lastSeen: T0, first: true } });
      expect(await p.admit('bea', 'i2/s2', limits, T0 + 1)).toEqual({ allowed: true, sockets: 1, transition: { userId: 'bea', status: 'online', lastSeen: T0 + 1, first: false } });
      // At the cap: refused, not registered, and the token is still taken.
      expect(await p.admit('bea', 'i1/s3', limits, T0 + 2)).toEqual({ allowed: false, refusal: 'socket_limit', retryAfterMs: 0, sockets: 2 });
      expect((await p.instanceSockets('i1')).map((s) => s.socketKey)).toEqual(['i1/s1']);
      expect(await p.socketCount('bea')).toBe(2);
      await p.disconnect('bea', 'i1/s1', T0 + 3);
      // The bucket (3 per minute) is empty now: refused until a token has refilled.
      const empty = await p.admit('bea', 'i1/s4', limits, T0 + 1000);
      expect(empty).toMatchObject({ allowed: false, refusal: 'rate_limited', sockets: 1 });
      // One token per 20 s, and 0.05 of one was there: about 19 s to wait.
      expect(empty.allowed ? 0 : empty.retryAfterMs).toBeGreaterThan(18_900);
      expect(empty.allowed ? 0 : empty.retryAfterMs).toBeLessThan(19_100);
      expect(await p.admit('bea', 'i1/s4', limits, T0 + 21_000)).toMatchObject({ allowed: true, sockets: 1, transition: { first: false } });
      // Another user's bucket and sockets are their own; a registered socket reads as online.
      expect(await p.admit('cal', 'i2/s5', limits, T0 + 21_000)).toMatchObject({ allowed: true, sockets: 0, transition: { first: true } });
      expect((await p.get(['cal']))[0]).toMatchObject({ online: true, lastSeen: T0 + 21_000 });
    });

    it('should not move lastSeen while the user is invisible', async () => {
      const e = await make();
      const p = e.presence;
      await p.connect('ghost', 'i1/s1', T0);
      expect(await p.setStatus('ghost', 'invisible', T0 + 10)).toEqual({ previous: 'online', online: true, lastSeen: T0 + 10 });
      expect(await p.setStatus('ghost', 'invisible', T0 + 20)).toMatchObject({ lastSeen: T0 + 10 });
      expect(await p.disconnect('ghost', 'i1/s1', T0 + 30)).toMatchObject({ last: true, status: 'invisible', lastSeen: T0 + 10 });
      expect(await p.connect('ghost', 'i1/s2', T0 + 40)).toMatchObject({ first: true, status: 'invisible', lastSeen: T0 + 10 });
      expect(await p.setStatus('ghost', 'away', T0 + 50)).toEqual({ previous: 'invisible', online: true, lastSeen: T0 + 50 });
      expect(await p.setStatus('offline-user', 'away', T0)).toEqual({ previous: 'online', online: false, lastSeen: null });
    });

    it('should prune one instance\u2019s sockets and report only the users who went offline', async () => {
      const e = await make();
      const p = e.presence;
      await p.connect('alice', 'dead/s1', T0);
      await p.connect('alice', 'live/s2', T0);
      await p.connect('bob', 'dead/s3', T0);
      await p.trackChannel('bob', 'general');
      for (let i = 0; i < 450; i++) await p.connect(`bulk${i}`, `dead/b${i}`, T0);
      await p.connect('carol', 'dead-er/s4', T0);
      expect((await p.instancesWithSockets()).sort()).toEqual(['dead', 'dead-er', 'live']);
      expect((await p.instanceSockets('live'))).toEqual([{ userId: 'alice', socketKey: 'live/s2' }]);

      const result = await p.pruneInstance('dead', T0 + 100);
      expect(result.removed).toBe(452);
      expect(result.wentOffline).toHaveLength(451);
      expect(result.wentOffline.find((u) => u.userId === 'bob')).toEqual({ userId: 'bob', status: 'online', lastSeen: T0 + 100, channels: ['general'] });
      expect(result.wentOffline.some((u) => u.userId === 'alice')).toBe(false);
      expect((await p.get(['alice', 'bob', 'carol'])).map((r) => r.online)).toEqual([true, false, true]);
      expect(await p.instanceSockets('dead')).toEqual([]);
      expect((await p.instancesWithSockets()).sort()).toEqual(['dead-er', 'live']);
      expect(await p.pruneInstance('dead', T0)).toEqual({ removed: 0, wentOffline: [] });
    });

    redisOnly('should decide first connect and last disconnect once across instances', async () => {
      const a = await make();
      const b = await peer();
      const firsts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).presence.connect('racer', `i${i % 2}/s${i}`, T0)));
      expect(firsts.filter((f) => f.first)).toHaveLength(1);
      const lasts = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a).presence.disconnect('racer', `i${i % 2}/s${i}`, T0)));
      expect(lasts.filter((l) => l.last)).toHaveLength(1);
    });
  });

  describe('ReadCursorStore', () => {
    it('should only move a read cursor forwards, per channel and user', async () => {
      const e = await make();
      const r = e.readCursors;
      expect(await r.get('general', 'alice')).toBe(0);
      expect(await r.advance('general', 'alice', 5, T0)).toEqual({ seq: 5, moved: true });
      expect(await r.advance('general', 'alice', 3, T0)).toEqual({ seq: 5, moved: false });
      expect(await r.advance('general', 'alice', 5, T0)).toEqual({ seq: 5, moved: false });
      expect(await r.advance('general', 'alice', 9, T0)).toEqual({ seq: 9, moved: true });
      expect(await r.advance('general', 'bob', 1, T0)).toEqual({ seq: 1, moved: true });
      expect(await r.get('general', 'alice')).toBe(9);
      expect(await r.get('other', 'alice')).toBe(0);
      const big = Number.MAX_SAFE_INTEGER;
      expect(await r.advance('big', 'alice', big, T0)).toEqual({ seq: big, moved: true });
      expect(await r.get('big', 'alice')).toBe(big);
    });

    it('should keep the highest of concurrent advances', async () => {
      const e = await make();
      const other = h.kind === 'redis' ? await peer() : e;
      await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? e : other).readCursors.advance('race', 'alice', (i * 37) % 101, T0)));
      expect(await e.readCursors.get('race', 'alice')).toBe(Math.max(...Array.from({ length: 50 }, (_, i) => (i * 37) % 101)));
    });
  });

  describe('IpBlockStore', () => {
    it('should list blocks until their ttl passes and unblock on request', async () => {
      const e = await make();
      await e.ipBlocks.block('10.0.0.0/8', 60, T0);
      await e.ipBlocks.block('192.0.2.1', null, T0);
      await e.ipBlocks.block('2001:db8::/32', 10, T0);
      const byCidr = (list: Array<{ cidr: string }>) => [...list].sort((x, y) => x.cidr.localeCompare(y.cidr));

      expect(byCidr(await e.ipBlocks.list(T0 + 5_000))).toEqual([
        { cidr: '10.0.0.0/8', expiresAt: T0 + 60_000 },
        { cidr: '192.0.2.1', expiresAt: null },
        { cidr: '2001:db8::/32', expiresAt: T0 + 10_000 },
      ]);
      expect(byCidr(await e.ipBlocks.list(T0 + 10_000))).toEqual([
        { cidr: '10.0.0.0/8', expiresAt: T0 + 60_000 },
        { cidr: '192.0.2.1', expiresAt: null },
      ]);
      expect(await e.ipBlocks.unblock('192.0.2.1')).toBe(true);
      expect(await e.ipBlocks.unblock('192.0.2.1')).toBe(false);
      expect(await e.ipBlocks.list(T0 + 61_000)).toEqual([]);
    });
  });

  describe('InstanceRegistry', () => {
    it('should list instances while their heartbeat lasts and report lapsed ones until forgotten', async () => {
      const e = await make();
      await e.instances.heartbeat('gw-1', { connections: 3 }, T0, 30_000);
      await e.instances.heartbeat('gw-2', { connections: 5 }, T0, 10_000);
      const alive = await e.instances.alive(T0 + 5_000);
      expect(alive.map((i) => i.instanceId).sort()).toEqual(['gw-1', 'gw-2']);
      expect(alive.find((i) => i.instanceId === 'gw-2')).toEqual({ instanceId: 'gw-2', stats: { connections: 5 }, lastSeen: T0 });
      expect((await e.instances.alive(T0 + 10_000)).map((i) => i.instanceId)).toEqual(['gw-1']);
      expect(await e.instances.lapsed(T0 + 10_000)).toEqual(['gw-2']);
      await e.instances.heartbeat('gw-2', { connections: 0 }, T0 + 11_000, 10_000);
      expect(await e.instances.lapsed(T0 + 12_000)).toEqual([]);
      await e.instances.forget('gw-1');
      expect((await e.instances.alive(T0 + 12_000)).map((i) => i.instanceId)).toEqual(['gw-2']);
      expect(await e.instances.lapsed(T0 + 100_000)).toEqual(['gw-2']);
    });
  });

  describe('LockStore', () => {
    it('should give a lock to one owner at a time and free it on release by that owner only', async () => {
      const e = await make();
      expect(await e.locks.acquire('job', 'a', 10_000)).toBe(true);
      expect(await e.locks.acquire('job', 'b', 10_000)).toBe(false);
      await e.locks.release('job', 'b');
      expect(await e.locks.acquire('job', 'b', 10_000)).toBe(false);
      await e.locks.release('job', 'a');
      expect(await e.locks.acquire('job', 'b', 10_000)).toBe(true);
      expect(await e.locks.acquire('other-job', 'a', 10_000)).toBe(true);
    });

    it('should free a lock whose holder never released it once its lease runs out', async () => {
      const e = await make();
      expect(await e.locks.acquire('lease', 'dead-holder', 150)).toBe(true);
      expect(await e.locks.acquire('lease', 'next', 150)).toBe(false);
      const deadline = Date.now() + 3000;
      while (!(await e.locks.acquire('lease', 'next', 150))) {
        if (Date.now() > deadline) throw new Error('lease never expired');
        await new Promise((r) => setTimeout(r, 25));
      }
    });
  });

  describe('HousekeepingStore', () => {
    it('should re-trim histories to a lowered maximum and drop overlays of trimmed messages', async () => {
      const e = await make({ historyMaxLen: 20 });
      for (let i = 0; i < 12; i++) await e.messages.append(input({ channelId: 'hk' }));
      await e.messages.update('hk', 2, { content: 'edited', by: 'alice', now: T0 });
      await e.messages.update('hk', 11, { content: 'kept edit', by: 'alice', now: T0 });
      let cursor = '0';
      let trimmed = 0;
      do {
        const page = await e.housekeeping.trimHistories(5, cursor, 100);
        cursor = page.cursor;
        trimmed += page.trimmed;
      } while (cursor !== '0');
      expect(trimmed).toBe(7);
      const meta = await e.messages.meta('hk');
      expect(meta).toMatchObject({ firstSeq: 8, lastSeq: 12 });
      expect(await e.messages.get('hk', 2)).toBeNull();
      expect((await e.messages.get('hk', 11))?.content).toBe('kept edit');
    });

    it('should drop idle channels without members and keep active or occupied ones', async () => {
      const e = await make();
      await e.messages.append(input({ channelId: 'idle', now: T0 }));
      await e.messages.append(input({ channelId: 'busy', now: T0 + 50 * 86_400_000 }));
      await e.messages.append(input({ channelId: 'occupied', now: T0 }));
      await e.membership.add('occupied', 'alice', 'i/s1');
      const now = T0 + 60 * 86_400_000;
      let cursor = '0';
      let dropped = 0;
      do {
        const page = await e.housekeeping.dropIdleChannels(now, 30 * 86_400_000, cursor, 100);
        cursor = page.cursor;
        dropped += page.dropped;
      } while (cursor !== '0');
      expect(dropped).toBe(1);
      expect((await e.messages.meta('idle')).lastSeq).toBe(0);
      expect((await e.messages.meta('busy')).lastSeq).toBe(1);
      expect((await e.messages.meta('occupied')).lastSeq).toBe(1);
    });

    it('should sweep channels stored on every primary', async () => {
      const e = await make();
      const ids = Array.from({ length: 24 }, (_, i) => `spread-${i}`);
      for (const channelId of ids) await e.messages.append(input({ channelId, now: T0 }));
      let cursor = '0';
      let dropped = 0;
      let passes = 0;
      do {
        const page = await e.housekeeping.dropIdleChannels(T0 + 60 * 86_400_000, 30 * 86_400_000, cursor, 5);
        cursor = page.cursor;
        dropped += page.dropped;
        passes++;
      } while (cursor !== '0' && passes < 1000);
      expect(dropped).toBe(ids.length);
      for (const channelId of ids) expect((await e.messages.meta(channelId)).lastSeq).toBe(0);
    });

    it('should expire per-user revocation marks older than the retention', async () => {
      const e = await make();
      await e.revocations.revokeUser('old', T0);
      await e.revocations.revokeUser('new', T0 + 40 * 86_400_000);
      const { removed } = await e.housekeeping.expireKeys(T0 + 45 * 86_400_000, { revocationRetentionMs: 30 * 86_400_000, leftRetentionMs: 60_000 });
      expect(removed).toBeGreaterThanOrEqual(1);
      expect(await e.revocations.isRevoked({ userId: 'old', issuedAt: T0 - 1000 })).toBe(false);
      expect(await e.revocations.isRevoked({ userId: 'new', issuedAt: T0 })).toBe(true);
    });
  });

  describe('NotificationInbox', () => notificationInboxContract(make));
  describe('HandshakeStore', () => handshakeContract(make));

  describe('WebhookQueue', () => webhookQueueContract(make, h.kind === 'redis' ? peer : undefined));

  it('should answer ping while the store is reachable', async () => {
    const e = await make();
    await expect(e.ping()).resolves.toBeUndefined();
    expect(e.kind).toBe(h.kind);
  });
});
