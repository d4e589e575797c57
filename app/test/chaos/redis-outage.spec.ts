import type { ChatMessage, GatewayClient } from '../../src/client';
import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { TcpBalancer } from '../support/tcp-balancer';
import { call, closeAll, connect, until } from '../support/clients';
import { signToken } from '../support/tokens';
import { ClientFleet, UNLIMITED } from './client-fleet';
import { DeliveryLedger } from './delivery-ledger';

const CLIENTS = 30;
const CHANNELS = ['outage-0', 'outage-1', 'outage-2'];
const OUTAGE_MS = 3000;

/** Every message of a channel's history, paging `message:history { afterSeq }`. */
async function fullHistory(client: GatewayClient, channelId: string): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  for (let page = 0; page < 100; page++) {
    const res = await client.history(channelId, { afterSeq: out.length ? out[out.length - 1].seq : 0, limit: 100 });
    out.push(...res.messages);
    if (!res.hasMore || res.messages.length === 0) return out;
  }
  throw new Error(`history of ${channelId} did not end within 100 pages`);
}

/**
 * Redis SIGKILLed mid-traffic and restarted ~3 s later (with an append-only file, as a
 * persistent production Redis): the gateways stay up and unready, every send is answered
 * UNAVAILABLE within 2 s, the SDK retries, and afterwards every acked message is in history and
 * reached every subscriber exactly once.
 */
describe('chaos: Redis killed mid-traffic, then restarted', () => {
  let redis: RedisServer;
  let gws: GatewayChild[];
  let lb: TcpBalancer;
  let fleet: ClientFleet;
  const ledger = new DeliveryLedger();

  beforeAll(async () => {
    redis = await RedisServer.start({ persistent: true });
    const env = { ...UNLIMITED, REDIS_URL: redis.url };
    gws = await Promise.all(['outage-a', 'outage-b'].map((id) => GatewayChild.start({ ...env, INSTANCE_ID: id })));
    lb = await TcpBalancer.start(gws.map((g, i) => ({ name: `gw${i}`, port: g.port })));
    // The app keeps retrying through the outage instead of giving up after the default 8 attempts.
    fleet = new ClientFleet(ledger, { url: lb.url, maxSendFailures: 1000 });
  }, 60_000);
  afterAll(async () => {
    fleet?.close();
    closeAll();
    await lb?.close();
    await Promise.all((gws ?? []).map((g) => g.stop()));
    await redis?.stop();
  });

  it('should stay up and unready, answer UNAVAILABLE within 2 s, and keep and deliver every acked message once Redis is back', async () => {
    const members = await fleet.add('outage', CLIENTS, CHANNELS);
    const retried = new Set<string>();
    for (const m of members) m.client.on('pending', (list) => list.forEach((p) => p.failures > 0 && retried.add(p.clientMsgId)));
    const probe = await connect(gws[0].url, await signToken({ sub: 'outage-probe' }));
    expect(await call(probe, 'channel:join', { channelId: 'outage-probe' })).toMatchObject({ ok: true });

    fleet.sendLoop(members, 400, 60);
    await until(() => ledger.ackedCount >= 150, 20_000, 'traffic flowing before the outage');
    await redis.kill();
    const killedAt = Date.now();
    const ackedBeforeKill = ledger.ackedSnapshot();

    for (const gw of gws) await until(async () => (await gw.readyz()).status === 503, 3000, `${gw.env.INSTANCE_ID} unready`);
    expect((await gws[0].readyz()).body).toEqual({ status: 'not_ready', reason: 'engine_unreachable' });
    // Never silence: every send during the outage is answered, with UNAVAILABLE, within 2 s.
    const probes: Array<{ ms: number; ack: unknown }> = [];
    for (let i = 0; Date.now() - killedAt < OUTAGE_MS && i < 50; i++) {
      const t = Date.now();
      const ack = await call(probe, 'message:send', { channelId: 'outage-probe', content: 'during', clientMsgId: `outage-probe-${i}` }, 2000);
      probes.push({ ms: Date.now() - t, ack });
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) {
      expect(p.ms).toBeLessThan(2000);
      expect(p.ack).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    }
    const ackedDuringOutage = ledger.ackedCount - [...ackedBeforeKill.values()].reduce((n, s) => n + s.size, 0);
    expect(gws.map((g) => g.exitCode)).toEqual([null, null]);

    await redis.restart();
    const restartedAt = Date.now();
    for (const gw of gws) await until(async () => (await gw.readyz()).status === 200, 15_000, `${gw.env.INSTANCE_ID} ready again`);
    const recoveryMs = Date.now() - restartedAt;
    const ackedAtRecovery = ledger.ackedCount;
    await until(() => ledger.ackedCount >= ackedAtRecovery + 150, 20_000, 'traffic flowing after the outage');
    fleet.stop();
    await fleet.settle(ledger, 40_000);

    const counts = ledger.report('redis-outage');
    console.log(`[chaos redis-outage] outage ${restartedAt - killedAt} ms, ready again after ${recoveryMs} ms; probes answered UNAVAILABLE=${probes.length} (slowest ${Math.max(...probes.map((p) => p.ms))} ms); sends retried by the SDK=${retried.size}; acked during the outage=${ackedDuringOutage}`);
    expect(gws.map((g) => g.exitCode)).toEqual([null, null]);
    expect(retried.size).toBeGreaterThan(0);
    expect(ledger.failures).toEqual([]);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, holes: 0, gaps: 0, failed: 0 });
    expect(counts.acked).toBe(counts.sent);
    expect(counts.delivered).toBe(counts.acked * (CLIENTS / CHANNELS.length));

    // Every acked message — those acked before the kill included — is in history after the restart.
    const acked = ledger.ackedSnapshot();
    for (const ch of CHANNELS) {
      const history = new Map((await fullHistory(members[0].client, ch)).map((m) => [m.seq, m.clientMsgId]));
      for (const [seq, id] of ackedBeforeKill.get(ch) ?? []) expect(history.get(seq)).toBe(id);
      for (const [seq, id] of acked.get(ch) ?? []) expect(history.get(seq)).toBe(id);
    }
  }, 120_000);
});
