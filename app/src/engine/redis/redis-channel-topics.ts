import type { RedisCommandRunner } from './redis-command-runner';
import { isCluster, type RedisClient } from './redis-connection';

/** Topics per SUBSCRIBE when resubscribing after a reconnect. */
const RESUBSCRIBE_CHUNK = 500;

/**
 * The channel topics this instance listens to: only those of channels with a local member, so
 * its pub/sub traffic follows its own sockets rather than the whole fleet's. SSUBSCRIBE on a
 * Cluster (each topic is read from the shard that owns the channel's slot), SUBSCRIBE otherwise.
 *
 * `follow`/`unfollow` set the wanted state; the Redis side is brought to it one operation at a
 * time per topic, so a follow racing an unfollow of the same channel always ends subscribed if
 * it came last. `follow` resolves once Redis confirmed the subscription: every event published
 * after that reaches this instance.
 */
export class ChannelTopics {
  private readonly wanted = new Set<string>();
  private readonly subscribed = new Set<string>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly sharded: boolean;
  /** Topics gathered in this tick for one (UN)SUBSCRIBE, and that command's reply. */
  private readonly batches: Record<'subscribe' | 'unsubscribe', { topics: string[]; sent: Promise<unknown> } | null> = { subscribe: null, unsubscribe: null };

  constructor(
    private readonly subscriber: RedisClient,
    private readonly runner: RedisCommandRunner,
    onMessage: (topic: string, payload: string) => void,
  ) {
    this.sharded = isCluster(subscriber);
    subscriber.on(this.sharded ? 'smessage' : 'message', onMessage);
  }

  /** The publish command the scripts use for these topics. */
  get publishCommand(): 'SPUBLISH' | 'PUBLISH' {
    return this.sharded ? 'SPUBLISH' : 'PUBLISH';
  }

  /** Topics this instance currently wants. */
  get size(): number {
    return this.wanted.size;
  }

  follow(topic: string): Promise<void> {
    this.wanted.add(topic);
    return this.reconcile(topic);
  }

  unfollow(topic: string): Promise<void> {
    this.wanted.delete(topic);
    return this.reconcile(topic);
  }

  /**
   * After the subscriber (re)connected (standalone and Sentinel: the connection's subscriptions
   * died with it; ioredis' own resubscription is off so that readiness waits for this).
   */
  async resubscribeAll(): Promise<void> {
    this.subscribed.clear();
    const topics = [...this.wanted];
    for (let i = 0; i < topics.length; i += RESUBSCRIBE_CHUNK) {
      const chunk = topics.slice(i, i + RESUBSCRIBE_CHUNK);
      await this.subscriber.subscribe(...chunk);
      for (const t of chunk) this.subscribed.add(t);
    }
  }

  /**
   * (UN)SUBSCRIBE of every topic applied in the same tick as one command: a client rejoining its
   * 30 channels costs one write, not 30. Not on a Cluster, where each SSUBSCRIBE goes to the
   * shard that owns its topic's slot.
   */
  private batched(command: 'subscribe' | 'unsubscribe', topic: string): Promise<unknown> {
    let batch = this.batches[command];
    if (!batch) {
      const topics: string[] = [];
      const sent = new Promise<unknown>((resolve, reject) => {
        process.nextTick(() => {
          this.batches[command] = null;
          this.subscriber[command](...topics).then(resolve, reject);
        });
      });
      batch = this.batches[command] = { topics, sent };
    }
    batch.topics.push(topic);
    return batch.sent;
  }

  private reconcile(topic: string): Promise<void> {
    const prior = this.pending.get(topic) ?? Promise.resolve();
    // Only an ordering barrier: the prior step's failure went to its own caller; this one still runs.
    const next = prior.catch(() => undefined).then(() => this.apply(topic));
    this.pending.set(topic, next);
    const cleanup = () => {
      if (this.pending.get(topic) === next) this.pending.delete(topic);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  private async apply(topic: string): Promise<void> {
    const want = this.wanted.has(topic);
    if (want === this.subscribed.has(topic)) return;
    const command = want ? 'subscribe' : 'unsubscribe';
    const sent = this.sharded
      ? (want ? this.subscriber.ssubscribe(topic) : this.subscriber.sunsubscribe(topic))
      : this.batched(command, topic);
    // A reply arriving after the deadline still updates what Redis holds for this instance.
    sent.then(() => (want ? this.subscribed.add(topic) : this.subscribed.delete(topic)), () => undefined);
    await this.runner.run(`channel_${command}`, () => sent);
  }
}
