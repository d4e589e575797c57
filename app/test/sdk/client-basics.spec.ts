import { GatewayClient, type ChatMessage, type MemberEvent } from '../../src/client';
import { startTestGateway } from '../support/gateway';
import { freePort } from '../support/free-port';
import { until } from '../support/clients';
import { signToken } from '../support/tokens';

describe('GatewayClient against a live gateway', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const clients: GatewayClient[] = [];
  const client = (sub: string, extra: Partial<ConstructorParameters<typeof GatewayClient>[0]> = {}) => {
    const c = new GatewayClient({ url: gw.url, getToken: () => signToken({ sub }), transports: ['websocket'], ...extra });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000', RATE_LIMIT_MESSAGE_SEND: '10000' });
  });
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('should connect, subscribe, and deliver messages to every subscriber in seq order', async () => {
    const alice = client('alice');
    const bob = client('bob');
    expect((await alice.connect()).userId).toBe('alice');
    await bob.connect();
    await alice.subscribe('room-basics');
    const joined = new Promise<MemberEvent>((resolve) => alice.once('channel:member_joined', resolve));
    const bobJoin = await bob.subscribe('room-basics');
    expect(bobJoin.members.sort()).toEqual(['alice', 'bob']);
    expect(await joined).toEqual({ channelId: 'room-basics', userId: 'bob' });

    const got: Record<string, ChatMessage[]> = { alice: [], bob: [] };
    alice.on('message:new', (m) => got.alice.push(m));
    bob.on('message:new', (m) => got.bob.push(m));
    const sends = Array.from({ length: 30 }, (_, i) => (i % 2 ? alice : bob).send('room-basics', `m${i}`));
    expect(alice.pending('room-basics').length).toBeGreaterThan(0);
    const acks = await Promise.all(sends);
    expect(acks.map((a) => a.clientMsgId)).toEqual(sends.map((s) => s.clientMsgId));
    expect(sends[0].clientMsgId).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    await until(() => got.alice.length === 30 && got.bob.length === 30, 5000, 'all messages delivered');
    for (const list of Object.values(got)) expect(list.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(alice.pending()).toEqual([]);
  });

  it('should reject connect() at once for a refused token', async () => {
    const c = new GatewayClient({ url: gw.url, getToken: () => 'not-a-token', transports: ['websocket'] });
    clients.push(c);
    await expect(c.connect()).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(c.state).toBe('idle');
  });

  it('should give up connect() after its timeout when nothing listens', async () => {
    const port = await freePort();
    const c = new GatewayClient({ url: `http://127.0.0.1:${port}`, getToken: () => 'x', transports: ['websocket'], connectTimeoutMs: 1500 });
    clients.push(c);
    const started = Date.now();
    await expect(c.connect()).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringMatching(/could not connect .* within 1500 ms \(last error: cannot reach/) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    expect(c.diagnostics().timers).toBe(0);
  });

  it('should reject a send the gateway refuses without retrying it', async () => {
    const c = client('carol');
    await c.connect();
    await c.subscribe('room-refused');
    await expect(c.send('room-refused', '')).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    await expect(c.send('never-joined', 'hi')).rejects.toMatchObject({ code: 'CHANNEL_ERROR' });
    await expect(c.history('room-refused', { limit: 10 })).resolves.toMatchObject({ messages: [], hasMore: false });
  });
});
