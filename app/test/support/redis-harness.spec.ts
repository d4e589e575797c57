import { RedisClusterHarness } from './redis-cluster';
import { waitUntil } from './redis-process';
import { RedisSentinelHarness } from './redis-sentinel';

describe('Redis topology harnesses', () => {
  it('should start a 3+3 Cluster whose replica takes over a killed primary\u2019s slots', async () => {
    const cluster = await RedisClusterHarness.start();
    try {
      expect(await cluster.primaries()).toHaveLength(3);
      const victim = await cluster.primaryFor('{ch:x}');
      await victim.kill();
      // The promoted replica serves the slots; it has no replica of its own until the victim returns.
      await cluster.waitHealthy(30_000, { withReplicas: false });
      const successor = await cluster.primaryFor('{ch:x}');
      expect(successor.port).not.toBe(victim.port);
    } finally {
      await cluster.stop();
    }
  }, 60_000);

  it('should start a Sentinel set that promotes the replica when the primary is killed', async () => {
    const set = await RedisSentinelHarness.start();
    try {
      const first = await set.primary();
      await first.kill();
      await waitUntil(async () => (await set.primary()).port !== first.port, 20_000, 'Sentinel failover');
      const next = await set.primary();
      expect(next.running).toBe(true);
      expect((await next.admin((r) => r.role() as Promise<unknown[]>))[0]).toBe('master');
    } finally {
      await set.stop();
    }
  }, 60_000);
});
