/**
 * Which Redis the gateway uses and how it reaches it (REDIS_MODE and its companions). Parsed by
 * `loadConfig`; every problem is added to the one configuration error.
 */
import type { RedisAdapterMode } from './config';

export type RedisMode = 'standalone' | 'sentinel' | 'cluster';

export interface RedisNode {
  host: string;
  port: number;
}

/** Where the data nodes are; `null` in GatewayConfig.redis means the memory engine (no Redis). */
export type RedisTopology =
  | { mode: 'standalone'; url: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string; sentinelPassword: string | null; password: string | null; tls: boolean }
  | { mode: 'cluster'; nodes: RedisNode[]; password: string | null; tls: boolean };

export interface RedisSettings {
  topology: RedisTopology;
  /**
   * Replicas that must hold a message (Redis `WAIT`) before its send is acked; 0 acks once the
   * primary has it. @default 0
   */
  waitReplicas: number;
}

/** What `readRedisConfig` needs of the config reader. */
export interface RedisEnvReader {
  readonly problems: string[];
  raw(name: string): string | undefined;
  int(name: string, def: number, min: number, max: number): number;
  bool(name: string, def: boolean): boolean;
  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T;
}

const ONLY_FOR_HA = ['REDIS_PASSWORD', 'REDIS_TLS'] as const;
const SENTINEL_ONLY = ['REDIS_SENTINELS', 'REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const;

/**
 * Called when ENGINE is redis (config.ts decides that and reports a missing REDIS_URL).
 * REDIS_MODE defaults to `standalone`. A variable that the chosen mode does not read is refused
 * rather than ignored, so a half-edited deployment cannot silently run on another Redis than its
 * operator thinks.
 */
export function readRedisConfig(r: RedisEnvReader, redisUrl: string | null, adapter: { explicit: boolean; mode: RedisAdapterMode }): RedisSettings | null {
  const set = (name: string) => r.raw(name) !== undefined;
  const mode = r.oneOf<RedisMode>('REDIS_MODE', 'standalone', ['standalone', 'sentinel', 'cluster'] as const);
  const waitReplicas = r.int('REDIS_WAIT_REPLICAS', 0, 0, 16);
  const unused = (names: readonly string[], why: string) => {
    for (const n of names) if (set(n)) r.problems.push(`${n} is not used ${why}; unset it`);
  };
  if (mode === 'standalone') unused([...ONLY_FOR_HA], 'with REDIS_MODE=standalone (credentials and TLS go in REDIS_URL)');
  if (mode !== 'sentinel') unused(SENTINEL_ONLY, `unless REDIS_MODE=sentinel`);
  if (mode !== 'cluster') unused(['REDIS_CLUSTER_NODES'], 'unless REDIS_MODE=cluster');
  if (mode !== 'standalone' && set('REDIS_URL')) r.problems.push(`REDIS_URL is not used with REDIS_MODE=${mode}; unset it`);

  if (mode === 'standalone') return redisUrl ? { topology: { mode, url: redisUrl }, waitReplicas } : null;
  const password = r.raw('REDIS_PASSWORD') ?? null;
  const tls = r.bool('REDIS_TLS', false);
  if (mode === 'sentinel') {
    const sentinels = nodes(r, 'REDIS_SENTINELS');
    const name = r.raw('REDIS_SENTINEL_NAME');
    if (!name) r.problems.push('REDIS_SENTINEL_NAME must be set when REDIS_MODE=sentinel');
    return { topology: { mode, sentinels, name: name ?? '', sentinelPassword: r.raw('REDIS_SENTINEL_PASSWORD') ?? null, password, tls }, waitReplicas };
  }
  if (adapter.explicit && adapter.mode === 'classic') {
    r.problems.push('REDIS_ADAPTER=classic cannot be used with REDIS_MODE=cluster (the sharded adapter is used there)');
  }
  return { topology: { mode, nodes: nodes(r, 'REDIS_CLUSTER_NODES'), password, tls }, waitReplicas };
}

/** Parses `host:port,host:port`; problems name the variable, never echo a password. */
function nodes(r: RedisEnvReader, name: string): RedisNode[] {
  const v = r.raw(name);
  if (v === undefined) {
    r.problems.push(`${name} must list at least one host:port`);
    return [];
  }
  const out: RedisNode[] = [];
  for (const entry of v.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(entry);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) {
      r.problems.push(`${name} entries must be host:port (got "${entry}")`);
      continue;
    }
    out.push({ host: m[1].replace(/^\[|\]$/g, ''), port });
  }
  if (out.length === 0 && !r.problems.some((p) => p.startsWith(name))) r.problems.push(`${name} must list at least one host:port`);
  return out;
}
