import { ComposedHandshakes } from '../composed-handshakes';
import type { HandshakeStore } from '../handshake.port';
import { RedisHandshakes } from './redis-handshakes';
import type { RedisOptions } from 'ioredis';
import { EngineUnavailableError } from '../../common/gateway-error';
import type { RedisTopology } from '../../config/redis-config';
import type { Engine } from '../engine.ports';
import { ChannelTopics } from './redis-channel-topics';
import { RedisCommandRunner, type CommandObserver } from './redis-command-runner';
import { createRedisClient, isCluster, retryStrategy, type RedisClient } from './redis-connection';
import { RedisHousekeeping } from './redis-housekeeping';
import { RedisInstances } from './redis-instances';
import { RedisIpBlocks } from './redis-ip-blocks';
import { RedisLocks } from './redis-locks';
import { RedisKeys } from './redis-keys';
import { RedisMembership } from './redis-membership';
import { RedisMessageLog } from './redis-message-log';
import { RedisNotificationInbox } from './redis-notification-inbox';
import { RedisWebhookQueue } from './redis-webhook-queue';
import { RedisRateLimiter } from './redis-rate-limiter';
import { RedisRevocations } from './redis-revocations';
import { RedisPresence } from './redis-presence';
import { RedisReadCursors } from './redis-read-cursors';
import { MAX_TRACKED_CHANNELS, PRESENCE_RETENTION_MS, READ_CURSOR_RETENTION_MS } from '../presence.port';

export interface RedisEngineOptions {
  /** `redis://` or `rediss://` URL of a single node; shorthand for a standalone `topology`. */
  url?: string;
  /** Standalone, Sentinel or Cluster (REDIS_MODE); required unless `url` is given. */
  topology?: RedisTopology;
  /**
   * Replicas that must acknowledge a message (Redis `WAIT`) before `append` resolves; fewer within
   * half of `engineTimeoutMs` rejects with EngineUnavailableError. @default 0
   */
  waitReplicas?: number;
  /** @default 'sg' */
  keyPrefix?: string;
  historyMaxLen: number;
  idempotencyTtlSec: number;
  /** Deadline of every engine command; past it callers get EngineUnavailableError. */
  engineTimeoutMs: number;
  /** "Left at" marks are kept at least this long (and at least one minute). */
  rejoinGraceMs: number;
  /** Shown in `CLIENT LIST` to tell instances apart. */
  instanceId?: string;
  /** How long `connect()` waits for Redis before giving up. @default 10000 */
  readyTimeoutMs?: number;
  /** Receives every Redis client error (reconnect attempts included); errors never throw. */
  onError?: (err: Error, connection: string) => void;
  commandObserver?: CommandObserver;
  /** Called once per event received on a followed channel topic, before it is decoded (`socket_gateway_bus_messages_received_total`). */
  onBusMessage?: () => void;
}

export interface AdapterClients {
  pubClient: RedisClient;
  subClient: RedisClient;
}

/**
 * The multi-instance engine, on one Redis node, a Sentinel group or a Cluster. One command client
 * (no offline queue, per-command timeout: an outage answers UNAVAILABLE at once instead of
 * queueing), one subscriber client for the channel topics this instance follows (one connection
 * per shard on a Cluster), and on request a pair of clients for the Socket.IO redis adapter.
 */
export class RedisEngine implements Engine {
  readonly kind = 'redis' as const;
  readonly sharedAcrossInstances = true;
  /** The command client. */
  readonly redis: RedisClient;
  readonly topology: RedisTopology;
  readonly messages: RedisMessageLog;
  readonly rateLimiter: RedisRateLimiter;
  readonly revocations: RedisRevocations;
  readonly membership: RedisMembership;
  readonly ipBlocks: RedisIpBlocks;
  readonly instances: RedisInstances;
  readonly locks: RedisLocks;
  readonly housekeeping: RedisHousekeeping;
  readonly presence: RedisPresence;
  readonly readCursors: RedisReadCursors;
  readonly notifications: RedisNotificationInbox;
  readonly handshakes: HandshakeStore;
  readonly webhooks: RedisWebhookQueue;

  private readonly subscriber: RedisClient;
  private readonly topics: ChannelTopics;
  private readonly adapterClients: RedisClient[] = [];
  private readonly runner: RedisCommandRunner;
  private readonly keys: RedisKeys;
  private readonly statusListeners = new Set<(up: boolean) => void>();
  private up = false;
  private commandReady = false;
  private busReady = false;
  private closed = false;

  private get connectionName(): string {
    return this.opts.instanceId ? `socket-gateway:${this.opts.instanceId}` : 'socket-gateway';
  }

  /** Prefer `RedisEngine.connect`, which resolves once Redis is ready. */
  constructor(private readonly opts: RedisEngineOptions) {
    this.keys = new RedisKeys(opts.keyPrefix ?? 'sg');
    this.runner = new RedisCommandRunner(opts.engineTimeoutMs);
    this.runner.observer = opts.commandObserver;
    const base: RedisOptions = {
      lazyConnect: true,
      retryStrategy,
      connectTimeout: Math.max(opts.engineTimeoutMs, 1000),
      // Bounds how long a socket being dropped mid-outage lingers before it is destroyed.
      disconnectTimeout: 100,
      connectionName: this.connectionName,
    };
    if (!opts.topology && !opts.url) throw new Error('RedisEngine needs a url or a topology');
    this.topology = opts.topology ?? { mode: 'standalone', url: opts.url! };
    this.redis = this.track(createRedisClient(this.topology, {
      options: {
        ...base,
        enableOfflineQueue: false,
        commandTimeout: opts.engineTimeoutMs,
        // A command cut off by a dropped connection fails now rather than running after reconnect.
        maxRetriesPerRequest: 0,
        // Commands issued in one tick (a handshake's admission, inbox read and revocation read, and
        // those of concurrent handshakes) leave in one write per node: fewer syscalls and one
        // round trip for each batch.
        enableAutoPipelining: true,
      },
    }), 'command');
    const cluster = this.topology.mode === 'cluster';
    // Standalone and Sentinel: the topics are resubscribed by hand on every 'ready' (not by
    // ioredis' autoResubscribe) so that the engine reports itself up only once they are confirmed.
    // Cluster: ioredis' per-shard subscribers move each SSUBSCRIBE to the slot's new primary.
    this.subscriber = this.track(createRedisClient(this.topology, {
      options: { ...base, autoResubscribe: cluster },
      shardedSubscribers: cluster,
    }), 'subscriber');
    this.topics = new ChannelTopics(this.subscriber, this.runner, (_topic, payload) => {
      opts.onBusMessage?.();
      this.messages.deliver(payload);
    });
    this.redis.on('ready', () => this.refresh({ command: true }));
    this.redis.on('close', () => this.refresh({ command: false }));
    this.subscriber.on('ready', () => {
      if (isCluster(this.subscriber)) {
        this.refresh({ bus: true });
        return;
      }
      this.topics.resubscribeAll().then(
        () => this.refresh({ bus: true }),
        (err: Error) => opts.onError?.(err, 'subscriber'),
      );
    });
    this.subscriber.on('close', () => this.refresh({ bus: false }));

    const onError = (err: Error) => opts.onError?.(err, 'bus');
    this.rateLimiter = new RedisRateLimiter(this.redis, this.keys, this.runner);
    this.messages = new RedisMessageLog(this.redis, this.topics, this.keys, this.runner, { ...opts, waitReplicas: opts.waitReplicas ?? 0 }, onError, this.rateLimiter);
    this.revocations = new RedisRevocations(this.redis, this.keys, this.runner);
    this.membership = new RedisMembership(this.redis, this.keys, this.runner, {
      leftRetentionMs: Math.max(opts.rejoinGraceMs, 60_000),
    });
    this.ipBlocks = new RedisIpBlocks(this.redis, this.keys, this.runner);
    this.instances = new RedisInstances(this.redis, this.keys, this.runner);
    this.locks = new RedisLocks(this.redis, this.keys, this.runner);
    this.housekeeping = new RedisHousekeeping(this.redis, this.keys, this.runner);
    this.presence = new RedisPresence(this.redis, this.keys, this.runner, { retentionMs: PRESENCE_RETENTION_MS, maxTrackedChannels: MAX_TRACKED_CHANNELS });
    this.readCursors = new RedisReadCursors(this.redis, this.keys, this.runner, READ_CURSOR_RETENTION_MS);
    this.notifications = new RedisNotificationInbox(this.redis, this.keys, this.runner);
    this.handshakes = cluster
      ? new ComposedHandshakes(this.presence, this.revocations, this.notifications, true)
      : new RedisHandshakes(this.redis, this.keys, this.runner, PRESENCE_RETENTION_MS);
    this.webhooks = new RedisWebhookQueue(this.redis, this.keys, this.runner);
  }

  /** Creates an engine and resolves once both its connections are ready and the bus is subscribed. */
  static async connect(opts: RedisEngineOptions): Promise<RedisEngine> {
    const engine = new RedisEngine(opts);
    try {
      await withDeadline(engine.start(), opts.readyTimeoutMs ?? 10_000, 'Redis did not become ready');
    } catch (err) {
      await engine.close();
      throw err instanceof EngineUnavailableError ? err : new EngineUnavailableError((err as Error).message);
    }
    return engine;
  }

  private start(): Promise<void> {
    const up = new Promise<void>((resolve) => {
      const off = this.onStatusChange((isUp) => {
        if (!isUp) return;
        off();
        resolve();
      });
    });
    // Failed first attempts are reported through the 'error' handlers and retried by retryStrategy.
    for (const client of [this.redis, this.subscriber]) client.connect().catch(() => undefined);
    return up;
  }

  /** Per-command hook for the `socket_gateway_redis_command_duration_seconds{command}` metric. */
  get commandObserver(): CommandObserver | undefined {
    return this.runner.observer;
  }

  set commandObserver(observer: CommandObserver | undefined) {
    this.runner.observer = observer;
  }

  /** True while the command connection is ready and the bus is subscribed. */
  get isUp(): boolean {
    return this.up;
  }

  /** Reports connection up/down transitions (readiness, `socket_gateway_redis_up`); returns an unsubscribe function. */
  onStatusChange(listener: (up: boolean) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /**
   * Two more connections for `@socket.io/redis-adapter`, resolved once ready. The adapter publishes
   * without handling rejections, so these keep ioredis' offline queue and never time commands out:
   * during an outage its publishes wait for the reconnect instead of becoming unhandled rejections.
   * `close()` quits them too.
   */
  async createAdapterClients(): Promise<AdapterClients> {
    const options: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: true,
      commandTimeout: undefined,
      maxRetriesPerRequest: null,
      autoResubscribe: true,
      retryStrategy,
      connectionName: this.connectionName,
    };
    const cluster = this.topology.mode === 'cluster';
    // Not auto-pipelined: a publish issued in the tick of a shutdown would be flushed after QUIT
    // and reject with nobody to catch it (the adapter never handles them), crashing the process.
    const pubClient = this.track(createRedisClient(this.topology, { options }), 'adapter-pub');
    // The sharded adapter SSUBSCRIBEs per room; on a Cluster that needs one connection per shard.
    const subClient = this.track(createRedisClient(this.topology, { options, shardedSubscribers: cluster }), 'adapter-sub');
    this.adapterClients.push(pubClient, subClient);
    await withDeadline(Promise.all([whenReady(pubClient), whenReady(subClient)]), this.opts.readyTimeoutMs ?? 10_000, 'adapter clients did not become ready');
    return { pubClient, subClient };
  }

  ping(): Promise<void> {
    return this.runner.run('ping', async () => {
      await this.redis.ping();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A deliberate shutdown is not an outage: listeners are not told.
    this.statusListeners.clear();
    this.up = false;
    await Promise.all([this.redis, this.subscriber, ...this.adapterClients].map(quit));
  }

  private track(client: RedisClient, name: string): RedisClient {
    // Without a listener ioredis prints each failed reconnect as an "Unhandled error event".
    client.on('error', (err: Error) => this.opts.onError?.(err, name));
    return client;
  }

  private refresh(change: { command?: boolean; bus?: boolean }): void {
    if (change.command !== undefined) this.commandReady = change.command;
    if (change.bus !== undefined) this.busReady = change.bus;
    this.setUp(this.commandReady && this.busReady && !this.closed);
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    for (const listener of this.statusListeners) listener(up);
  }
}

/** Connects a lazy client and resolves on 'ready'; failed attempts are retried by `retryStrategy`. */
function whenReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  const ready = new Promise<void>((resolve) => client.once('ready', () => resolve()));
  // The first attempt's failure is already reported through the 'error' handler.
  if (client.status === 'wait') client.connect().catch(() => undefined);
  return ready;
}

/**
 * Quits a ready connection and waits until its socket is closed (no handle outlives `close()`);
 * any other connection is dropped at once, which also cancels a pending reconnect.
 */
async function quit(client: RedisClient): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  // A hung server must not hang shutdown: past a second the socket is dropped instead.
  await withDeadline(client.quit(), 1000, 'QUIT timed out').catch(() => client.disconnect());
  await ended;
}

async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new EngineUnavailableError(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
