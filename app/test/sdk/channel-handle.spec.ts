import { GatewayClient, type ChannelJoinResult, type ChannelSnapshot, type ChatMessage, type GatewayClientOptions } from '../../src/client';
import { startTestGateway } from '../support/gateway';
import { until } from '../support/clients';
import { TcpBalancer } from '../support/tcp-balancer';
import { signToken } from '../support/tokens';

/** `client.channel(id)` objects and the member list across joins and rejoins, on a real gateway behind a TCP proxy that can cut connections. */
describe('GatewayClient channel objects', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let lb: TcpBalancer;
  const clients: GatewayClient[] = [];
  let n = 0;
  const room = () => `handle-${Date.now().toString(36)}-${n++}`;

  function client(sub: string, extra: Partial<GatewayClientOptions> = {}, url = lb.url): GatewayClient {
    const c = new GatewayClient({ url, getToken: () => signToken({ sub }), transports: ['websocket'], ...extra });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
    lb = await TcpBalancer.start([{ name: 'gw', port: gw.port }]);
  });
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
  });
  afterAll(async () => {
    await lb?.close();
    await gw?.close();
  });

  it('should deliver messages, members and state on the channel object and send and read history through it', async () => {
    const ch = room();
    const bob = client('bob', {}, gw.url);
    await bob.connect();
    await bob.subscribe(ch);
    const alice = client('alice');
    await alice.connect();
    const channel = alice.channel(ch);
    expect(alice.channel(ch)).toBe(channel);
    const states: ChannelSnapshot[] = [];
    const messages: ChatMessage[] = [];
    const members: Array<{ userId: string; joined: boolean }> = [];
    channel.on('state', (s) => states.push(s));
    channel.on('message', (m) => messages.push(m));
    channel.on('member', (e) => members.push({ userId: e.userId, joined: e.joined }));
    await channel.joined;
    expect(channel.state).toBe('subscribed');
    expect([...channel.members].sort()).toEqual(['alice', 'bob']);
    expect(states.at(-1)).toMatchObject({ state: 'subscribed', members: expect.arrayContaining(['alice', 'bob']) });

    await bob.send(ch, 'from bob');
    await expect(channel.send('from alice')).resolves.toMatchObject({ seq: 2 });
    await until(() => messages.length === 2, 5000, 'two messages on the channel object');
    expect(messages.map((m) => m.content)).toEqual(['from bob', 'from alice']);
    await expect(channel.history({ limit: 10 })).resolves.toMatchObject({ messages: [{ seq: 1 }, { seq: 2 }] });

    const carol = client('carol', {}, gw.url);
    await carol.connect();
    await carol.subscribe(ch);
    await until(() => channel.members.includes('carol'), 5000, 'carol in the member list');
    carol.unsubscribe(ch);
    await until(() => !channel.members.includes('carol'), 5000, 'carol gone from the member list');
    expect(members).toEqual([{ userId: 'carol', joined: true }, { userId: 'carol', joined: false }]);

    channel.leave();
    expect(channel.state).toBe('unsubscribed');
    expect(states.at(-1)).toMatchObject({ state: 'unsubscribed' });
    expect(alice.subscription(ch)).toBeNull();
    expect(alice.channel(ch)).not.toBe(channel);
  });

  it('should fire subscribed with the members on every rejoin, so a list made stale by a reconnect is replaced', async () => {
    const ch = room();
    const bob = client('bob', {}, gw.url);
    await bob.connect();
    await bob.subscribe(ch);
    const alice = client('alice', { backoff: { baseMs: 50, maxMs: 200 } });
    const subscribed: ChannelJoinResult[] = [];
    alice.on('subscribed', (r) => subscribed.push(r));
    await alice.connect();
    const channel = alice.channel(ch);
    await channel.joined;
    expect(subscribed).toHaveLength(1);
    expect([...subscribed[0].members].sort()).toEqual(['alice', 'bob']);

    // bob leaves while alice is cut off: she misses channel:member_left and only the rejoin can tell her.
    let cutSeen = false;
    alice.once('state', (s) => {
      if (s === 'reconnecting') {
        cutSeen = true;
        bob.unsubscribe(ch);
      }
    });
    expect(lb.cutAll()).toBeGreaterThan(0);
    await until(() => cutSeen && subscribed.length === 2, 10_000, 'the rejoin after the cut');
    expect(subscribed[1].members).toEqual(['alice']);
    expect(channel.members).toEqual(['alice']);
    expect(channel.snapshot()).toMatchObject({ state: 'subscribed', members: ['alice'] });
  });

  it('should return the same snapshot objects until something changes', async () => {
    const ch = room();
    const alice = client('alice', { network: null });
    await alice.connect();
    await alice.subscribe(ch);
    const s1 = alice.subscription(ch);
    expect(alice.subscription(ch)).toBe(s1);
    expect(alice.channel(ch).snapshot()).toBe(s1);
    const p1 = alice.pending();
    expect(alice.pending()).toBe(p1);
    expect(alice.pending(ch)).toBe(alice.pending(ch));

    alice.disconnect();
    const queued = alice.send(ch, 'waits');
    const p2 = alice.pending();
    expect(p2).not.toBe(p1);
    expect(p2).toHaveLength(1);
    expect(alice.pending()).toBe(p2);
    expect(alice.subscription(ch)).not.toBe(s1);
    expect(alice.subscription(ch)).toMatchObject({ state: 'subscribing' });

    await alice.connect();
    await expect(queued).resolves.toMatchObject({ seq: 1 });
    await until(() => alice.pending().length === 0 && alice.subscription(ch)?.lastSeq === 1, 5000, 'sent and delivered');
    const s3 = alice.subscription(ch);
    expect(alice.subscription(ch)).toBe(s3);
  });
});
