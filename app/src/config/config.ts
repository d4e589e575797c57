/**
 * The gateway's whole configuration, parsed once at boot from environment variables.
 * Nothing else in the code base reads `process.env` (the tracing bootstrap reads the standard
 * `OTEL_*` variables through the OpenTelemetry SDK itself).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { parseTrustProxy, type TrustProxy } from '../auth/client-ip';
import { readRedisConfig, type RedisSettings } from './redis-config';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type Transport = 'websocket' | 'polling';
export type RedisAdapterMode = 'classic' | 'sharded';
export type EngineKind = 'memory' | 'redis';

/** Per-user token-bucket limits, in events per minute. */
export interface RateLimits {
  'message:send': number;
  'user:typing': number;
  'presence:update': number;
  /** Joins of channels the user was not in recently. */
  'channel:join': number;
  /** Joins of channels the user was in within `rejoinGraceMs` (honest reconnects). */
  'channel:rejoin': number;
  /** Every other client event. */
  default: number;
  /** Client-sent `user:typing { isTyping: false }` (relayed to the whole channel, so limited too). */
  'user:typing_stop': number;
  'auth:refresh': number;
  /**
   * Engine.IO handshakes per client IP, refused before a session exists: a flood guard sized
   * for NAT (an office or a carrier shares one address), not a per-user limit.
   * @default 600
   */
  connectPerIp: number;
  /** Socket.IO connections per user across the fleet (a reconnect loop or abuse past it). @default 10 */
  connectPerUser: number;
}

export interface GatewayConfig {
  port: number;
  /**
   * Port of the server HTTP API (`/api/v1`, `/demo`); null serves it on `port` as well. With its
   * own port, the public listener answers only Socket.IO and the health checks.
   * @default null (same port)
   */
  apiPort: number | null;
  metricsPort: number;
  /**
   * Where shared state lives. Unset: `redis` when any `REDIS_*` variable is set, `memory` outside
   * production, and a configuration error with `NODE_ENV=production` (the image's setting), so a
   * missing Redis can never turn a fleet into isolated single instances.
   */
  engine: EngineKind;
  instanceId: string;
  redisUrl: string | null;
  /** REDIS_MODE and its connection settings; null runs the memory engine (one instance, no Redis). */
  redis: RedisSettings | null;
  /** `sharded` whenever REDIS_MODE=cluster. @default 'classic' */
  redisAdapter: RedisAdapterMode;
  redisKeyPrefix: string;
  jwt: {
    secret: string | null;
    jwksUrl: string | null;
    issuer: string | null;
    audience: string | null;
    /** Seconds of clock skew tolerated on exp/nbf/iat. */
    clockToleranceSec: number;
    /**
     * Refuse tokens without `exp`. With false, such tokens end only when revoked, so revocation
     * marks are then kept forever.
     * @default true
     */
    requireExp: boolean;
    /**
     * Tokens need `iat` and are refused once `iat` is older than this, whatever their `exp`: the
     * longest any token can live, hence how long revocation marks must be kept.
     * @default 86400
     */
    maxTokenAgeSec: number;
  };
  corsOrigins: string[];
  /** Which proxies' `X-Forwarded-For` entries are believed (see auth/client-ip.ts). @default false */
  trustProxy: TrustProxy;
  transports: Transport[];
  pingIntervalMs: number;
  pingTimeoutMs: number;
  /** Largest accepted frame or polling body; message content is capped at 4,000 characters. @default 65536 */
  maxHttpBufferSize: number;
  /** A socket that sends this many invalid frames within a minute is disconnected. @default 10 */
  maxInvalidFramesPerMinute: number;
  /**
   * Outgoing bytes a socket may have waiting on this instance (Engine.IO write buffer plus the
   * WebSocket's unsent bytes); a client that stops reading is disconnected past it, so one stalled
   * consumer cannot hold the instance's memory until the heartbeat times it out.
   * @default 4194304 (4 MiB)
   */
  maxSocketBufferBytes: number;
  logLevel: LogLevel;
  rateLimits: RateLimits;
  rejoinGraceMs: number;
  ipBlocklist: string[];
  historyMaxLen: number;
  idempotencyTtlSec: number;
  /** Deadline for every state-store call; past it the caller gets UNAVAILABLE. */
  engineTimeoutMs: number;
  maxConnections: number;
  /** Sockets one user may hold across all instances; more are refused with RATE_LIMITED. @default 20 */
  maxSocketsPerUser: number;
  drainDelayMs: number;
  drainWindowMs: number;
  apiKeys: string[];
  demoPage: boolean;
  /** Instance liveness heartbeat; a SIGKILLed instance's users go offline within 2 of these. */
  heartbeatMs: number;
  /**
   * How long member and presence events are held per room to merge them (a user's latest state
   * once, join+leave pairs dropped); the hold never exceeds 5× this. 0 emits at once.
   * @default 150
   */
  presenceCoalesceMs: number;
  /**
   * Handshakes that reach their Redis step within this window send it together (one write, one
   * read for all of them) instead of one each; each waits at most this long. 0 sends each at once.
   * @default 5
   */
  handshakeBatchMs: number;
  /** Interval of the maintenance jobs (history-trim, key-expiry, orphan-cleanup). */
  maintenanceIntervalMs: number;
  /** Channels with no members and no message for this long are deleted by orphan-cleanup. */
  channelIdleMs: number;
  /**
   * Per-user revocation marks are kept at least this long, and never less than a token can live
   * (see `revocationRetentionMs()` in auth/token-lifetime.ts).
   */
  revocationRetentionMs: number;
  notifications: {
    /** How long a notification stays in the user's inbox. @default 604800 (7 days) */
    ttlSec: number;
    /** Notifications kept per user; acked ones are dropped first, then the oldest. @default 500 */
    inboxMax: number;
    /** How long a user's normal/low notifications are gathered into one batch. @default 250 */
    batchWindowMs: number;
  };
  webhooks: {
    /** Where events are POSTed; null disables webhooks (nothing is queued). */
    url: string | null;
    /** HMAC-SHA256 key of the `X-Gateway-Signature` header; required with `url`. */
    secret: string | null;
    /** Attempts before an event goes to the dead-letter list. @default 8 */
    maxAttempts: number;
    /** Deadline of one POST. @default 5000 */
    timeoutMs: number;
    /** First retry delay; doubles per attempt (with jitter) up to `backoffMaxMs`. @default 1000 */
    backoffBaseMs: number;
    /** @default 300000 */
    backoffMaxMs: number;
  };
  /** Commit the image was built from, shown in socket_gateway_build_info. */
  buildCommit: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

export class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  int(name: string, def: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max} (got "${v}")`);
      return def;
    }
    return n;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (!(allowed as readonly string[]).includes(v)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${v}")`);
      return def;
    }
    return v as T;
  }

  list(name: string, def: string[]): string[] {
    const v = this.raw(name);
    if (v === undefined) return def;
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (['true', '1', 'yes'].includes(v.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(v.toLowerCase())) return false;
    this.problems.push(`${name} must be true or false (got "${v}")`);
    return def;
  }

  trustProxy(): TrustProxy {
    const parsed = parseTrustProxy(this.raw('TRUST_PROXY'));
    if ('error' in parsed) this.problems.push(parsed.error);
    return 'value' in parsed ? parsed.value : false;
  }

  url(name: string, protocols: string[]): string | null {
    const v = this.raw(name);
    if (v === undefined) return null;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) throw new Error('protocol');
      return v;
    } catch {
      this.problems.push(`${name} must be a URL with protocol ${protocols.join(' or ')} (got a malformed value)`);
      return null;
    }
  }
}

const CIDR = /^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$|^[0-9a-fA-F:]+(\/\d{1,3})?$/;

/** Parses and validates the environment; throws one ConfigError that lists every bad variable. */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const r = new Reader(env);
  const transports = r.list('TRANSPORTS', ['websocket', 'polling']);
  for (const t of transports) {
    if (t !== 'websocket' && t !== 'polling') r.problems.push(`TRANSPORTS may only contain websocket and polling (got "${t}")`);
  }
  if (transports.length === 0) r.problems.push('TRANSPORTS must name at least one transport');

  const secret = r.raw('JWT_SECRET') ?? null;
  const jwksUrl = r.url('JWT_JWKS_URL', ['https:', 'http:']);
  if (!secret && !jwksUrl && !r.problems.some((p) => p.startsWith('JWT_JWKS_URL'))) {
    r.problems.push('JWT_SECRET (HS256) or JWT_JWKS_URL (RS256/ES256) must be set');
  }
  if (secret && jwksUrl) r.problems.push('set only one of JWT_SECRET and JWT_JWKS_URL');
  if (secret && Buffer.byteLength(secret) < 32) r.problems.push('JWT_SECRET must be at least 32 bytes long');

  const ipBlocklist = r.list('IP_BLOCKLIST', []);
  for (const c of ipBlocklist) if (!CIDR.test(c)) r.problems.push(`IP_BLOCKLIST entry "${c}" is not an IP address or CIDR`);

  const apiKeys = r.list('API_KEYS', []);
  for (const k of apiKeys) if (k.length < 16) r.problems.push('API_KEYS entries must be at least 16 characters long');

  const webhookUrl = r.url('WEBHOOK_URL', ['https:', 'http:']);
  const webhookSecret = r.raw('WEBHOOK_SECRET') ?? null;
  if (webhookUrl && !webhookSecret) r.problems.push('WEBHOOK_SECRET must be set when WEBHOOK_URL is set');
  if (webhookSecret && Buffer.byteLength(webhookSecret) < 16) r.problems.push('WEBHOOK_SECRET must be at least 16 bytes long');

  const port = r.int('PORT', 3000, 0, 65535);
  const apiPort = r.raw('API_PORT') === undefined ? null : r.int('API_PORT', 0, 0, 65535);
  const redisUrl = r.url('REDIS_URL', ['redis:', 'rediss:']);
  const engine = engineKind(r, env, redisUrl);

  const config: GatewayConfig = {
    port,
    apiPort: apiPort === null || (apiPort === port && port !== 0) ? null : apiPort,
    engine,
    metricsPort: r.int('METRICS_PORT', 9464, 0, 65535),
    instanceId: r.raw('INSTANCE_ID') ?? `${hostname()}-${randomBytes(3).toString('hex')}`,
    redisUrl: engine === 'redis' ? redisUrl : null,
    redis: null,
    redisAdapter: r.oneOf('REDIS_ADAPTER', 'classic', ['classic', 'sharded'] as const),
    redisKeyPrefix: r.raw('REDIS_KEY_PREFIX') ?? 'sg',
    jwt: {
      secret,
      jwksUrl,
      issuer: r.raw('JWT_ISSUER') ?? null,
      audience: r.raw('JWT_AUDIENCE') ?? null,
      clockToleranceSec: r.int('JWT_CLOCK_TOLERANCE_SEC', 5, 0, 300),
      requireExp: r.bool('JWT_REQUIRE_EXP', true),
      maxTokenAgeSec: r.int('JWT_MAX_TOKEN_AGE_SEC', 86_400, 60, 365 * 86_400),
    },
    corsOrigins: r.list('CORS_ORIGINS', []),
    trustProxy: r.trustProxy(),
    transports: transports as Transport[],
    pingIntervalMs: r.int('PING_INTERVAL_MS', 25000, 1000, 600000),
    pingTimeoutMs: r.int('PING_TIMEOUT_MS', 20000, 1000, 600000),
    maxHttpBufferSize: r.int('MAX_HTTP_BUFFER_SIZE', 65_536, 1024, 100_000_000),
    maxInvalidFramesPerMinute: r.int('MAX_INVALID_FRAMES_PER_MINUTE', 10, 1, 1_000_000),
    maxSocketBufferBytes: r.int('MAX_SOCKET_BUFFER_BYTES', 4_194_304, 65_536, 1_000_000_000),
    logLevel: r.oneOf('LOG_LEVEL', 'info', ['debug', 'info', 'warn', 'error', 'silent'] as const),
    rateLimits: {
      'message:send': r.int('RATE_LIMIT_MESSAGE_SEND', 60, 1, 1_000_000),
      'user:typing': r.int('RATE_LIMIT_TYPING', 10, 1, 1_000_000),
      'presence:update': r.int('RATE_LIMIT_PRESENCE_UPDATE', 30, 1, 1_000_000),
      'channel:join': r.int('RATE_LIMIT_CHANNEL_JOIN', 10, 1, 1_000_000),
      'channel:rejoin': r.int('RATE_LIMIT_CHANNEL_REJOIN', 300, 1, 1_000_000),
      default: r.int('RATE_LIMIT_DEFAULT', 100, 1, 1_000_000),
      'user:typing_stop': r.int('RATE_LIMIT_TYPING_STOP', 30, 1, 1_000_000),
      'auth:refresh': r.int('RATE_LIMIT_AUTH_REFRESH', 10, 1, 1_000_000),
      connectPerIp: r.int('RATE_LIMIT_CONNECT_PER_IP', 600, 1, 1_000_000),
      connectPerUser: r.int('RATE_LIMIT_CONNECT_PER_USER', 10, 1, 1_000_000),
    },
    rejoinGraceMs: r.int('REJOIN_GRACE_MS', 600_000, 0, 86_400_000),
    ipBlocklist,
    historyMaxLen: r.int('HISTORY_MAX_LEN', 1000, 1, 1_000_000),
    idempotencyTtlSec: r.int('IDEMPOTENCY_TTL_SEC', 86400, 1, 30 * 86400),
    engineTimeoutMs: r.int('ENGINE_TIMEOUT_MS', 1500, 50, 60000),
    maxConnections: r.int('MAX_CONNECTIONS', 10000, 1, 1_000_000),
    maxSocketsPerUser: r.int('MAX_SOCKETS_PER_USER', 20, 1, 100_000),
    drainDelayMs: r.int('DRAIN_DELAY_MS', 5000, 0, 600000),
    drainWindowMs: r.int('DRAIN_WINDOW_MS', 20000, 0, 3600000),
    apiKeys,
    demoPage: r.bool('DEMO_PAGE', false),
    heartbeatMs: r.int('PRESENCE_HEARTBEAT_MS', 15000, 200, 600000),
    presenceCoalesceMs: r.int('PRESENCE_COALESCE_MS', 150, 0, 5000),
    handshakeBatchMs: r.int('HANDSHAKE_BATCH_MS', 5, 0, 100),
    maintenanceIntervalMs: r.int('MAINTENANCE_INTERVAL_MS', 60000, 500, 86_400_000),
    channelIdleMs: r.int('CHANNEL_IDLE_DAYS', 30, 1, 3650) * 86_400_000,
    revocationRetentionMs: r.int('REVOCATION_RETENTION_DAYS', 30, 1, 3650) * 86_400_000,
    buildCommit: r.raw('BUILD_COMMIT') ?? 'unknown',
    notifications: {
      ttlSec: r.int('NOTIFICATION_TTL_SEC', 7 * 86400, 1, 90 * 86400),
      inboxMax: r.int('NOTIFICATION_INBOX_MAX', 500, 1, 100_000),
      batchWindowMs: r.int('NOTIFICATION_BATCH_WINDOW_MS', 250, 1, 60_000),
    },
    webhooks: {
      url: webhookUrl,
      secret: webhookSecret,
      maxAttempts: r.int('WEBHOOK_MAX_ATTEMPTS', 8, 1, 100),
      timeoutMs: r.int('WEBHOOK_TIMEOUT_MS', 5000, 50, 120_000),
      backoffBaseMs: r.int('WEBHOOK_BACKOFF_BASE_MS', 1000, 1, 3_600_000),
      backoffMaxMs: r.int('WEBHOOK_BACKOFF_MAX_MS', 300_000, 1, 86_400_000),
    },
  };
  config.redis = engine === 'redis' ? readRedisConfig(r, config.redisUrl, { explicit: r.raw('REDIS_ADAPTER') !== undefined, mode: config.redisAdapter }) : null;
  if (config.redis?.topology.mode === 'cluster') config.redisAdapter = 'sharded';
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** ENGINE, explicit or derived; refuses every combination that would run without the state store it implies. */
function engineKind(r: Reader, env: Env, redisUrlOrNull: string | null): EngineKind {
  const explicit = r.raw('ENGINE');
  // Sentinel and Cluster are reached without REDIS_URL (see redis-config.ts).
  const haMode = ['sentinel', 'cluster'].includes(r.raw('REDIS_MODE') ?? '');
  const redisUrl = haMode ? 'REDIS_MODE' : redisUrlOrNull;
  const redisSettings = Object.keys(env).filter((k) => k.startsWith('REDIS_') && r.raw(k) !== undefined);
  if (explicit === undefined) {
    if (redisSettings.length > 0) {
      if (redisUrl === null && !r.problems.some((p) => p.startsWith('REDIS_URL'))) {
        r.problems.push(`REDIS_URL must be set: ${redisSettings.join(', ')} ${redisSettings.length === 1 ? 'is' : 'are'} set, so ENGINE defaults to redis`);
      }
      return 'redis';
    }
    if (env.NODE_ENV === 'production') {
      r.problems.push('ENGINE is unset and no Redis is configured: set REDIS_URL (ENGINE=redis), or ENGINE=memory for a deliberate single instance');
    }
    return 'memory';
  }
  const kind = r.oneOf<EngineKind>('ENGINE', 'redis', ['memory', 'redis'] as const);
  if (explicit === 'redis' && redisUrl === null && !r.problems.some((p) => p.startsWith('REDIS_URL'))) r.problems.push('REDIS_URL must be set when ENGINE=redis');
  if (explicit === 'memory' && redisUrl !== null) r.problems.push(`${haMode ? 'REDIS_MODE' : 'REDIS_URL'} is set but ENGINE=memory: unset one of them`);
  return kind;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
