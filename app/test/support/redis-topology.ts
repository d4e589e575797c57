import Redis from 'ioredis';
import type { RedisNode, RedisTopology } from '../../src/config/redis-config';
import { RedisClusterHarness } from './redis-cluster';
import { waitUntil } from './redis-process';
import { RedisSentinelHarness, SENTINEL_GROUP } from './redis-sentinel';
import { RedisServer } from './redis-server';

export type TopologyMode = RedisTopology['mode'];

/** One Redis topology started by a test file: how engines and gateways reach it, and admin helpers. */
export interface RedisTopologyHarness {
  readonly mode: TopologyMode;
  /** What RedisEngine takes. */
  readonly topology: RedisTopology;
  /** What a gateway process takes (REDIS_MODE and its companions). */
  readonly env: Record<string, string>;
  /** Deletes every key on every primary. */
  flushAll(): Promise<void>;
  /** SCRIPT FLUSH on every primary: the next script call meets NOSCRIPT. */
  flushScripts(): Promise<void>;
  /**
   * SIGKILLs the primary holding `key` (the only node when standalone) and resolves with the
   * moment of the kill; a replica takes over on Sentinel and Cluster.
   */
  killPrimaryOf(key: string): Promise<number>;
  /**
   * Waits until a replica has taken over `key`'s slot (or the sentinels named a new primary),
   * then restarts the killed node, which rejoins as a replica (as Kubernetes would restart the
   * pod). Resolves with the moment the new primary was seen.
   */
  failoverAndRestart(key: string, timeoutMs: number): Promise<number>;
  /** Connections subscribed to a pub/sub topic (PUBSUB NUMSUB; SHARDNUMSUB on the slot's primary of a Cluster). */
  subscribers(topic: string): Promise<number>;
  stop(): Promise<void>;
}

export const TOPOLOGIES: readonly TopologyMode[] = ['standalone', 'sentinel', 'cluster'];

function parse(seeds: string): RedisNode[] {
  return seeds.split(',').map((s) => ({ host: s.split(':')[0], port: Number(s.split(':')[1]) }));
}

export async function startRedisTopology(mode: TopologyMode): Promise<RedisTopologyHarness> {
  if (mode === 'standalone') {
    const server = await RedisServer.start();
    const admin = new RedisServerAdmin(server);
    return {
      mode,
      topology: { mode, url: server.url },
      env: { REDIS_URL: server.url },
      flushAll: () => admin.run((r) => r.flushall()),
      flushScripts: () => admin.run((r) => r.script('FLUSH')),
      subscribers: async (topic) => {
        let count = 0;
        await admin.run(async (r) => {
          count = Number(((await r.pubsub('NUMSUB', topic)) as unknown[])[1]);
        });
        return count;
      },
      killPrimaryOf: async () => {
        await server.kill();
        return Date.now();
      },
      failoverAndRestart: async () => {
        await server.restart();
        return Date.now();
      },
      stop: () => server.stop(),
    };
  }
  if (mode === 'sentinel') {
    const set = await RedisSentinelHarness.start();
    return {
      mode,
      topology: { mode, sentinels: parse(set.seeds), name: SENTINEL_GROUP, sentinelPassword: null, password: null, tls: false },
      env: { REDIS_MODE: 'sentinel', REDIS_SENTINELS: set.seeds, REDIS_SENTINEL_NAME: SENTINEL_GROUP },
      flushAll: () => set.flushAll(),
      flushScripts: async () => {
        await Promise.all(set.data.filter((n) => n.running).map((n) => n.admin((r) => r.script('FLUSH'))));
      },
      subscribers: async (topic) => (await set.primary()).admin(async (r) => Number(((await r.pubsub('NUMSUB', topic)) as unknown[])[1])),
      killPrimaryOf: async () => {
        await (await set.primary()).kill();
        return Date.now();
      },
      failoverAndRestart: async (_key, timeoutMs) => {
        await waitUntil(async () => (await set.primary()).running, timeoutMs, 'Sentinel failover');
        const at = Date.now();
        await Promise.all(set.data.filter((n) => !n.running).map((n) => n.start()));
        return at;
      },
      stop: () => set.stop(),
    };
  }
  const cluster = await RedisClusterHarness.start();
  return {
    mode,
    topology: { mode, nodes: parse(cluster.seeds), password: null, tls: false },
    env: { REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: cluster.seeds },
    flushAll: () => cluster.flushAll(),
    flushScripts: async () => {
      await Promise.all(cluster.nodes.filter((n) => n.running).map((n) => n.admin((r) => r.script('FLUSH'))));
    },
    subscribers: async (topic) => (await cluster.primaryFor(topic)).admin(async (r) => Number(((await r.pubsub('SHARDNUMSUB', topic)) as unknown[])[1])),
    killPrimaryOf: async (key) => {
      await (await cluster.primaryFor(key)).kill();
      return Date.now();
    },
    failoverAndRestart: async (key, timeoutMs) => {
      await waitUntil(async () => (await cluster.primaryFor(key)).running, timeoutMs, 'Cluster failover');
      const at = Date.now();
      await Promise.all(cluster.nodes.filter((n) => !n.running).map((n) => n.start()));
      return at;
    },
    stop: () => cluster.stop(),
  };
}

/** Short-lived admin connections to a standalone server. */
class RedisServerAdmin {
  constructor(private readonly server: RedisServer) {}

  async run(fn: (r: Redis) => Promise<unknown>): Promise<void> {
    const r = new Redis(this.server.url, { maxRetriesPerRequest: 0 });
    try {
      await fn(r);
    } finally {
      r.disconnect();
    }
  }
}
