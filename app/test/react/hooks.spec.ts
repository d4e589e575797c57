import { closeDom } from '../support/dom';
import { render, renderHook, waitFor } from '@testing-library/react';
import { createElement, StrictMode, type ReactNode } from 'react';
import { GatewayClient, type ChannelJoinResult, type GatewayClientOptions } from '@socket-gateway/client';
import { GatewayProvider, useChannel, useConnectionState, usePendingMessages, usePresence, useTyping } from '@socket-gateway/react';
import { startTestGateway } from '../support/gateway';
import { until } from '../support/clients';
import { TcpBalancer } from '../support/tcp-balancer';
import { signToken } from '../support/tokens';

/** The React bindings with React Testing Library, against a real gateway (real sockets, real acks). */
describe('@socket-gateway/react', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  const clients: GatewayClient[] = [];
  let n = 0;
  const room = () => `react-${Date.now().toString(36)}-${n++}`;

  function client(sub: string, extra: Partial<GatewayClientOptions> = {}): GatewayClient & { tokenCalls: () => number } {
    let calls = 0;
    const c = new GatewayClient({ url: gw.url, getToken: () => (calls++, signToken({ sub })), transports: ['websocket'], network: null, ...extra });
    clients.push(c);
    return Object.assign(c, { tokenCalls: () => calls });
  }

  /** A wrapper that provides `c`, in StrictMode (mount → unmount → mount of every effect). */
  function wrapper(c: GatewayClient) {
    return ({ children }: { children?: ReactNode }) => createElement(StrictMode, null, createElement(GatewayProvider, { client: c }, children));
  }

  beforeAll(async () => {
    // Updates come from real sockets at any time, as in a browser, not from act() scopes: assert with waitFor.
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
  });
  afterEach(() => {
    while (clients.length) clients.pop()!.close();
  });
  afterAll(async () => {
    await gw?.close();
    closeDom();
  });

  it('should connect once under StrictMode and report the connection state', async () => {
    const alice = client('alice');
    const { result, unmount } = renderHook(() => useConnectionState(), { wrapper: wrapper(alice) });
    await waitFor(() => expect(result.current).toBe('connected'));
    expect(alice.tokenCalls()).toBe(1);
    unmount();
    // The provider's cleanup disconnects (reusably): the client is idle, not closed.
    expect(alice.state).toBe('idle');
  });

  it('should join once under StrictMode, show members, history, live messages and the sender\'s pending list', async () => {
    const ch = room();
    const bob = client('bob');
    await bob.connect();
    await bob.subscribe(ch);
    await bob.send(ch, 'before alice came');

    const alice = client('alice');
    const joins: ChannelJoinResult[] = [];
    alice.on('subscribed', (r) => joins.push(r));
    const { result } = renderHook(() => ({ channel: useChannel(ch), pending: usePendingMessages() }), { wrapper: wrapper(alice) });
    await waitFor(() => expect(result.current.channel.status).toBe('subscribed'));
    await waitFor(() => expect(result.current.channel.messages.map((m) => m.content)).toEqual(['before alice came']));
    expect([...result.current.channel.members].sort()).toEqual(['alice', 'bob']);
    expect(joins).toHaveLength(1);

    // Same snapshot objects while nothing changes.
    const { messages, members, pending } = result.current.channel;
    expect(result.current.pending).toBe(alice.pending());

    await bob.send(ch, 'live from bob');
    await waitFor(() => expect(result.current.channel.messages.map((m) => m.content)).toEqual(['before alice came', 'live from bob']));
    expect(result.current.channel.members).toBe(members);
    expect(result.current.channel.pending).toBe(pending);
    expect(result.current.channel.messages).not.toBe(messages);

    // Offline: the message shows as pending (channel and global lists), then goes out on reconnect.
    alice.disconnect();
    const sent = result.current.channel.send('written offline');
    await waitFor(() => expect(result.current.channel.pending.map((p) => p.content)).toEqual(['written offline']));
    expect(result.current.pending.map((p) => p.content)).toEqual(['written offline']);
    await alice.connect();
    await sent;
    await waitFor(() => expect(result.current.channel.messages.map((m) => m.content)).toContain('written offline'));
    expect(result.current.channel.pending).toEqual([]);
    expect(result.current.pending).toEqual([]);
  });

  it('should keep the member list right across a reconnect', async () => {
    const ch = room();
    const bob = client('bob');
    await bob.connect();
    await bob.subscribe(ch);
    const alice = client('alice');
    const { result } = renderHook(() => useChannel(ch), { wrapper: wrapper(alice) });
    await waitFor(() => expect([...result.current.members].sort()).toEqual(['alice', 'bob']));

    alice.disconnect();
    // bob leaves while alice is away: only her rejoin's member list can tell her.
    bob.unsubscribe(ch);
    await alice.connect();
    await waitFor(() => expect(result.current.members).toEqual(['alice']));
    expect(result.current.status).toBe('subscribed');
  });

  it('should report a gap and drop the old sequence when the channel comes back in a new epoch', async () => {
    const ch = room();
    // A proxy in front, so the clients reconnect to a second gateway (memory engine: new epoch) at the same address.
    const first = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
    const lb = await TcpBalancer.start([{ name: 'first', port: first.port }]);
    let second: Awaited<ReturnType<typeof startTestGateway>> | null = null;
    try {
      const bob = client('bob', { url: lb.url, backoff: { baseMs: 50, maxMs: 200 } });
      await bob.connect();
      await bob.subscribe(ch);
      const alice = client('alice', { url: lb.url, backoff: { baseMs: 50, maxMs: 200 } });
      const { result } = renderHook(() => useChannel(ch), { wrapper: wrapper(alice) });
      await waitFor(() => expect(result.current.status).toBe('subscribed'));
      for (const text of ['one', 'two']) await bob.send(ch, text);
      await waitFor(() => expect(result.current.messages.map((m) => m.content)).toEqual(['one', 'two']));
      expect(result.current.gap).toBeNull();
      const before = alice.subscription(ch)!;

      second = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
      lb.add({ name: 'second', port: second.port });
      await first.close();
      await waitFor(() => expect(result.current.gap).toMatchObject({ channelId: ch, reason: 'epoch_changed', lastSeenSeq: 2, previousEpoch: before.epoch }), { timeout: 20_000 });
      expect(result.current.gap!.epoch).not.toBe(before.epoch);
      await waitFor(() => expect(result.current.status).toBe('subscribed'), { timeout: 10_000 });
      expect(result.current.messages).toEqual([]);

      await waitFor(() => expect(bob.subscription(ch)?.state).toBe('subscribed'), { timeout: 10_000 });
      await bob.send(ch, 'first of the new epoch');
      await waitFor(() => expect(result.current.messages.map((m) => [m.seq, m.content])).toEqual([[1, 'first of the new epoch']]));
    } finally {
      while (clients.length) clients.pop()!.close();
      await lb.close();
      await first.close();
      await second?.close();
    }
  }, 60_000);

  it('should follow presence and typing of other users', async () => {
    const ch = room();
    const bob = client('bob');
    await bob.connect();
    await bob.subscribe(ch);
    const alice = client('alice');
    // Presence is private to co-members: alice sees bob's status once they share the channel.
    await alice.connect();
    await alice.subscribe(ch);
    const { result } = renderHook(() => ({ presence: usePresence(['bob']), byChannel: usePresence(ch), typing: useTyping(ch), channel: useChannel(ch) }), { wrapper: wrapper(alice) });
    await waitFor(() => expect(result.current.presence.bob?.status).toBe('online'));
    await waitFor(() => expect(result.current.channel.status).toBe('subscribed'));
    await waitFor(() => expect(result.current.byChannel.bob?.status).toBe('online'));

    await bob.setPresence('away');
    await waitFor(() => expect(result.current.presence.bob?.status).toBe('away'));
    await waitFor(() => expect(result.current.byChannel.bob?.status).toBe('away'));

    bob.typing(ch, true);
    await waitFor(() => expect(result.current.typing.typing).toEqual(['bob']));
    bob.typing(ch, false);
    await waitFor(() => expect(result.current.typing.typing).toEqual([]));

    // alice's own indicator reaches bob.
    const seen: string[] = [];
    bob.on('user:typing', (e) => e.isTyping && seen.push(e.userId));
    result.current.typing.setTyping(true);
    await waitFor(() => expect(seen).toEqual(['alice']));
  });

  it('should show a user\'s presence once they share a channel, whoever of the two joins it second', async () => {
    const [ch1, ch2] = [room(), room()];
    // Users of their own: a status set in another test would stay (the gateway keeps a user's chosen status).
    const bea = client('bea');
    await bea.connect();
    await bea.subscribe(ch1);
    const cyd = client('cyd');
    await cyd.connect();
    const alice = client('alice');
    const { result } = renderHook(() => usePresence(['bea', 'cyd']), { wrapper: wrapper(alice) });
    // Presence is private to co-members: both online, but alice shares no channel with either yet.
    const hidden = (userId: string) => ({ userId, status: 'offline', lastSeen: null });
    await waitFor(() => expect(result.current).toEqual({ bea: hidden('bea'), cyd: hidden('cyd') }));

    // alice joins bea's channel: her status shows without her changing it.
    await alice.subscribe(ch1);
    await waitFor(() => expect(result.current.bea?.status).toBe('online'));
    expect(result.current.cyd).toEqual(hidden('cyd'));

    // cyd joins a channel alice is in: the same, the other way round.
    await alice.subscribe(ch2);
    await cyd.subscribe(ch2);
    await waitFor(() => expect(result.current.cyd?.status).toBe('online'));
    expect(result.current.bea?.status).toBe('online');
  });

  it('should read presence one request at a time, not once per channel, when a reconnect rejoins many channels', async () => {
    // A user of its own: joins of new channels are rate-limited per user (RATE_LIMIT_CHANNEL_JOIN, 10 a minute).
    const channels = Array.from({ length: 6 }, () => room());
    const eve = client('eve');
    // Counts the hook's reads on the real client (the instance's own method, wrapped; nothing faked).
    const read = eve.getPresence.bind(eve);
    const reads = { calls: 0, running: 0, maxRunning: 0 };
    eve.getPresence = async (query) => {
      reads.calls++;
      reads.maxRunning = Math.max(reads.maxRunning, ++reads.running);
      try {
        return await read(query);
      } finally {
        reads.running--;
      }
    };
    await eve.connect();
    for (const ch of channels) await eve.subscribe(ch);
    const { result } = renderHook(() => usePresence(['dee']), { wrapper: wrapper(eve) });
    await waitFor(() => expect(result.current.dee?.status).toBe('offline'));
    await until(() => reads.running === 0, 5000, 'first read done');

    let rejoined = 0;
    eve.on('subscribed', () => rejoined++);
    const before = reads.calls;
    eve.disconnect();
    await eve.connect();
    // Settled: every channel joined again and no read running (until() polls between tasks, when a follow-up read has already started).
    await until(() => rejoined === channels.length && reads.running === 0, 10_000, 'rejoined and read');
    expect(reads.maxRunning).toBe(1);
    // The connection's read, then at most one more for the rejoins that came meanwhile (and one if some came later).
    expect(reads.calls - before).toBeGreaterThanOrEqual(1);
    expect(reads.calls - before).toBeLessThanOrEqual(3);
  });

  it('should leave the channel when the last component using it unmounts', async () => {
    const ch = room();
    const alice = client('alice');
    const Two = () => {
      useChannel(ch);
      useChannel(ch);
      return null;
    };
    const view = render(createElement(Two), { wrapper: wrapper(alice) });
    await waitFor(() => expect(alice.subscription(ch)?.state).toBe('subscribed'));
    view.unmount();
    await waitFor(() => expect(alice.subscription(ch)).toBeNull());
  });

  it('should make and own a client from options', async () => {
    const Probe = () => createElement('span', { id: 'state' }, useConnectionState());
    const options: GatewayClientOptions = { url: gw.url, getToken: () => signToken({ sub: 'olga' }), transports: ['websocket'], network: null };
    const view = render(createElement(StrictMode, null, createElement(GatewayProvider, { options }, createElement(Probe))));
    await waitFor(() => expect(view.container.textContent).toBe('connected'));
    view.unmount();
  });
});
