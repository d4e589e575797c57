/**
 * Presence is scoped to users who share a channel (issue 17, point 4), across two instances:
 * a member granted only `other` learns nothing of users elsewhere; an admin or a token with the
 * `presence:all` claim still sees everyone.
 */
import { SignJWT } from 'jose';
import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, collect, connect, next } from '../support/clients';
import { signToken, TEST_SECRET } from '../support/tokens';

describe('presence privacy across two instances', () => {
  let redis: RedisServer;
  let a: GatewayChild;
  let b: GatewayChild;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, PRESENCE_COALESCE_MS: '0' };
    [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'priv-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'priv-b' })]);
  }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  const joined = async (gw: GatewayChild, token: Promise<string>, channelId: string) => {
    const s = await connect(gw.url, await token);
    expect(await call(s, 'channel:join', { channelId })).toMatchObject({ ok: true });
    return s;
  };

  it('should hide users who share no channel from presence:get and presence:subscribe, and show them to admins and presence:all holders', async () => {
    const stranger = await joined(a, signToken({ sub: 'pv-stranger', channels: ['secret'] }), 'secret');
    const friend = await joined(a, signToken({ sub: 'pv-friend', channels: ['other'] }), 'other');
    const limited = await joined(b, signToken({ sub: 'pv-limited', channels: ['other'] }), 'other');
    const admin = await connect(b.url, await signToken({ sub: 'pv-admin', roles: ['admin'] }));
    const claimToken = await new SignJWT({ roles: ['member'], channels: [], 'presence:all': true }).setProtectedHeader({ alg: 'HS256' })
      .setSubject('pv-claim').setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(TEST_SECRET));
    const claim = await connect(b.url, claimToken);

    const got = await call(limited, 'presence:get', { userIds: ['pv-stranger', 'pv-friend'] });
    expect(got).toEqual({ ok: true, users: [{ userId: 'pv-stranger', status: 'offline', lastSeen: null }, { userId: 'pv-friend', status: 'online', lastSeen: expect.any(String) }] });
    for (const s of [admin, claim]) {
      expect((await call(s, 'presence:get', { userIds: ['pv-stranger'] })).users).toEqual([{ userId: 'pv-stranger', status: 'online', lastSeen: expect.any(String) }]);
    }

    expect(await call(limited, 'presence:subscribe', {})).toEqual({ ok: true, scope: 'channels' });
    expect(await call(admin, 'presence:subscribe', {})).toEqual({ ok: true, scope: 'all' });
    expect(await call(claim, 'presence:subscribe', {})).toEqual({ ok: true, scope: 'all' });
    const seenByLimited = collect<{ userId: string }>(limited, 'presence:changed');
    const adminSaw = next(admin, 'presence:changed', (e) => e.userId === 'pv-stranger' && e.status === 'away');
    const claimSaw = next(claim, 'presence:changed', (e) => e.userId === 'pv-stranger' && e.status === 'away');
    expect((await call(stranger, 'presence:update', { status: 'away' })).ok).toBe(true);
    await Promise.all([adminSaw, claimSaw]);
    // The friend's change comes after the stranger's, from the same instance: once it arrived, the stranger's would have.
    const limitedSawFriend = next(limited, 'presence:changed', (e) => e.userId === 'pv-friend' && e.status === 'dnd');
    expect((await call(friend, 'presence:update', { status: 'dnd' })).ok).toBe(true);
    await limitedSawFriend;
    expect(seenByLimited.map((e) => e.userId)).not.toContain('pv-stranger');
  });
});
