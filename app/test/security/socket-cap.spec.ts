/** MAX_SOCKETS_PER_USER (issue 17, point 3): one user's sockets are capped across instances. */
import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, connectRefused, until, type TestSocket } from '../support/clients';
import { signToken } from '../support/tokens';
import { io } from 'socket.io-client';

const API_KEY = 'socket-cap-api-key-0123456789';

interface Target { urls: [string, string]; stop(): Promise<void> }

/** Presence through the server API (as a backend reads it). */
async function online(url: string, userId: string): Promise<boolean> {
  const res = await fetch(`${url}/api/v1/users/${userId}/presence`, { headers: { authorization: `Bearer ${API_KEY}` } });
  const body = (await res.json()) as { users?: Array<{ online?: boolean; status: string }> } & { status?: string };
  const entry = body.users?.[0] ?? body;
  return entry.status !== 'offline';
}

async function memoryTarget(): Promise<Target> {
  // A reconcile tick every minute: what these cases see is the handshake's own doing, not the tick's.
  const gw = await startTestGateway({ MAX_SOCKETS_PER_USER: '3', RATE_LIMIT_CONNECT_PER_IP: '1000', API_KEYS: API_KEY, PRESENCE_HEARTBEAT_MS: '60000' });
  return { urls: [gw.url, gw.url], stop: () => gw.close() };
}

async function redisTarget(): Promise<Target> {
  const redis = await RedisServer.start();
  const env = { REDIS_URL: redis.url, MAX_SOCKETS_PER_USER: '3', API_KEYS: API_KEY, PRESENCE_HEARTBEAT_MS: '60000' };
  const [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'cap-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'cap-b' })]);
  return {
    urls: [a.url, b.url],
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
      await redis.stop();
    },
  };
}

describe.each([['memory', memoryTarget], ['redis, two instances', redisTarget]] as const)('MAX_SOCKETS_PER_USER (%s)', (_name, make) => {
  let t: Target;
  beforeAll(async () => { t = await make(); }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => t?.stop());

  it('should refuse a user\u2019s socket past the cap with RATE_LIMITED on any instance, and accept it again once one closed', async () => {
    const token = await signToken({ sub: 'hoarder' });
    const [a, b] = t.urls;
    const sockets: TestSocket[] = [await connect(a, token), await connect(b, token), await connect(a, token)];
    for (const url of [a, b]) {
      const refused = await connectRefused(url, token);
      expect(refused.data).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    }
    // Other users are not affected.
    await connect(b, await signToken({ sub: 'neighbour' }));
    sockets[1].disconnect();
    let again: TestSocket | undefined;
    await until(async () => {
      try {
        again = await connect(a, token);
        return true;
      } catch {
        return false;
      }
    }, 5000, 'a socket slot freed by a disconnect');
    expect(again?.connected).toBe(true);
  });

  it('should hold the cap for handshakes of one user that run at the same moment, on both instances', async () => {
    const token = await signToken({ sub: 'burst' });
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => connect(t.urls[i % 2], token)));
    const accepted = attempts.filter((a) => a.status === 'fulfilled');
    expect(accepted).toHaveLength(3);
    for (const a of attempts) {
      if (a.status === 'rejected') expect((a.reason as { data?: { code: string } }).data?.code).toBe('RATE_LIMITED');
    }
  });

  it('should take back the presence of a handshake whose client left before it completed', async () => {
    const token = await signToken({ sub: 'leaver' });
    // The client sends its CONNECT and closes at once: the admission is under way when the close arrives.
    for (let i = 0; i < 5; i++) {
      const s = io(t.urls[0], { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      s.io.on('open', () => s.io.engine.close());
      await until(() => !s.io.engine || s.io.engine.readyState === 'closed', 5000, 'the client closed');
    }
    await until(async () => !(await online(t.urls[1], 'leaver')), 5000, 'leaver offline again');
    // And it stays so: nothing is left registered that a later tick would have to mend.
    const stay = await connect(t.urls[0], token);
    expect(await online(t.urls[1], 'leaver')).toBe(true);
    stay.disconnect();
    await until(async () => !(await online(t.urls[1], 'leaver')), 5000, 'leaver offline after a real session');
  });

  it('should give back the place of a handshake refused as revoked at once', async () => {
    const revoked = await signToken({ sub: 'comeback', jti: 'cap-revoked-jti' });
    const res = await fetch(`${t.urls[0]}/api/v1/tokens/revoke`, {
      method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ jti: 'cap-revoked-jti' }),
    });
    expect(res.status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await connectRefused(t.urls[i % 2], revoked)).data).toMatchObject({ code: 'AUTH_FAILED', message: 'token revoked' });
    // Four refused admissions would fill the cap of three if they kept their place.
    const fresh = await signToken({ sub: 'comeback' });
    for (const url of [t.urls[0], t.urls[1], t.urls[0]]) await connect(url, fresh);
    expect(await online(t.urls[1], 'comeback')).toBe(true);
  });

  it('should announce nothing for a handshake admitted and then refused as revoked', async () => {
    const watcher = await connect(t.urls[1], await signToken({ sub: 'cap-watcher', roles: ['admin'] }));
    expect(await call(watcher, 'presence:subscribe', {})).toMatchObject({ ok: true, scope: 'all' });
    const changes = collect<{ userId: string; status: string }>(watcher, 'presence:changed');
    const revoked = await signToken({ sub: 'cap-ghost', jti: 'cap-ghost-jti' });
    const res = await fetch(`${t.urls[0]}/api/v1/tokens/revoke`, {
      method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ jti: 'cap-ghost-jti' }),
    });
    expect(res.status).toBe(200);
    for (const url of t.urls) expect((await connectRefused(url, revoked)).data).toMatchObject({ code: 'AUTH_FAILED' });
    // A user who does connect afterwards is announced; anything about the refused one would have come first.
    await connect(t.urls[0], await signToken({ sub: 'cap-marker' }));
    await until(() => changes.some((c) => c.userId === 'cap-marker' && c.status === 'online'), 5000, 'the marker announced online');
    expect(changes.filter((c) => c.userId === 'cap-ghost')).toEqual([]);
    expect(await online(t.urls[1], 'cap-ghost')).toBe(false);
  });
});
