import type { JsonLogger } from '../common/logger';
import type { GatewayConfig } from '../config/config';
import type { MetricsService } from '../metrics/metrics.service';
import type { Engine } from './engine.ports';
import { MemoryEngine } from './memory/memory.engine';
import type { CommandObserver } from './redis/redis-command-runner';
import { RedisEngine } from './redis/redis.engine';

export interface EngineDeps {
  /** Redis errors and up/down transitions are logged here (one line per distinct error per outage). */
  logger?: Pick<JsonLogger, 'warn' | 'info'>;
  /** Feeds `redis_up`, `redis_command_duration_seconds{command}`, `adapter_errors_total` and `bus_messages_received_total`. */
  metrics?: Pick<MetricsService, 'redisUp' | 'redisCommandDuration' | 'adapterErrors' | 'busMessagesReceived'>;
  /** Receives every Redis client error, unthrottled (reconnect attempts during an outage included). */
  onError?: (err: Error, connection: string) => void;
  /** Per-command timing hook, called in addition to `metrics`. */
  commandObserver?: CommandObserver;
  /** How long to wait for Redis at boot. @default 10000 */
  readyTimeoutMs?: number;
}

/**
 * The memory engine when `config.engine` is memory (chosen explicitly, or by default outside
 * production); otherwise a RedisEngine on the configured topology (REDIS_MODE), resolved only
 * once Redis is ready (rejects with EngineUnavailableError when it is not ready within
 * `readyTimeoutMs`).
 */
export async function createEngine(config: GatewayConfig, deps: EngineDeps = {}): Promise<Engine> {
  if (config.engine === 'memory') {
    return new MemoryEngine({ historyMaxLen: config.historyMaxLen, idempotencyTtlSec: config.idempotencyTtlSec });
  }
  const { logger, metrics } = deps;
  // ioredis reports every failed reconnect attempt; one line per distinct error and outage is enough.
  const reported = new Map<string, string>();
  if (config.redis === null) throw new Error('ENGINE=redis without a Redis topology (loadConfig refuses this)');
  const engine = await RedisEngine.connect({
    topology: config.redis.topology,
    waitReplicas: config.redis.waitReplicas,
    keyPrefix: config.redisKeyPrefix,
    historyMaxLen: config.historyMaxLen,
    idempotencyTtlSec: config.idempotencyTtlSec,
    engineTimeoutMs: config.engineTimeoutMs,
    rejoinGraceMs: config.rejoinGraceMs,
    instanceId: config.instanceId,
    readyTimeoutMs: deps.readyTimeoutMs,
    onError: (err, connection) => {
      deps.onError?.(err, connection);
      if (connection.startsWith('adapter')) metrics?.adapterErrors.inc();
      if (reported.get(connection) === err.message) return;
      reported.set(connection, err.message);
      logger?.warn('redis.error', { metadata: { connection }, err });
    },
    onBusMessage: metrics ? () => metrics.busMessagesReceived.inc() : undefined,
    commandObserver: (command, seconds, ok) => {
      metrics?.redisCommandDuration.observe({ command }, seconds);
      deps.commandObserver?.(command, seconds, ok);
    },
  });
  metrics?.redisUp.set(1);
  engine.onStatusChange((up) => {
    metrics?.redisUp.set(up ? 1 : 0);
    if (up) {
      reported.clear();
      logger?.info('redis.up');
    } else {
      logger?.warn('redis.down');
    }
  });
  return engine;
}
