/**
 * The stage's Redis: a primary (`redis-0`), a replica (`redis-1`) and three sentinels, as the
 * gateway meets them with REDIS_MODE=sentinel. Each data node and sentinel has its own writable
 * config file, because Sentinel rewrites both its own and, on failover, the data nodes'
 * (`replicaof`), so a node restarted after a kill comes back as a replica of the new primary.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { logTail, runningPid, startDaemon, waitFor } from './daemons';
import { SENTINEL_GROUP, type StageState } from './state';

/** Short enough for a rehearsal to see a failover within seconds (Sentinel's default is 30 s). */
const DOWN_AFTER_MS = 2000;

const confDir = (dir: string) => join(dir, 'redis');

export function writeRedisConfigs(s: StageState): void {
  mkdirSync(confDir(s.dir), { recursive: true });
  const [primary] = s.redis;
  for (const node of s.redis) {
    const data = join(confDir(s.dir), node.name);
    mkdirSync(data, { recursive: true });
    writeFileSync(join(confDir(s.dir), `${node.name}.conf`), [
      `port ${node.port}`, 'bind 127.0.0.1', `dir ${data}`, 'save ""', 'appendonly no', 'loglevel notice',
      // As the gateway needs it: never evict its state.
      'maxmemory-policy noeviction',
      ...(node === primary ? [] : [`replicaof 127.0.0.1 ${primary.port}`]), '',
    ].join('\n'));
  }
  for (const sentinel of s.sentinels) {
    writeFileSync(join(confDir(s.dir), `${sentinel.name}.conf`), [
      `port ${sentinel.port}`, 'bind 127.0.0.1', `dir ${confDir(s.dir)}`, 'loglevel notice',
      `sentinel monitor ${SENTINEL_GROUP} 127.0.0.1 ${primary.port} 2`,
      `sentinel down-after-milliseconds ${SENTINEL_GROUP} ${DOWN_AFTER_MS}`,
      `sentinel failover-timeout ${SENTINEL_GROUP} 10000`,
      `sentinel parallel-syncs ${SENTINEL_GROUP} 1`, '',
    ].join('\n'));
  }
}

/** Starts (or restarts) one data node or sentinel from its config file. */
export function startRedisNode(s: StageState, name: string): void {
  const conf = join(confDir(s.dir), `${name}.conf`);
  startDaemon(s.dir, { name, command: 'redis-server', args: name.startsWith('sentinel') ? [conf, '--sentinel'] : [conf] });
}

/** A short-lived admin connection to a local port. */
export async function admin<T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  r.on('error', () => undefined);
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

/** The data node the first running sentinel names as primary. */
export async function currentPrimary(s: StageState): Promise<{ name: string; port: number }> {
  for (const sentinel of s.sentinels) {
    if (runningPid(s.dir, sentinel.name) === null) continue;
    const addr = await admin(sentinel.port, (r) => r.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_GROUP) as Promise<[string, string]>).catch(() => null);
    const node = addr && s.redis.find((n) => n.port === Number(addr[1]));
    if (node) return node;
  }
  throw new Error('no sentinel names a primary');
}

/**
 * Every sentinel agrees on one primary that runs, answers ROLE master with a connected replica,
 * and knows the two other sentinels (so the next failover can be authorised).
 */
export async function waitRedisHealthy(s: StageState, timeoutMs: number): Promise<void> {
  let seen = 'no answer yet';
  await waitFor('Redis primary, replica and 3 sentinels healthy', timeoutMs, async () => {
    const views = await Promise.all(s.sentinels.map((sentinel) => admin(sentinel.port, async (r) => {
      const master = (await r.call('SENTINEL', 'master', SENTINEL_GROUP)) as string[];
      const field = (name: string) => master[master.indexOf(name) + 1];
      return { port: field('port'), replicas: Number(field('num-slaves')), others: Number(field('num-other-sentinels')), flags: field('flags') };
    })));
    seen = JSON.stringify(views);
    if (new Set(views.map((v) => v.port)).size !== 1 || !views.every((v) => v.flags === 'master' && v.replicas >= 1 && v.others === 2)) return false;
    const primary = s.redis.find((n) => n.port === Number(views[0].port));
    if (!primary || runningPid(s.dir, primary.name) === null) return false;
    const [role, , replicas] = await admin(primary.port, (r) => r.role() as Promise<[string, number, unknown[]]>);
    return role === 'master' && replicas.length >= 1;
  }, () => `sentinels see ${seen}\n${[...s.redis, ...s.sentinels].map((n) => logTail(s.dir, n.name, 5)).join('\n')}`);
}
