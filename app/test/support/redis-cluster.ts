import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './free-port';
import { RedisProcess, retryOnPortTaken, waitUntil } from './redis-process';

const run = promisify(execFile);

/**
 * A real Redis Cluster: six `redis-server --cluster-enabled yes` processes on free loopback ports,
 * joined by `redis-cli --cluster create --cluster-replicas 1` into 3 primaries with one replica
 * each. The node timeout is 1 s so that a killed primary's replica takes over within seconds.
 */
export class RedisClusterHarness {
  private constructor(private readonly dir: string, readonly nodes: RedisProcess[]) {}

  static start(): Promise<RedisClusterHarness> {
    return retryOnPortTaken(() => RedisClusterHarness.startOnce());
  }

  private static async startOnce(): Promise<RedisClusterHarness> {
    const dir = mkdtempSync(join(tmpdir(), 'sg-cluster-'));
    const nodes: RedisProcess[] = [];
    try {
      for (const port of await freePorts(6)) {
        const nodeDir = join(dir, String(port));
        mkdirSync(nodeDir);
        nodes.push(new RedisProcess(port, [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir, '--save', '', '--appendonly', 'no',
          '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '1000',
          '--cluster-replica-validity-factor', '0', '--loglevel', 'warning',
        ]));
      }
      const cluster = new RedisClusterHarness(dir, nodes);
      await Promise.all(nodes.map((n) => n.start()));
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '1', '--cluster-yes'], { timeout: 30_000 });
      await cluster.waitHealthy(30_000);
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** `host:port` seed list, as REDIS_CLUSTER_NODES takes it. */
  get seeds(): string {
    return this.nodes.map((n) => n.address).join(',');
  }

  /**
   * Every running node reports `cluster_state:ok`, three primaries serve all 16384 slots, each
   * with a replica (`withReplicas: false` after a kill, when a promoted replica has none yet).
   */
  async waitHealthy(timeoutMs: number, { withReplicas = true } = {}): Promise<void> {
    await waitUntil(async () => {
      const running = this.nodes.filter((n) => n.running);
      const infos = await Promise.all(running.map((n) => n.admin((r) => r.cluster('INFO') as Promise<string>)));
      if (!infos.every((i) => i.includes('cluster_state:ok') && i.includes('cluster_slots_ok:16384'))) return false;
      const primaries = await this.primaries();
      if (primaries.length !== 3) return false;
      if (!withReplicas) return true;
      // Each primary lists a connected replica (ROLE), so WAIT 1 can be satisfied from the start.
      const roles = await Promise.all(primaries.map((n) => n.admin((r) => r.role() as Promise<[string, number, unknown[]]>)));
      return roles.every(([, , replicas]) => replicas.length >= 1);
    }, timeoutMs, 'Redis Cluster healthy');
  }

  /** Running primaries, as seen by the nodes themselves. */
  async primaries(): Promise<RedisProcess[]> {
    const roles = await Promise.all(this.nodes.map(async (n) => (n.running ? n.admin((r) => r.role() as Promise<unknown[]>).then((x) => x[0]) : null)));
    return this.nodes.filter((_, i) => roles[i] === 'master');
  }

  /** The running primary serving `key`'s slot. */
  async primaryFor(key: string): Promise<RedisProcess> {
    const any = this.running();
    const slot = await any.admin((r) => r.cluster('KEYSLOT', key) as Promise<number>);
    const ranges = await any.admin((r) => r.cluster('SLOTS'));
    const owner = ranges.find(([from, to]) => slot >= from && slot <= to);
    const node = this.nodes.find((n) => n.port === owner?.[2][1] && n.running);
    if (!node) throw new Error(`no running primary serves slot ${slot}`);
    return node;
  }

  /** Deletes every key on every primary (replicas follow). */
  async flushAll(): Promise<void> {
    await Promise.all((await this.primaries()).map((n) => n.admin((r) => r.flushall())));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private running(): RedisProcess {
    const node = this.nodes.find((n) => n.running);
    if (!node) throw new Error('no cluster node is running');
    return node;
  }
}
