import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { TcpBalancer } from '../support/tcp-balancer';
import { until } from '../support/clients';
import { ClientFleet, UNLIMITED } from './client-fleet';
import { DeliveryLedger } from './delivery-ledger';

/** 20 s in the normal test run; `make chaos` runs the full minute (CHAOS_FLAKY_SECONDS=60). */
const SECONDS = Number(process.env.CHAOS_FLAKY_SECONDS ?? 20);
const CUT_EVERY_MS = 2000;
const CLIENTS = 40;
const CHANNELS = ['flaky-0', 'flaky-1', 'flaky-2', 'flaky-3'];

/**
 * Flaky network: SDK clients behind a proxy that cuts every connection every 2 s while they send;
 * every acked message still reaches every subscriber exactly once, in order.
 */
describe('chaos: flaky network (every connection cut every 2 s)', () => {
  let redis: RedisServer;
  let gws: GatewayChild[];
  let lb: TcpBalancer;
  let fleet: ClientFleet;
  const ledger = new DeliveryLedger();

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { ...UNLIMITED, REDIS_URL: redis.url };
    gws = await Promise.all(['flaky-a', 'flaky-b'].map((id) => GatewayChild.start({ ...env, INSTANCE_ID: id })));
    lb = await TcpBalancer.start(gws.map((g, i) => ({ name: `gw${i}`, port: g.port })));
    fleet = new ClientFleet(ledger, { url: lb.url, maxSendFailures: 1000 });
  }, 60_000);
  afterAll(async () => {
    fleet?.close();
    await lb?.close();
    await Promise.all((gws ?? []).map((g) => g.stop()));
    await redis?.stop();
  });

  it(`should deliver 100% of acked messages exactly once and in order while connections are cut for ${SECONDS} s`, async () => {
    const members = await fleet.add('flaky', CLIENTS, CHANNELS);
    fleet.sendLoop(members, 400, Math.ceil((SECONDS * 1000) / 200));
    lb.flaky(CUT_EVERY_MS);
    const until_ = Date.now() + SECONDS * 1000;
    await until(() => Date.now() >= until_, SECONDS * 1000 + 1000, 'the flaky period');
    fleet.stop();
    lb.steady();
    await fleet.settle(ledger, 30_000);

    const counts = ledger.report('flaky-network');
    console.log(`[chaos flaky-network] ${SECONDS} s, connections cut=${lb.stats.cut}, accepted=${lb.stats.accepted}`);
    // The cuts really happened, to connections carrying traffic.
    expect(lb.stats.cut).toBeGreaterThanOrEqual(CLIENTS * Math.floor(SECONDS / (CUT_EVERY_MS / 1000)) * 0.5);
    expect(counts.acked).toBeGreaterThan(CLIENTS * SECONDS);
    expect(ledger.failures).toEqual([]);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, holes: 0, gaps: 0, failed: 0 });
    expect(counts.acked).toBe(counts.sent);
    expect(counts.delivered).toBe(counts.acked * (CLIENTS / CHANNELS.length));
  }, SECONDS * 1000 + 120_000);
});
