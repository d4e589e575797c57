import { GatewayClient, type ConnectionState } from '../../src/client';
import { DrainService } from '../../src/lifecycle/drain.service';
import { startTestGateway } from '../support/gateway';
import { until } from '../support/clients';
import { signToken } from '../support/tokens';

describe('GatewayClient and server:draining', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let c: GatewayClient;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
  });
  afterEach(() => c?.close());
  afterAll(async () => {
    await gw.close();
  });

  it('should reconnect after the delay the server suggests, not sooner, and resubscribe', async () => {
    // random() = 0 makes the SDK's own backoff 0 ms: a reconnect before reconnectInMs would show.
    c = new GatewayClient({ url: gw.url, getToken: () => signToken({ sub: 'hank' }), transports: ['websocket'], random: () => 0 });
    const states: Array<{ state: ConnectionState; at: number }> = [];
    const drained: number[] = [];
    c.on('state', (state) => states.push({ state, at: Date.now() }));
    c.on('server:draining', (e) => drained.push(e.reconnectInMs));
    await c.connect();
    await c.subscribe('drain-room');
    await c.send('drain-room', 'before');
    const firstInstance = c.connection!;

    // The drain path of the gateway: server:draining { reconnectInMs: 600 }, then disconnect.
    const drainedAt = Date.now();
    await gw.app.get(DrainService).spreadDisconnect(0, () => 0.6);
    await until(() => drained.length === 1, 5000, 'server:draining at the client');
    expect(drained).toEqual([600]);
    await until(() => c.state === 'connected' && c.subscription('drain-room')?.state === 'subscribed' && c.connection !== firstInstance, 5000, 'reconnected');
    const back = states.filter((s) => s.state === 'connected').pop()!;
    expect(back.at - drainedAt).toBeGreaterThanOrEqual(600);
    await expect(c.send('drain-room', 'after')).resolves.toMatchObject({ seq: 2 });
  });
});
