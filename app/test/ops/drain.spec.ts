import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { closeAll, connect, until, type TestSocket } from '../support/clients';
import { signToken } from '../support/tokens';

describe('graceful drain on SIGTERM', () => {
  let redis: RedisServer;
  let a: GatewayChild;
  let b: GatewayChild;
  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, DRAIN_DELAY_MS: '1000', DRAIN_WINDOW_MS: '2000', MAX_SOCKETS_PER_USER: '1000' };
    [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'drain-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'drain-b' })]);
  }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('should go unready at once, tell clients to reconnect in batches, and exit 0 within delay + window + 2 s', async () => {
    const token = await signToken({ sub: 'drainee' });
    const clients: TestSocket[] = [];
    for (let i = 0; i < 60; i++) clients.push(await connect(a.url, token));
    const drainingNotices: number[] = [];
    const disconnectedAt: number[] = [];
    for (const c of clients) {
      c.on('server:draining', (e) => drainingNotices.push(e.reconnectInMs));
      c.on('disconnect', () => disconnectedAt.push(Date.now()));
    }
    const t0 = Date.now();
    const exited = a.send('SIGTERM');
    await until(async () => (await a.readyz().catch(() => ({ status: 0 }))).status === 503, 1000, 'readiness off');
    // New handshakes are refused while draining (clients go to another instance).
    await expect(connect(a.url, token)).rejects.toMatchObject({ message: 'UNAVAILABLE' });
    // A drain refusal has its own reason, so rollouts never burn the connection SLO's budget.
    const during = await a.metrics();
    expect(during).toMatch(/^socket_gateway_connections_total\{result="rejected",reason="draining"\} 1$/m);
    expect(during).toMatch(/^socket_gateway_connections_total\{result="rejected",reason="connection_limit"\} 0$/m);
    expect(during).toMatch(/^socket_gateway_drain_budget_seconds 3$/m);
    expect(Number(/^socket_gateway_drain_elapsed_seconds (\S+)$/m.exec(during)?.[1])).toBeGreaterThan(0);
    await exited;
    const took = Date.now() - t0;
    expect(a.exitCode).toBe(0);
    expect(took).toBeLessThan(1000 + 2000 + 2000);
    expect(drainingNotices).toHaveLength(60);
    expect(drainingNotices.every((ms) => ms >= 0 && ms < 1000)).toBe(true);
    expect(disconnectedAt).toHaveLength(60);
    // Spread over the window, not all at once: the first and last disconnect are at least a second apart.
    expect(Math.max(...disconnectedAt) - Math.min(...disconnectedAt)).toBeGreaterThan(1000);
    expect(Math.min(...disconnectedAt) - t0).toBeGreaterThanOrEqual(900);
    // Everybody can continue on the other instance.
    const moved = await Promise.all(clients.slice(0, 10).map(() => connect(b.url, token)));
    expect(moved.every((s) => s.ready.instanceId === 'drain-b')).toBe(true);
    await a.restart();
  }, 30_000);

  it('should exit at once on a second signal', async () => {
    const exited = a.send('SIGTERM');
    await until(async () => (await a.readyz().catch(() => ({ status: 0 }))).status === 503, 1000, 'readiness off');
    a.send('SIGINT');
    await exited;
    expect(a.exitCode).toBe(1);
    await a.restart();
  });
});
