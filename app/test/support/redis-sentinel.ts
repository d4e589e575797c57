import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './free-port';
import { RedisProcess, retryOnPortTaken, waitUntil } from './redis-process';

export const SENTINEL_GROUP = 'sg-primary';

/**
 * A real Sentinel set: one primary, one replica and three `redis-server --sentinel` processes
 * (quorum 2) on free loopback ports. `down-after-milliseconds` is 1 s so a killed primary is
 * replaced within a few seconds.
 */
export class RedisSentinelHarness {
  private constructor(private readonly dir: string, readonly data: RedisProcess[], readonly sentinels: RedisProcess[]) {}

  static start(): Promise<RedisSentinelHarness> {
    return retryOnPortTaken(() => RedisSentinelHarness.startOnce());
  }

  private static async startOnce(): Promise<RedisSentinelHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'sg-sentinel-'));
    const data: RedisProcess[] = [];
    const sentinels: RedisProcess[] = [];
    try {
      const [primaryPort, replicaPort, ...sentinelPorts] = await freePorts(5);
      for (const [port, extra] of [[primaryPort, []], [replicaPort, ['--replicaof', '127.0.0.1', String(primaryPort)]]] as const) {
        const nodeDir = join(dir, String(port));
        mkdirSync(nodeDir);
        data.push(new RedisProcess(port, ['--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...extra]));
      }
      for (const port of sentinelPorts) {
        const conf = join(dir, `sentinel-${port}.conf`);
        // Sentinels rewrite their own config file, so each gets a writable one.
        writeFileSync(conf, [
          `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'loglevel warning',
          `sentinel monitor ${SENTINEL_GROUP} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_GROUP} 1000`,
          `sentinel failover-timeout ${SENTINEL_GROUP} 5000`,
          `sentinel parallel-syncs ${SENTINEL_GROUP} 1`, '',
        ].join('\n'));
        sentinels.push(new RedisProcess(port, [conf, '--sentinel']));
      }
      const set = new RedisSentinelHarness(dir, data, sentinels);
      await Promise.all(data.map((n) => n.start()));
      await Promise.all(sentinels.map((n) => n.start()));
      await set.waitHealthy(30_000);
      return set;
    } catch (err) {
      await Promise.all([...data, ...sentinels].map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** `host:port` list, as REDIS_SENTINELS takes it. */
  get seeds(): string {
    return this.sentinels.map((n) => n.address).join(',');
  }

  /** The data node the sentinels currently name as primary. */
  async primary(): Promise<RedisProcess> {
    const [, port] = await this.sentinels.find((s) => s.running)!.admin((r) => r.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_GROUP) as Promise<[string, string]>);
    const node = this.data.find((n) => n.port === Number(port));
    if (!node) throw new Error(`sentinels name an unknown primary on port ${port}`);
    return node;
  }

  /**
   * Every sentinel agrees on a running primary that reports role master, sees a connected
   * replica and knows the two other sentinels (so a failover can be authorised).
   */
  async waitHealthy(timeoutMs: number): Promise<void> {
    let seen = 'no answer yet';
    await waitUntil(async () => {
      const views = await Promise.all(this.sentinels.map((s) => s.admin(async (r) => {
        const master = (await r.call('SENTINEL', 'master', SENTINEL_GROUP)) as string[];
        const field = (name: string) => master[master.indexOf(name) + 1];
        return { port: field('port'), replicas: Number(field('num-slaves')), others: Number(field('num-other-sentinels')), flags: field('flags') };
      })));
      seen = `sentinels see ${JSON.stringify(views)}`;
      if (new Set(views.map((v) => v.port)).size !== 1) return false;
      if (!views.every((v) => v.flags === 'master' && v.replicas >= 1 && v.others === 2)) return false;
      const primary = await this.primary();
      if (!primary.running) return false;
      const [role, , replicas] = await primary.admin((r) => r.role() as Promise<[string, number, unknown[]]>);
      seen += `; primary ${primary.port} answers ROLE ${role} with ${replicas.length} replica(s)`;
      return role === 'master' && replicas.length >= 1;
    }, timeoutMs, 'Sentinel set healthy').catch((err: Error) => {
      const logs = [...this.data, ...this.sentinels].map((n) => `${n.port}${n.running ? '' : ' (exited)'}: ${n.output.slice(-5).join(' | ')}`);
      throw new Error(`${err.message}; ${seen}; node logs: ${logs.join(' ;; ')}`);
    });
  }

  async flushAll(): Promise<void> {
    await (await this.primary()).admin((r) => r.flushall());
  }

  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.data].map((n) => n.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
