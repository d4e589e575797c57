import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect, type TestSocket } from '../support/clients';
import { signToken } from '../support/tokens';
import { PresenceCoalescer } from '../../src/presence/presence-coalescer';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

const EVENTS = ['channel:member_joined', 'channel:member_left', 'presence:changed'] as const;

/**
 * A mass reconnect: N users in one channel all drop and come back. Every user's leave/offline and
 * join/online reaches everyone else, so without coalescing the deliveries grow with N².
 */
async function massReconnect(gw: Gw, n: number, channelId: string): Promise<number> {
  const tokens = await Promise.all(Array.from({ length: n }, (_, i) => signToken({ sub: `${channelId}-u${i}` })));
  const observer = await connect(gw.url, await signToken({ sub: `${channelId}-observer`, roles: ['admin'] }));
  await call(observer, 'channel:join', { channelId });
  await call(observer, 'presence:subscribe', {});
  const first = await Promise.all(tokens.map((t) => connect(gw.url, t)));
  await Promise.all(first.map((s) => call(s, 'channel:join', { channelId })));
  await gw.app.get(PresenceCoalescer).flushAll();
  await call(observer, 'presence:get', { userIds: ['x'] });

  let delivered = 0;
  const count = (s: TestSocket) => { for (const e of EVENTS) s.on(e, () => void delivered++); };
  count(observer);
  for (const s of first) s.disconnect();
  const again = await Promise.all(tokens.map(async (t) => {
    const s = await connect(gw.url, t);
    count(s);
    await call(s, 'channel:join', { channelId });
    return s;
  }));
  await gw.app.get(PresenceCoalescer).flushAll();
  // An ack after the flush arrives after every event emitted before it (per-socket order).
  await Promise.all([observer, ...again].map((s) => call(s, 'presence:get', { userIds: ['x'] })));
  for (const s of [observer, ...again]) s.disconnect();
  return delivered;
}

describe('member and presence event coalescing', () => {
  afterEach(() => closeAll());

  it('should keep the events of a mass reconnect linear in the number of clients', async () => {
    const gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '100000', RATE_LIMIT_CHANNEL_JOIN: '100000', PRESENCE_COALESCE_MS: '3000' });
    try {
      const small = await massReconnect(gw, 10, 'mass-small');
      const large = await massReconnect(gw, 40, 'mass-large');
      expect(small).toBeLessThanOrEqual(2 * 10);
      expect(large).toBeLessThanOrEqual(2 * 40);
    } finally {
      await gw.close();
    }
  });

  it('should show the quadratic growth it prevents when coalescing is off', async () => {
    const gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '100000', RATE_LIMIT_CHANNEL_JOIN: '100000', PRESENCE_COALESCE_MS: '0' });
    try {
      const large = await massReconnect(gw, 40, 'mass-raw');
      expect(large).toBeGreaterThan((40 * 40) / 4);
    } finally {
      await gw.close();
    }
  });
});
