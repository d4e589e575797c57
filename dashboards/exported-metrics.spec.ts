import { ScriptedTraffic, trafficEnv } from '../alerts/lib/scripted-traffic';
import { GatewayChild } from '../app/test/support/gateway-child';
import { RedisServer } from '../app/test/support/redis-server';
import { EXTERNAL_METRICS, metricsExpectedFromGateway, referencedMetricNames, sampleNamesInExposition } from './lib/referenced-metrics';

const API_KEY = 'exported-metrics-key-0123456789';

/**
 * The gateway runs as its own process (like in a pod) rather than in-process: only then does it
 * register Node's default metrics (process_*, nodejs_*), which the dashboards and alerts read too.
 */
describe('metrics referenced by dashboards and alerts', () => {
  let redis: RedisServer;
  let gateway: GatewayChild;
  let traffic: ScriptedTraffic | undefined;
  let exported: Set<string>;

  beforeAll(async () => {
    redis = await RedisServer.start();
    gateway = await GatewayChild.start({
      ...trafficEnv(API_KEY),
      REDIS_URL: redis.url,
      INSTANCE_ID: 'exported-metrics',
      MAINTENANCE_INTERVAL_MS: '1000',
      PRESENCE_HEARTBEAT_MS: '500',
    });
    traffic = await ScriptedTraffic.start({ urls: [gateway.url], apiKey: API_KEY, usersPerGateway: 2 });
    for (let i = 0; i < 5; i++) await traffic.round();
    exported = sampleNamesInExposition(await gateway.metrics());
  }, 60_000);

  afterAll(async () => {
    await traffic?.stop();
    await gateway?.stop();
    await redis?.stop();
  });

  it('should have driven a session that produced client errors and rate limits', () => {
    expect([...traffic!.errorCodes.keys()].sort()).toEqual(expect.arrayContaining(['AUTH_FAILED', 'INVALID_PAYLOAD', 'NOT_FOUND', 'RATE_LIMITED']));
  });

  it('should export every metric a dashboard panel or alert rule reads from the gateway', () => {
    const expected = metricsExpectedFromGateway();
    expect(expected.length).toBeGreaterThan(30);
    const missing = expected.filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
  });

  it('should leave every other referenced metric to the explicit external list', () => {
    const unexplained = referencedMetricNames().filter((name) => !exported.has(name) && !(name in EXTERNAL_METRICS));
    expect(unexplained).toEqual([]);
  });

  it('should not export any metric the external list attributes to Prometheus or Kubernetes', () => {
    expect(Object.keys(EXTERNAL_METRICS).filter((name) => exported.has(name))).toEqual([]);
  });
});
