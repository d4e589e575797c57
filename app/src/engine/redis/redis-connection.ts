import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTopology } from '../../config/redis-config';

/** A connection to the configured Redis, whichever its topology: one node, a Sentinel group or a Cluster. */
export type RedisClient = Redis | Cluster;

/** Reconnect quickly after an outage or failover: 50 ms doubling, capped at 1 s. */
export const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);

export interface ClientRole {
  /** Passed to every data node connection (timeouts, offline queue, connection name). */
  options: RedisOptions;
  /** One connection per shard for SSUBSCRIBE (Cluster subscriber only). */
  shardedSubscribers?: boolean;
}

/**
 * Opens a lazy client for the topology. Sentinel: ioredis asks the sentinels for the current
 * primary and reconnects to the new one after a failover (`failoverDetector` follows
 * +switch-master so that happens without waiting for the old primary's socket to time out).
 * Cluster: commands go to the primary of their key's slot; reads are never sent to replicas.
 */
export function createRedisClient(topology: RedisTopology, role: ClientRole): RedisClient {
  const options = role.options;
  if (topology.mode === 'standalone') return new Redis(topology.url, { ...options, reconnectOnError: demotedPrimary });
  const dataNode: RedisOptions = {
    ...options,
    password: topology.password ?? undefined,
    tls: topology.tls ? {} : undefined,
  };
  if (topology.mode === 'sentinel') {
    return new Redis({
      ...dataNode,
      reconnectOnError: demotedPrimary,
      sentinels: topology.sentinels,
      name: topology.name,
      sentinelPassword: topology.sentinelPassword ?? undefined,
      sentinelRetryStrategy: retryStrategy,
      failoverDetector: true,
    });
  }
  const { lazyConnect, enableOfflineQueue, enableAutoPipelining, ...perNode } = dataNode;
  const clusterOptions: ClusterOptions = {
    lazyConnect,
    enableOfflineQueue,
    enableAutoPipelining,
    redisOptions: perNode,
    scaleReads: 'master',
    clusterRetryStrategy: retryStrategy,
    // A failover moves slots: ask again soon rather than after ioredis' 100 ms defaults.
    retryDelayOnFailover: 50,
    retryDelayOnClusterDown: 50,
    retryDelayOnTryAgain: 50,
    slotsRefreshTimeout: Math.max(500, Number(options.connectTimeout ?? 1000)),
    shardedSubscribers: role.shardedSubscribers ?? false,
  };
  return new Cluster(topology.nodes, clusterOptions);
}

/**
 * A connection that reached a primary which was then demoted (a restarted old primary that the
 * sentinels turned into a replica, or an endpoint that moved) gets READONLY on every write:
 * reconnect, which asks the sentinels (or DNS) for the current primary. The failed command is
 * not resent; its caller gets UNAVAILABLE and the client retries.
 */
function demotedPrimary(err: Error): 1 | false {
  return err.message.startsWith('READONLY') ? 1 : false;
}

/** The primaries to run per-node commands on (SCAN, SCRIPT FLUSH): every shard's on a Cluster. */
export function primariesOf(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}
