import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { TcpBalancer } from '../support/tcp-balancer';
import { until } from '../support/clients';
import { ClientFleet, UNLIMITED } from './client-fleet';
import { DeliveryLedger } from './delivery-ledger';

const CLIENTS = 500;
const CHANNELS = Array.from({ length: 10 }, (_, i) => `drain-load-${i}`);
const DRAIN_DELAY_MS = 1000;
const DRAIN_WINDOW_MS = 3000;

/**
 * Issue 5 "Drain under load" and the fault suite's SIGTERM case: two instances on one Redis
 * behind a readiness-aware balancer, 500 SDK clients all on A sending continuously; SIGTERM A.
 */
describe('chaos: drain under load (SIGTERM one of two instances)', () => {
  let redis: RedisServer;
  let a: GatewayChild;
  let b: GatewayChild;
  let lb: TcpBalancer;
  let fleet: ClientFleet;
  const ledger = new DeliveryLedger();

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { ...UNLIMITED, REDIS_URL: redis.url, DRAIN_DELAY_MS: String(DRAIN_DELAY_MS), DRAIN_WINDOW_MS: String(DRAIN_WINDOW_MS) };
    [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'drain-load-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'drain-load-b' })]);
    // Only A at first, so every client starts there.
    lb = await TcpBalancer.start([{ name: 'a', port: a.port }]);
    fleet = new ClientFleet(ledger, { url: lb.url });
  }, 60_000);
  afterAll(async () => {
    fleet?.close();
    await lb?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('should move all 500 clients to the other instance, lose and duplicate nothing acked, and exit 0 by itself after draining', async () => {
    const members = await fleet.add('drainee', CLIENTS, CHANNELS);
    expect(new Set(members.map((m) => m.client.connection?.instanceId))).toEqual(new Set(['drain-load-a']));
    lb.add({ name: 'b', port: b.port });
    await until(() => lb.readyBackends().includes('b'), 5000, 'B ready behind the balancer');

    fleet.sendLoop(members, 1500, 12);
    await until(() => ledger.ackedCount >= CLIENTS, 20_000, 'traffic flowing before the SIGTERM');

    const t0 = Date.now();
    const exited = a.send('SIGTERM');
    await exited;
    const exitMs = Date.now() - t0;
    expect(a.exitCode).toBe(0);
    // It waited out the drain delay and exited by itself (no second signal). How long it took under
    // this load is reported, not asserted: app/test/ops/drain.spec.ts holds the delay + window + 2 s
    // schedule on a lighter load, and the chart sizes the grace period with margin above it.
    expect(exitMs).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(a.exitSignal).toBeNull();

    await until(
      () => members.every((m) => m.client.state === 'connected' && m.client.connection?.instanceId === 'drain-load-b'),
      // Bounded, not tight: 500 clients come back through the SDK's jittered backoff while CI
      // shares the two cores with the other suites.
      45_000,
      'every client connected to B',
    );
    // Keep the traffic going on B for a while before the books are closed.
    const ackedAtMove = ledger.ackedCount;
    await until(() => ledger.ackedCount >= ackedAtMove + CLIENTS / 2, 20_000, 'traffic flowing on B');
    fleet.stop();
    await fleet.settle(ledger, 40_000);

    const counts = ledger.report('drain-under-load');
    console.log(`[chaos drain-under-load] A exited ${a.exitCode} after ${exitMs} ms; clients on B: ${members.filter((m) => m.client.connection?.instanceId === 'drain-load-b').length}/${CLIENTS}`);
    expect(ledger.failures).toEqual([]);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, holes: 0, gaps: 0, failed: 0 });
    expect(counts.acked).toBe(counts.sent);
    expect(counts.delivered).toBe(counts.acked * (CLIENTS / CHANNELS.length));
  }, 120_000);
});
