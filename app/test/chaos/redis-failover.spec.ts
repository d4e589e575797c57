import { GatewayChild } from '../support/gateway-child';
import { startRedisTopology, type RedisTopologyHarness } from '../support/redis-topology';
import { TcpBalancer } from '../support/tcp-balancer';
import { call, closeAll, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';
import { ClientFleet, UNLIMITED } from './client-fleet';
import { DeliveryLedger } from './delivery-ledger';

const CLIENTS = 30;
const CHANNELS = ['failover-0', 'failover-1', 'failover-2'];
/** The channel whose primary is killed (on a Cluster, the shard holding its slot). */
const BUSY = CHANNELS[0];

/**
 * The primary of a busy channel is SIGKILLed during traffic, with REDIS_WAIT_REPLICAS=1: while no
 * primary answers, sends get UNAVAILABLE (never silence); the replica is promoted (Sentinel
 * failover, or Cluster replica election) and the gateways follow it without a restart. The
 * promoted node has no replica of its own until the killed one is restarted (as Kubernetes
 * restarts a pod) and rejoins as one; until then WAIT cannot be satisfied and sends stay
 * UNAVAILABLE. No acked message is lost and none is delivered twice.
 */
describe.each(['sentinel', 'cluster'] as const)('chaos: Redis %s primary killed during traffic (REDIS_WAIT_REPLICAS=1)', (mode) => {
  let redis: RedisTopologyHarness;
  let gws: GatewayChild[];
  let lb: TcpBalancer;
  let fleet: ClientFleet;
  const ledger = new DeliveryLedger();

  beforeAll(async () => {
    redis = await startRedisTopology(mode);
    const env = { ...UNLIMITED, ...redis.env, REDIS_WAIT_REPLICAS: '1' };
    gws = await Promise.all([`${mode}-a`, `${mode}-b`].map((id) => GatewayChild.start({ ...env, INSTANCE_ID: id })));
    lb = await TcpBalancer.start(gws.map((g, i) => ({ name: `gw${i}`, port: g.port })));
    fleet = new ClientFleet(ledger, { url: lb.url, maxSendFailures: 1000 });
  }, 90_000);
  afterAll(async () => {
    fleet?.close();
    closeAll();
    await lb?.close();
    await Promise.all((gws ?? []).map((g) => g.stop()));
    await redis?.stop();
  });

  it('should answer UNAVAILABLE without a primary, resume by itself, and lose or duplicate no acked message', async () => {
    const members = await fleet.add(`fo-${mode}`, CLIENTS, CHANNELS);
    const probe = await connect(gws[0].url, await signToken({ sub: `${mode}-probe` }));
    expect(await call(probe, 'channel:join', { channelId: BUSY })).toMatchObject({ ok: true });

    fleet.sendLoop(members, 300, 80);
    await until(() => ledger.ackedCount >= 150, 20_000, 'traffic flowing before the kill');
    const key = `sg:{ch:${BUSY}}:log`;
    const killedAt = await redis.killPrimaryOf(key);
    const failover = redis.failoverAndRestart(key, 30_000);

    // Probe the busy channel until a send is acked again; every refusal must be a prompt UNAVAILABLE.
    const refusals: Array<{ ms: number; code: string }> = [];
    let resumedAt = 0;
    for (let i = 0; resumedAt === 0; i++) {
      if (Date.now() - killedAt > 30_000) throw new Error(`no send acked within 30 s of the kill (${refusals.length} refusals)`);
      const t = Date.now();
      const ack = await call(probe, 'message:send', { channelId: BUSY, content: 'probe', clientMsgId: `${mode}-probe-${i}` }, 10_000);
      if (ack.ok) resumedAt = Date.now();
      else refusals.push({ ms: Date.now() - t, code: ack.error.code });
      if (!ack.ok) await new Promise((r) => setTimeout(r, 100));
    }
    const promotedAt = await failover;
    const ackedAtResume = ledger.ackedCount;
    await until(() => ledger.ackedCount >= ackedAtResume + 150, 30_000, 'traffic flowing after the failover');
    fleet.stop();
    await fleet.settle(ledger, 40_000);

    const counts = ledger.report(`redis-${mode}-failover`);
    console.log(`[chaos redis-${mode}-failover] replica promoted ${promotedAt - killedAt} ms after the kill, sends acked again after ${resumedAt - killedAt} ms (killed node restarted as a replica); probes refused meanwhile=${refusals.length} (slowest ${Math.max(0, ...refusals.map((r) => r.ms))} ms)`);
    expect(gws.map((g) => g.exitCode)).toEqual([null, null]);
    // A send makes two engine calls (rate limit, append), each bounded by ENGINE_TIMEOUT_MS (1.5 s);
    // 2 s on top is scheduling slack on a busy 2-core machine (4.0 s was seen once in CI). The
    // point is a bounded answer, never silence; the probe's own timeout is 10 s.
    const odd = refusals.filter((r) => r.code !== 'UNAVAILABLE');
    if (odd.length > 0 || ledger.failures.length > 0 || counts.lost > 0 || counts.acked !== counts.sent) {
      // Enough of each gateway's own account to tell a stuck subscription from stuck clients.
      const lines = gws.flatMap((g) => g.output.filter((l) => l.includes('"level":"error"') || l.includes('"level":"warn"')).slice(-8));
      throw new Error(`refusals other than UNAVAILABLE: ${JSON.stringify(odd)}; client failures: ${JSON.stringify(ledger.failures)}; counts: ${JSON.stringify(counts)}; unsettled sends: ${ledger.unsettled}; gateway errors and warnings: ${lines.join('\n')}`);
    }
    for (const r of refusals) {
      expect(r.code).toBe('UNAVAILABLE');
      expect(r.ms).toBeLessThan(2 * 1500 + 2000);
    }
    expect(ledger.failures).toEqual([]);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, failed: 0 });
    expect(counts.acked).toBe(counts.sent);
    for (const gw of gws) await until(async () => (await gw.readyz()).status === 200, 15_000, `${gw.env.INSTANCE_ID} ready`);
  }, 180_000);
});
