import { GatewayClient, type AuthExpiredEvent, type ConnectionReady } from '../../src/client';
import { startTestGateway } from '../support/gateway';
import { until } from '../support/clients';
import { signToken } from '../support/tokens';

describe('GatewayClient token lifetime', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const clients: GatewayClient[] = [];

  /** A token provider like an app's: a new short-lived token on every call. */
  function provider(sub: string, expiresInSec: number) {
    const issued: string[] = [];
    const getToken = async () => {
      const token = await signToken({ sub, expiresInSec, jti: `${sub}-${issued.length}` });
      issued.push(token);
      return token;
    };
    return { getToken, issued };
  }

  beforeAll(async () => {
    // No clock tolerance: the gateway expires sockets exactly at `exp`.
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000', JWT_CLOCK_TOLERANCE_SEC: '0' });
  });
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('should reconnect with a fresh token after auth:expired and resubscribe', async () => {
    const { getToken, issued } = provider('erin', 2);
    const c = new GatewayClient({ url: gw.url, getToken, autoRefresh: false, transports: ['websocket'] });
    clients.push(c);
    const readies: ConnectionReady[] = [];
    const expired: AuthExpiredEvent[] = [];
    c.on('connection:ready', (r) => readies.push(r));
    c.on('auth:expired', (e) => expired.push(e));
    await c.connect();
    await c.subscribe('expiry-room');

    await until(() => expired.length === 1 && readies.length === 2 && c.subscription('expiry-room')?.state === 'subscribed', 10_000, 'expiry and reconnect');
    expect(expired[0].reason).toMatch(/expired/);
    expect(issued).toHaveLength(2);
    expect(issued[1]).not.toBe(issued[0]);
    expect(c.state).toBe('connected');
    await expect(c.send('expiry-room', 'still here')).resolves.toMatchObject({ seq: 1 });
  });

  it('should refresh the token with auth:refresh before it expires and keep the connection', async () => {
    const { getToken, issued } = provider('frank', 3);
    const c = new GatewayClient({ url: gw.url, getToken, transports: ['websocket'] });
    clients.push(c);
    const expired: AuthExpiredEvent[] = [];
    c.on('auth:expired', (e) => expired.push(e));
    const ready = await c.connect();
    const refreshed = await new Promise<{ expiresAt: number | null }>((resolve) => c.once('token:refreshed', resolve));
    expect(issued).toHaveLength(2);
    const firstExp = JSON.parse(Buffer.from(issued[0].split('.')[1], 'base64url').toString()).exp * 1000;
    expect(refreshed.expiresAt).toBeGreaterThan(firstExp);
    // The first token's expiry is what is under test: the connection outlives it.
    await until(() => Date.now() > firstExp + 500, 5000, 'first token expired');
    expect(expired).toEqual([]);
    expect(c.state).toBe('connected');
    expect(c.connection).toBe(ready);
  });
});
