import { GatewayClient } from '../../src/client';
import { startTestGateway } from '../support/gateway';
import { until } from '../support/clients';
import { freePort } from '../support/free-port';
import { signToken } from '../support/tokens';

/** Timers and sockets of this process, by kind (what would keep Node alive after close()). */
function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('GatewayClient.close()', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
  });
  afterAll(async () => {
    await gw.close();
  });

  it('should leave no listener, timer or socket behind', async () => {
    const baseline = resources();
    const c = new GatewayClient({ url: gw.url, getToken: () => signToken({ sub: 'gina', expiresInSec: 600 }), transports: ['websocket'] });
    const appListener = jest.fn();
    c.on('message:new', appListener);
    c.on('state', appListener);
    await c.connect();
    await c.subscribe('close-room');
    await c.send('close-room', 'hello');
    c.typing('close-room', true);
    // A send in flight and the token refresh timer armed when close() is called.
    const inFlight = c.send('close-room', 'in flight');
    const before = c.diagnostics();
    expect(before.timers).toBeGreaterThan(0);
    expect(before.socketListeners).toBeGreaterThan(0);
    expect(before.listeners).toBe(2);

    c.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'CLOSED' });
    expect(c.diagnostics()).toEqual({ timers: 0, inflight: 0, pendingMessages: 0, listeners: 0, socketListeners: 0, connected: false });
    expect(c.state).toBe('closed');
    await expect(c.connect()).rejects.toMatchObject({ code: 'CLOSED' });
    // The socket's own timers and TCP handle are gone too: back to what the process had before.
    await until(() => {
      const now = resources();
      return (now.Timeout ?? 0) <= (baseline.Timeout ?? 0) && (now.TCPSocketWrap ?? 0) <= (baseline.TCPSocketWrap ?? 0);
    }, 5000, 'process resources back at baseline');
  });

  it('should stop a reconnect loop in progress', async () => {
    const baseline = resources();
    const port = await freePort();
    const c = new GatewayClient({ url: `http://127.0.0.1:${port}`, getToken: () => 'x', transports: ['websocket'], connectTimeoutMs: 60_000 });
    const connecting = c.connect();
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    await until(() => errors.length >= 2, 5000, 'two failed attempts');
    c.close();
    await expect(connecting).rejects.toMatchObject({ code: 'CLOSED' });
    expect(c.diagnostics().timers).toBe(0);
    await until(() => (resources().Timeout ?? 0) <= (baseline.Timeout ?? 0), 5000, 'timers back at baseline');
  });
});
