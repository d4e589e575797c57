import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, collect, connect, next, until } from '../support/clients';
import { signToken } from '../support/tokens';

const HEARTBEAT_MS = 1000;

describe('presence across two gateway processes on one Redis', () => {
  let redis: RedisServer;
  let a: GatewayChild;
  let b: GatewayChild;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS), API_KEYS: 'multi-presence-key-0123456789' };
    [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'pr-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'pr-b' })]);
  }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  // Watchers of every user's presence (presence:global) are admins; members only hear co-members.
  const on = async (gw: GatewayChild, sub: string, channelId?: string) => {
    const s = await connect(gw.url, await signToken({ sub, roles: sub.endsWith('-watch') ? ['admin'] : ['member'] }));
    if (channelId) expect(await call(s, 'channel:join', { channelId })).toMatchObject({ ok: true });
    return s;
  };

  it('should see a user online through either instance until their last tab on any instance closes', async () => {
    const watcher = await on(a, 'm-watch', 'm-room');
    await call(watcher, 'presence:subscribe');
    const online = next(watcher, 'presence:changed', (e) => e.userId === 'm-user');
    const tabB = await on(b, 'm-user', 'm-room');
    expect(await online).toMatchObject({ status: 'online' });
    const tabA = await on(a, 'm-user');
    expect((await call(watcher, 'presence:get', { channelId: 'm-room' })).users).toEqual(expect.arrayContaining([
      expect.objectContaining({ userId: 'm-user', status: 'online' }),
    ]));
    const away = next(watcher, 'presence:changed', (e) => e.userId === 'm-user' && e.status === 'away');
    await call(tabA, 'presence:update', { status: 'away' });
    await away;
    const changes = collect(watcher, 'presence:changed');
    tabB.disconnect();
    const offline = next(watcher, 'presence:changed', (e) => e.userId === 'm-user' && e.status === 'offline');
    await until(async () => (await call(watcher, 'presence:get', { userIds: ['m-user'] })).users[0].status === 'away', 3000, 'still away');
    tabA.disconnect();
    await offline;
    expect(changes.filter((c) => c.userId === 'm-user').map((c) => c.status)).toEqual(['offline']);
  });

  it('should take a SIGKILLed instance\u2019s users offline and out of their channels within 2 heartbeats', async () => {
    const doomed = await GatewayChild.start({ REDIS_URL: redis.url, PRESENCE_HEARTBEAT_MS: String(HEARTBEAT_MS), INSTANCE_ID: 'pr-doomed' });
    try {
      const watcher = await on(a, 'k-watch', 'k-room');
      await call(watcher, 'presence:subscribe');
      const victims = await Promise.all(['k-1', 'k-2', 'k-3'].map((u) => on(doomed, u, 'k-room')));
      const survivorTabs = [await on(doomed, 'k-multi', 'k-room'), await on(b, 'k-multi', 'k-room')];
      await until(async () => (await call(watcher, 'presence:get', { channelId: 'k-room' })).users.length === 5, 3000, 'all members');
      const offline = new Set<string>();
      const left = new Set<string>();
      watcher.on('presence:changed', (e) => { if (e.status === 'offline') offline.add(e.userId); });
      watcher.on('channel:member_left', (e) => left.add(e.userId));
      for (const v of victims) v.io.reconnection(false);

      await doomed.signal('SIGKILL');
      const killedAt = Date.now();
      await until(() => offline.size >= 3 && left.size >= 3, 2 * HEARTBEAT_MS + 1500, 'offline and member_left for the victims');
      const tookMs = Date.now() - killedAt;
      expect([...offline].sort()).toEqual(['k-1', 'k-2', 'k-3']);
      expect([...left].sort()).toEqual(['k-1', 'k-2', 'k-3']);
      // Last heartbeat at most 1 interval before the kill; lapse after 1.5; prune every 0.5.
      expect(tookMs).toBeLessThanOrEqual(2 * HEARTBEAT_MS + 500);
      const seen = await call(watcher, 'presence:get', { userIds: ['k-1', 'k-multi'] });
      expect(seen.users.map((u: { status: string }) => u.status)).toEqual(['offline', 'online']);
      expect((await call(survivorTabs[1], 'channel:join', { channelId: 'k-room' })).members.sort()).toEqual(['k-multi', 'k-watch']);
    } finally {
      await doomed.stop();
    }
  }, 30_000);

  it('should reconcile every instance through the server API', async () => {
    await on(a, 'rc-a');
    await on(b, 'rc-b');
    const res = await fetch(`${a.url}/api/v1/presence/reconcile`, {
      method: 'POST',
      headers: { authorization: 'Bearer multi-presence-key-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ dryRun: true }),
    });
    expect(await res.json()).toMatchObject({ ok: true, dryRun: true, added: 0, removed: 0, instances: 2, complete: true });
  });
});
