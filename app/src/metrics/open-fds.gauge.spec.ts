import { closeSync, openSync } from 'node:fs';
import { Registry } from 'prom-client';
import { MetricsService } from './metrics.service';
import { OpenFdsGauge } from './open-fds.gauge';

const read = async (registry: Registry) => (await registry.getSingleMetric('process_open_fds')!.get()).values[0]?.value ?? 0;
const until = async (cond: () => Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('process_open_fds read off the event loop', () => {
  it('should follow the descriptors this process opens and closes', async () => {
    const registry = new Registry();
    const gauge = new OpenFdsGauge(registry, 50);
    try {
      await until(async () => (await read(registry)) > 0, 5000);
      // Other descriptors of the test process come and go meanwhile: the margins absorb them.
      const before = await read(registry);
      const fds = Array.from({ length: 200 }, () => openSync(__filename, 'r'));
      await until(async () => (await read(registry)) >= before + 150, 5000);
      const peak = await read(registry);
      for (const fd of fds) closeSync(fd);
      await until(async () => (await read(registry)) <= peak - 150, 5000);
    } finally {
      gauge.stop();
    }
  });

  it('should be the only walker of descriptors or handles in the default metrics', async () => {
    const metrics = new MetricsService();
    try {
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/^# TYPE process_open_fds gauge$/m);
      expect(text).toMatch(/^# TYPE process_max_fds gauge$/m);
      expect(text).not.toMatch(/nodejs_active_handles/);
    } finally {
      metrics.onModuleDestroy();
    }
  });
});
