import { GatewayClient, type ConnectionState, type GatewayClientOptions } from '../../src/client';
import { startTestGateway } from '../support/gateway';
import { until } from '../support/clients';
import { TcpBalancer } from '../support/tcp-balancer';
import { signToken } from '../support/tokens';

/**
 * Reusable disconnect()/connect(), the browser's online/offline events and when the token
 * provider is called, on a real gateway behind a TCP proxy that can cut every connection.
 */
describe('GatewayClient connection control', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let lb: TcpBalancer;
  const clients: GatewayClient[] = [];
  let n = 0;
  const room = () => `control-${Date.now().toString(36)}-${n++}`;

  /** A token provider like an app's endpoint: counts calls, and how many run at the same time. */
  function provider(sub: string, opts: { expiresInSec?: number; slowAfter?: number; slowMs?: number } = {}) {
    const stats = { calls: 0, running: 0, maxRunning: 0, started: [] as Array<() => void> };
    const getToken = async () => {
      stats.calls++;
      stats.running++;
      stats.maxRunning = Math.max(stats.maxRunning, stats.running);
      stats.started.splice(0).forEach((f) => f());
      try {
        if (opts.slowAfter !== undefined && stats.calls > opts.slowAfter) await new Promise((r) => setTimeout(r, opts.slowMs ?? 1000));
        return await signToken({ sub, expiresInSec: opts.expiresInSec ?? 600, jti: `${sub}-${stats.calls}` });
      } finally {
        stats.running--;
      }
    };
    const nextCall = () => new Promise<void>((resolve) => stats.started.push(resolve));
    return { getToken, stats, nextCall };
  }

  function client(extra: Partial<GatewayClientOptions> & Pick<GatewayClientOptions, 'getToken'>): GatewayClient {
    const c = new GatewayClient({ url: lb.url, transports: ['websocket'], network: null, ...extra });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000', JWT_CLOCK_TOLERANCE_SEC: '0' });
    lb = await TcpBalancer.start([{ name: 'gw', port: gw.port }]);
  });
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
  });
  afterAll(async () => {
    await lb?.close();
    await gw?.close();
  });

  it('should connect again after disconnect(), rejoining channels and sending what was queued meanwhile', async () => {
    const ch = room();
    const { getToken } = provider('dora');
    const c = client({ getToken });
    const states: ConnectionState[] = [];
    c.on('state', (s) => states.push(s));
    // React StrictMode mounts, unmounts and mounts again: connect, disconnect, connect.
    const first = c.connect();
    c.disconnect();
    await expect(first).rejects.toMatchObject({ code: 'DISCONNECTED' });
    expect(c.state).toBe('idle');
    await c.connect();
    await c.subscribe(ch);

    c.disconnect();
    expect(c.state).toBe('idle');
    expect(c.diagnostics()).toMatchObject({ connected: false, inflight: 0 });
    const queued = c.send(ch, 'written while disconnected');
    expect(c.pending(ch)).toEqual([expect.objectContaining({ content: 'written while disconnected', status: 'queued' })]);

    await c.connect();
    await expect(queued).resolves.toMatchObject({ seq: 1 });
    await until(() => c.subscription(ch)?.state === 'subscribed', 5000, 'rejoined');
    expect(states).toEqual(['connecting', 'idle', 'connecting', 'connected', 'idle', 'connecting', 'connected']);
  });

  it('should keep close() terminal', async () => {
    const { getToken } = provider('dora');
    const c = client({ getToken });
    await c.connect();
    c.close();
    await expect(c.connect()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => c.channel('x')).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('should let go of the connection when the browser goes offline and reconnect at once when it is back', async () => {
    const ch = room();
    const { getToken } = provider('olga');
    const network = new EventTarget();
    // Backoff of about 30 s: only the online event can bring the client back within the test.
    const c = client({ getToken, network, backoff: { baseMs: 30_000, maxMs: 30_000 }, random: () => 0.99 });
    await c.connect();
    await c.subscribe(ch);

    network.dispatchEvent(new Event('offline'));
    expect(c.state).toBe('reconnecting');
    const sent = c.send(ch, 'typed offline');
    expect(c.pending(ch)).toEqual([expect.objectContaining({ content: 'typed offline' })]);

    const since = Date.now();
    network.dispatchEvent(new Event('online'));
    await expect(sent).resolves.toMatchObject({ seq: 1 });
    expect(c.state).toBe('connected');
    expect(Date.now() - since).toBeLessThan(15_000);
    expect(c.pending()).toEqual([]);
  });

  it('should reuse a good token across reconnects instead of calling getToken every time', async () => {
    const { getToken, stats } = provider('rita');
    const c = client({ getToken, backoff: { baseMs: 20, maxMs: 100 } });
    let readies = 0;
    c.on('connection:ready', () => readies++);
    await c.connect();
    for (let i = 2; i <= 4; i++) {
      lb.cutAll();
      await until(() => readies === i, 10_000, `reconnect ${i - 1}`);
    }
    expect(stats.calls).toBe(1);
  });

  it('should ask for a new token after the gateway refused one', async () => {
    let calls = 0;
    const c = client({ getToken: async () => (++calls === 1 ? 'not-a-token' : signToken({ sub: 'rita' })) });
    await expect(c.connect()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(c.connect()).resolves.toMatchObject({ userId: 'rita' });
    expect(calls).toBe(2);
  });

  it('should never run two getToken calls at once when a refresh and a reconnect need a token together', async () => {
    // 4 s tokens refresh 2 s before exp; from the second call on the provider takes 1.5 s.
    const { getToken, stats, nextCall } = provider('sam', { expiresInSec: 4, slowAfter: 1, slowMs: 1500 });
    const c = client({ getToken, refreshBeforeExpiryMs: 2000, backoff: { baseMs: 20, maxMs: 100 } });
    let readies = 0;
    c.on('connection:ready', () => readies++);
    await c.connect();
    const refreshing = nextCall();
    await refreshing;
    // The refresh is waiting for its token; the connection drops and the reconnect needs one too.
    lb.cutAll();
    await until(() => readies === 2, 10_000, 'reconnected');
    expect(stats.maxRunning).toBe(1);
    expect(stats.calls).toBe(2);
  });
});
