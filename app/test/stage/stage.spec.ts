/**
 * The stage suite: `make stage`'s topology (nginx → 3 gateways → Redis primary, replica and 3
 * sentinels; Prometheus, Alertmanager, redis_exporter, the webhook receiver), started by the
 * stage's own command line in a directory of its own, and every client through the proxy.
 * Chart values shorten the drain and the readiness period so three rolling restarts fit the
 * suite's time; everything else is the chart's defaults (rate limits included).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../../scripts/stage/state';
import { ClientFleet } from '../chaos/client-fleet';
import { DeliveryLedger } from '../chaos/delivery-ledger';
import { call, until, type TestSocket } from '../support/clients';
import { signToken } from '../support/tokens';
import { clientFrom, pollingHandshake } from '../support/from-address';
import { documentedStageCommands } from './documented-stage-commands';
import { StageUnderTest } from './stage-harness';

const execFileP = promisify(execFile);
const DRAIN = { preStopSleepSeconds: 2, delayMs: 2000, windowMs: 3000 };
const FLEET = 300;
const CHANNELS = Array.from({ length: 30 }, (_, i) => `stage-roll-${i}`);
const sockets: TestSocket[] = [];

/** The stage's clients wait longer: three gateways and a proxy share the machine. */
const client = (url: string, from: string, token: string, opts: { transports?: string[]; xff?: string } = {}) => clientFrom(sockets, url, from, token, { ...opts, timeoutMs: 10_000 });
const handshake = pollingHandshake;

describe('the stage: production-shaped topology behind nginx', () => {
  let stage: StageUnderTest;
  const fleets: ClientFleet[] = [];

  beforeAll(async () => {
    stage = await StageUnderTest.start(
      { drain: DRAIN, probes: { readiness: { periodSeconds: 1, failureThreshold: 2 } } },
      // The shipped rules, every `for` unchanged; a short interval only makes each step visible sooner.
      '2s',
    );
  }, 150_000);
  afterEach(() => {
    while (sockets.length) sockets.pop()!.disconnect();
  });
  afterAll(async () => {
    for (const f of fleets) f.close();
    await stage?.stop();
  }, 60_000);

  it('should serve WebSocket and polling clients through nginx, each polling session on one instance, and route around a killed instance', async () => {
    const secret = stage.state.jwtSecret;
    const ws = await Promise.all([10, 11, 12, 13, 14, 15].map(async (n) => client(stage.ingress, `127.0.0.${n}`, await signToken({ sub: `ws-${n}` }, secret))));
    const connected = ws.map((c) => {
      if (!c.ok) throw c.error;
      return c;
    });
    const polling = await client(stage.ingress, '127.0.0.20', await signToken({ sub: 'poller' }, secret), { transports: ['polling'] });
    if (!polling.ok) throw polling.error;
    expect(await call(polling.socket, 'channel:join', { channelId: 'stage-poll' })).toMatchObject({ ok: true });
    // Many polling requests (each call is a POST and a GET): a request routed to another instance would end the session.
    for (let i = 0; i < 10; i++) expect(await call(polling.socket, 'message:send', { channelId: 'stage-poll', content: `p${i}`, clientMsgId: `stage-poll-${i}` })).toMatchObject({ ok: true, seq: i + 1 });
    expect(polling.socket.io.engine.transport.name).toBe('polling');
    expect(polling.socket.connected).toBe(true);
    const instances = new Set(connected.map((c) => c.instanceId));
    expect(instances.size).toBeGreaterThanOrEqual(2);

    // An instance SIGKILLed: nginx's passive checks, then the poller, keep new clients off it.
    expect((await stage.run('scripts/stage/stage kill socket-gateway-2')).trim()).toBe('killed socket-gateway-2 (SIGKILL)');
    const meanwhile = await Promise.all([30, 31, 32, 33, 34, 35].map(async (n) => client(stage.ingress, `127.0.0.${n}`, await signToken({ sub: `meanwhile-${n}` }, secret))));
    expect(meanwhile.map((c) => c.ok && c.instanceId !== 'socket-gateway-2')).toEqual([true, true, true, true, true, true]);
    await stage.run('scripts/stage/stage start socket-gateway-2');
    console.log(`[stage proxy] websocket clients=${connected.length} on instances=${instances.size}; polling sends=10 all on ${polling.instanceId}; with socket-gateway-2 killed ${meanwhile.filter((c) => c.ok).length}/6 new clients connected elsewhere`);
  });

  it('should hold one source address to the per-IP flood guard whatever X-Forwarded-For says, leave its neighbours alone, and block a blocked address behind a spoofed header', async () => {
    const s = stage.state;
    const limit = Number(s.gatewayEnv.RATE_LIMIT_CONNECT_PER_IP);
    let accepted = 0;
    let refused = 0;
    // Batches of new sessions from one address until the guard answers (the bucket refills 1/60 of the limit per second).
    while (refused === 0 && accepted < limit * 2) {
      const batch = await Promise.all(Array.from({ length: 50 }, (_, i) => handshake(stage.ingress, '127.0.0.50', `203.0.113.${i}`)));
      for (const r of batch) {
        if (r.status === 200) accepted++;
        else {
          expect(r).toEqual({ status: 403, body: '{"code":4,"message":"RATE_LIMITED"}' });
          refused++;
        }
      }
    }
    expect(accepted).toBeGreaterThanOrEqual(limit);
    expect(refused).toBeGreaterThan(0);
    // A fresh X-Forwarded-For does not make the flooding address someone else: a burst with a new
    // one is still refused (beyond the few tokens the bucket refills meanwhile, 1/60 of the limit a second)…
    const burst = await Promise.all(Array.from({ length: 20 }, () => handshake(stage.ingress, '127.0.0.50', '192.0.2.44')));
    expect(burst.filter((r) => r.status === 403).length).toBeGreaterThanOrEqual(10);
    // …and every refusal the gateways logged names the real address, none of the 50 spoofed ones.
    const floodLogged = s.gateways.flatMap((g) => readFileSync(join(stage.dir, 'logs', `${g.name}.log`), 'utf8').split('\n'))
      .filter((l) => l.includes('"reason":"ip_flood"'))
      .map((l) => (JSON.parse(l) as { metadata: { ip: string } }).metadata.ip);
    expect(floodLogged.length).toBeGreaterThan(0);
    expect(new Set(floodLogged)).toEqual(new Set(['127.0.0.50']));
    const neighbour = await client(stage.ingress, '127.0.0.51', await signToken({ sub: 'neighbour' }, s.jwtSecret));
    expect(neighbour.ok).toBe(true);

    // A run-time block (the ops CLI, as ip-blocking.md does it) holds whatever the client writes in X-Forwarded-For.
    const ops = (...args: string[]) => execFileP(process.execPath, [join(REPO_ROOT, 'dist/app/src/ops/ops.cli.js'), ...args, '--url', `http://127.0.0.1:${s.gateways[0].apiPort}`, '--api-key', s.apiKey], { encoding: 'utf8' });
    await ops('block-ip', '127.0.0.52', '--ttl', '300');
    // The instance that took the call applies it at once; the others reload the list every second.
    // A new user per attempt: an attempt that lands before the block does takes a connect token of its user.
    let attempt = 0;
    const attempts = () => Promise.all([0, 1, 2].map(async () => client(stage.ingress, '127.0.0.52', await signToken({ sub: `spoofer-${++attempt}` }, s.jwtSecret), { xff: '198.51.100.7' })));
    await until(async () => (await attempts()).every((a) => !a.ok), 5000, 'block applied on every instance');
    for (const spoofed of await attempts()) expect(spoofed).toMatchObject({ ok: false, error: { data: { code: 'FORBIDDEN' } } });
    const innocent = await client(stage.ingress, '127.0.0.53', await signToken({ sub: 'innocent' }, s.jwtSecret), { xff: '127.0.0.52' });
    expect(innocent.ok).toBe(true);
    await ops('unblock-ip', '127.0.0.52');
    console.log(`[stage limits] flooding address: accepted=${accepted} refused=${refused} (limit ${limit}/min); spoofed X-Forwarded-For refused; neighbour connected; blocked address refused FORBIDDEN behind a spoofed header`);
  }, 60_000);

  it('should roll all 3 gateways one at a time under 300 SDK clients, losing and duplicating no acked message', async () => {
    const ledger = new DeliveryLedger();
    const fleet = new ClientFleet(ledger, { url: stage.ingress, maxSendFailures: 50 });
    fleets.push(fleet);
    const secret = stage.state.jwtSecret;
    // nginx's passive check keeps an upstream out for 5 s after one failed attempt (an earlier
    // case's flood can cause one): start once fresh clients reach all three instances again.
    let probe = 0;
    await until(async () => {
      const seen = await Promise.all([0, 1, 2, 3, 4, 5].map(async () => client(stage.ingress, '127.0.0.60', await signToken({ sub: `spread-${++probe}` }, secret))));
      for (const c of seen) if (c.ok) c.socket.close();
      return new Set(seen.map((c) => (c.ok ? c.instanceId : null))).size === 3 && seen.every((c) => c.ok);
    }, 20_000, 'nginx routing to all three gateways');
    const members = await fleet.add('stage-roller', FLEET, CHANNELS, 50, (name) => signToken({ sub: name }, secret));
    const spread = new Set(members.map((m) => m.client.connection?.instanceId));
    if (spread.size !== 3) {
      const logs = stage.state.gateways.map((g) => `${g.name}: ${readFileSync(join(stage.dir, 'logs', `${g.name}.log`), 'utf8').split('\n').filter((l) => l.includes('"warn"') || l.includes('"error"')).slice(-4).join('\n')}`);
      throw new Error(`300 clients landed on ${[...spread].join(', ')} only; stage status:\n${await stage.run('scripts/stage/stage status')}\n${logs.join('\n')}`);
    }
    fleet.sendLoop(members, 2000, 60);
    await until(() => ledger.ackedCount >= FLEET, 30_000, 'traffic flowing before the rollout');

    const rolls: string[] = [];
    for (const g of stage.state.gateways) {
      const before = ledger.ackedCount;
      rolls.push((await stage.run(`scripts/stage/stage roll ${g.name}`, 90_000)).trim().split('\n').pop()!);
      await until(() => ledger.ackedCount >= before + FLEET / 2, 30_000, `traffic flowing after rolling ${g.name}`);
    }
    await until(() => members.every((m) => m.client.state === 'connected'), 45_000, 'every client connected again');
    const ackedAfter = ledger.ackedCount;
    await until(() => ledger.ackedCount >= ackedAfter + FLEET / 2, 30_000, 'traffic flowing after the rollout');
    fleet.stop();
    await fleet.settle(ledger, 40_000);

    const counts = ledger.report('stage rolling-restart');
    for (const r of rolls) console.log(`[stage rolling-restart] ${r}`);
    const drains = stage.state.gateways.map((g) => readFileSync(join(stage.dir, 'logs', `${g.name}.log`), 'utf8').split('\n').filter((l) => l.includes('"event":"drain.finished"')).length);
    expect(drains).toEqual([1, 1, 1]);
    expect(ledger.failures).toEqual([]);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, holes: 0, gaps: 0, failed: 0 });
    expect(counts.acked).toBe(counts.sent);
    fleet.close();
  }, 240_000);

  it('should fail over to the replica when the Redis primary is SIGKILLed during traffic: UNAVAILABLE meanwhile, then sends resume, nothing acked lost', async () => {
    const ledger = new DeliveryLedger();
    const fleet = new ClientFleet(ledger, { url: stage.ingress, maxSendFailures: 1000 });
    fleets.push(fleet);
    const secret = stage.state.jwtSecret;
    const members = await fleet.add('stage-failover', 60, CHANNELS.slice(0, 6), 30, (name) => signToken({ sub: name }, secret));
    const probe = await client(stage.ingress, '127.0.0.60', await signToken({ sub: 'failover-probe' }, secret));
    if (!probe.ok) throw probe.error;
    expect(await call(probe.socket, 'channel:join', { channelId: 'stage-failover-probe' })).toMatchObject({ ok: true });
    fleet.sendLoop(members, 500, 80);
    await until(() => ledger.ackedCount >= 100, 20_000, 'traffic flowing before the kill');

    const killedAt = Date.now();
    const killed = (await stage.run('scripts/stage/stage kill redis-primary')).trim();
    expect(killed).toBe('killed redis-0 (SIGKILL)');
    const codes = new Map<string, number>();
    let resumedAt = 0;
    let restarted = false;
    for (let i = 0; resumedAt === 0; i++) {
      if (Date.now() - killedAt > 40_000) throw new Error(`no send acked within 40 s of the kill (${JSON.stringify([...codes])})`);
      const ack = await call(probe.socket, 'message:send', { channelId: 'stage-failover-probe', content: 'probe', clientMsgId: `stage-probe-${i}` }, 10_000);
      if (ack.ok) {
        // The first sends after a failover wait for a replica: with REDIS_WAIT_REPLICAS=1 that is the killed node, back.
        resumedAt = Date.now();
      } else {
        codes.set(ack.error.code, (codes.get(ack.error.code) ?? 0) + 1);
        // As Kubernetes restarts the pod, but only once Sentinel has promoted the replica: this
        // node keeps no data on disk, and back too soon it would still be the primary, empty.
        if (!restarted && /Redis primary +redis-1/.test(await stage.run('scripts/stage/stage status'))) {
          await stage.run('scripts/stage/stage start redis-0');
          restarted = true;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const status = await stage.run('scripts/stage/stage status');
    expect(status).toMatch(/Redis primary +redis-1/);
    const ackedAtResume = ledger.ackedCount;
    await until(() => ledger.ackedCount >= ackedAtResume + 100, 30_000, 'traffic flowing after the failover');
    fleet.stop();
    await fleet.settle(ledger, 40_000);
    const counts = ledger.report('stage sentinel-failover');
    console.log(`[stage sentinel-failover] sends acked again ${resumedAt - killedAt} ms after the kill; probe refusals ${JSON.stringify(Object.fromEntries(codes))}`);
    expect([...codes.keys()]).toEqual(['UNAVAILABLE']);
    expect(ledger.failures).toEqual([]);
    expect(counts).toMatchObject({ lost: 0, duplicated: 0, failed: 0 });
    expect(counts.acked).toBe(counts.sent);
    fleet.close();
  }, 120_000);

  it('should fire SocketGatewayRedisDown in Prometheus and deliver it through Alertmanager to the receiver when Redis is gone', async () => {
    const s = stage.state;
    const t0 = Date.now();
    // Both data nodes: the primary (redis-1 since the failover) and the replica.
    await stage.run('scripts/stage/stage kill redis-primary');
    await stage.run('scripts/stage/stage kill redis-0');
    const firingAt = await waitUntilValue('SocketGatewayRedisDown firing in Prometheus', 120_000, async () => {
      const body = (await (await fetch(`http://127.0.0.1:${s.prometheusPort}/api/v1/alerts`)).json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
      return body.data.alerts.some((a) => a.labels.alertname === 'SocketGatewayRedisDown' && a.state === 'firing') ? Date.now() : undefined;
    });
    const notification = await waitUntilValue('the alert at the receiver', 90_000, async () =>
      stage.received().find((r) => r.path === '/alertmanager/socket-gateway-pager' && (r.body as { alerts: Array<{ labels: Record<string, string> }> }).alerts.some((a) => a.labels.alertname === 'SocketGatewayRedisDown')));
    const body = notification.body as { status: string; receiver: string; groupLabels: Record<string, string>; alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }> };
    const pods = body.alerts.filter((a) => a.labels.alertname === 'SocketGatewayRedisDown').map((a) => a.labels.pod).sort();
    console.log(`[stage alert] SocketGatewayRedisDown firing ${firingAt - t0} ms after Redis went down, at the receiver ${Date.parse(notification.receivedAt) - t0} ms after (pods ${pods.join(', ')})`);
    expect(body).toMatchObject({ status: 'firing', receiver: 'socket-gateway-pager', groupLabels: { alertname: 'SocketGatewayRedisDown', namespace: 'socket-gateway' } });
    expect(pods).toEqual(s.gateways.map((g) => g.name));
    expect(body.alerts[0]).toMatchObject({ status: 'firing', labels: { severity: 'critical', job: 'socket-gateway', service: 'socket-gateway-metrics', container: 'gateway' } });
    expect(body.alerts[0].annotations.runbook_url).toMatch(/SocketGatewayRedisDown\.md$/);
    // The gateways' own webhooks reached the receiver too (signed).
    const hooks = stage.received().filter((r) => r.path === '/hooks');
    expect(hooks.length).toBeGreaterThan(0);
    expect(hooks.every((h) => typeof h.headers['x-gateway-signature'] === 'string')).toBe(true);
  }, 240_000);

  it('should have run every stage command the README and runbooks show, and make stage / stage-down run the same commands', async () => {
    const documented = documentedStageCommands();
    expect(documented.map((c) => c.command)).toEqual(expect.arrayContaining(['make stage', 'make stage-down']));
    const makefile = readFileSync(join(REPO_ROOT, 'Makefile'), 'utf8');
    expect(makefile).toMatch(/^stage: .*\n(\t.*\n)*\tscripts\/stage\/stage up\n/m);
    expect(makefile).toMatch(/^stage-down: .*\n\tscripts\/stage\/stage down\n/m);
    // Last: stopping is a documented command too (afterAll runs it again: stopping twice is fine).
    await stage.run('scripts/stage/stage down');
    const ran = new Set(stage.commands);
    // make stage / make stage-down are the two commands above (make stage also builds and installs packages first).
    const aliases: Record<string, string> = { 'make stage': 'scripts/stage/stage up', 'make stage-down': 'scripts/stage/stage down' };
    const missing = documented.filter((c) => !ran.has(aliases[c.command] ?? c.command)).map((c) => `${c.where}: ${c.command}`);
    expect(missing).toEqual([]);
  });
});

async function waitUntilValue<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
