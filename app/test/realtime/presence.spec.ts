import type { Role } from '../../src/contracts/events';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, next, until } from '../support/clients';
import { signToken } from '../support/tokens';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe('presence', () => {
  let gw: Gw;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000', PRESENCE_COALESCE_MS: '50', API_KEYS: 'presence-test-key-0123456789' });
  });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  // Watchers of every user's presence (presence:global) are admins; members only hear co-members.
  const user = async (sub: string, channels = ['*'], roles: Role[] = ['member']) => connect(gw.url, await signToken({ sub, channels, roles }));
  const api = async (method: string, path: string, body?: unknown, key = 'presence-test-key-0123456789') => {
    const res = await fetch(`${gw.url}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  it('should show a user online while any tab is connected and offline with lastSeen after the last one', async () => {
    const watcher = await user('p-watch', ['*'], ['admin']);
    expect(await call(watcher, 'presence:subscribe')).toEqual({ ok: true, scope: 'all' });
    const online = next(watcher, 'presence:changed', (e) => e.userId === 'p-ann');
    const tab1 = await user('p-ann');
    expect(await online).toMatchObject({ userId: 'p-ann', status: 'online' });
    const tab2 = await user('p-ann');
    expect(await call(watcher, 'presence:get', { userIds: ['p-ann', 'p-never'] })).toEqual({
      ok: true,
      users: [
        { userId: 'p-ann', status: 'online', lastSeen: expect.any(String) },
        { userId: 'p-never', status: 'offline', lastSeen: null },
      ],
    });
    const changes = collect(watcher, 'presence:changed');
    tab1.disconnect();
    const offline = next(watcher, 'presence:changed', (e) => e.userId === 'p-ann' && e.status === 'offline');
    tab2.disconnect();
    const off = await offline;
    expect(Date.parse(off.lastSeen)).toBeGreaterThan(Date.now() - 5000);
    expect(changes.filter((c) => c.userId === 'p-ann')).toHaveLength(1);
    expect((await call(watcher, 'presence:get', { userIds: ['p-ann'] })).users[0]).toEqual({ userId: 'p-ann', status: 'offline', lastSeen: off.lastSeen });
  });

  it('should send status changes to the user\u2019s channels and global subscribers, keep them across reconnects, and hide invisible users', async () => {
    const peer = await user('p-peer');
    await call(peer, 'channel:join', { channelId: 'p-room' });
    const global = await user('p-global', ['*'], ['admin']);
    await call(global, 'presence:subscribe');
    const bea = await user('p-bea');
    await call(bea, 'channel:join', { channelId: 'p-room' });

    const inRoom = next(peer, 'presence:changed', (e) => e.userId === 'p-bea');
    const inGlobal = next(global, 'presence:changed', (e) => e.userId === 'p-bea' && e.status === 'dnd');
    expect(await call(bea, 'presence:update', { status: 'dnd' })).toEqual({ ok: true, status: 'dnd' });
    expect(await inRoom).toMatchObject({ userId: 'p-bea', status: 'dnd' });
    await inGlobal;

    const hidden = next(peer, 'presence:changed', (e) => e.userId === 'p-bea' && e.status === 'offline');
    await call(bea, 'presence:update', { status: 'invisible' });
    await hidden;
    expect((await call(peer, 'presence:get', { channelId: 'p-room' })).users).toEqual(expect.arrayContaining([
      { userId: 'p-bea', status: 'offline', lastSeen: expect.any(String) },
      { userId: 'p-peer', status: 'online', lastSeen: expect.any(String) },
    ]));
    // The user herself sees her real status.
    expect((await call(bea, 'presence:get', { userIds: ['p-bea'] })).users[0].status).toBe('invisible');

    // Invisible users come and go without a word.
    const seen = collect(global, 'presence:changed');
    bea.disconnect();
    const again = await user('p-bea');
    expect((await call(again, 'presence:get', { userIds: ['p-bea'] })).users[0].status).toBe('invisible');
    const back = next(global, 'presence:changed', (e) => e.userId === 'p-bea');
    await call(again, 'presence:update', { status: 'away' });
    expect(await back).toMatchObject({ status: 'away' });
    expect(seen.filter((e) => e.userId === 'p-bea')).toEqual([expect.objectContaining({ status: 'away' })]);
  });

  it('should stop global events after presence:unsubscribe', async () => {
    const w = await user('p-unsub', ['*'], ['admin']);
    await call(w, 'presence:subscribe');
    const got = collect(w, 'presence:changed');
    const first = next(w, 'presence:changed', (e) => e.userId === 'p-one');
    await user('p-one');
    await first;
    expect(await call(w, 'presence:unsubscribe')).toEqual({ ok: true });
    const marker = await user('p-marker', ['*'], ['admin']);
    await call(marker, 'presence:subscribe');
    const markerSaw = next(marker, 'presence:changed', (e) => e.userId === 'p-two');
    await user('p-two');
    await markerSaw;
    expect(got.map((e) => e.userId)).not.toContain('p-two');
  });

  it('should refuse presence:get of a channel outside the grant and bad payloads', async () => {
    const s = await user('p-limited', ['mine']);
    expect(await call(s, 'presence:get', { channelId: 'theirs' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await call(s, 'presence:get', { channelId: 'mine' })).toEqual({ ok: true, users: [] });
    for (const bad of [
      {}, { userIds: [] }, { userIds: Array.from({ length: 101 }, (_, i) => `u${i}`) }, { userIds: ['ok'], channelId: 'mine' },
      { userIds: ['bad user'] }, { channelId: '' },
    ]) {
      expect(await call(s, 'presence:get', bad)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    }
    // A second socket: ten invalid frames in a minute disconnect one (MAX invalid frames guard).
    const s2 = await user('p-limited-2', ['mine']);
    for (const bad of [{ status: 'offline' }, { status: 'busy' }, {}, { status: 'away', extra: 1 }, 'away']) {
      expect(await call(s2, 'presence:update', bad)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    }
    expect(await call(s2, 'presence:subscribe', { extra: true })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });

  it('should rate-limit presence:update', async () => {
    const limited = await startTestGateway({ RATE_LIMIT_PRESENCE_UPDATE: '3' });
    try {
      const s = await connect(limited.url, await signToken({ sub: 'p-spam' }));
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await call(s, 'presence:update', { status: i % 2 ? 'away' : 'online' }));
      expect(results.filter((r) => r.ok)).toHaveLength(3);
      expect(results[4]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) } });
    } finally {
      closeAll();
      await limited.close();
    }
  });

  it('should serve presence over the server API with the same view as other users', async () => {
    const s = await user('p-api');
    await call(s, 'channel:join', { channelId: 'p-api-room' });
    await call(s, 'presence:update', { status: 'away' });
    expect(await api('GET', '/users/p-api/presence')).toEqual({ status: 200, body: { ok: true, userId: 'p-api', status: 'away', lastSeen: expect.any(String) } });
    expect(await api('GET', '/channels/p-api-room/presence')).toEqual({
      status: 200,
      body: { ok: true, channelId: 'p-api-room', users: [{ userId: 'p-api', status: 'away', lastSeen: expect.any(String) }] },
    });
    await call(s, 'presence:update', { status: 'invisible' });
    expect((await api('GET', '/users/p-api/presence')).body.status).toBe('offline');
    expect((await api('GET', '/users/bad%20id/presence'))).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_PAYLOAD' } } });
    expect((await api('GET', '/users/p-api/presence', undefined, ''))).toMatchObject({ status: 401, body: { ok: false, error: { code: 'AUTH_FAILED' } } });
    expect((await api('GET', '/channels/p-api-room/presence', undefined, 'wrong-key-0123456789abcdef'))).toMatchObject({ status: 403, body: { ok: false, error: { code: 'FORBIDDEN' } } });
  });

  it('should reconcile presence with the sockets really connected', async () => {
    const s = await user('p-rec');
    // Lose the registration behind the gateway's back (as a store restart would) and add a ghost.
    const socketKey = `${gw.config.instanceId}/${s.id}`;
    await gw.engine.presence.disconnect('p-rec', socketKey, Date.now());
    await gw.engine.presence.connect('p-ghost', `${gw.config.instanceId}/ghost-socket`, Date.now());
    await gw.engine.presence.connect('p-dead', 'long-gone-instance/s1', Date.now());
    expect((await api('POST', '/presence/reconcile', { dryRun: true })).body).toMatchObject({ ok: true, dryRun: true, added: 1, removed: 2 });
    expect((await gw.engine.presence.get(['p-rec']))[0].online).toBe(false);

    const w = await user('p-rec-watch', ['*'], ['admin']);
    await call(w, 'presence:subscribe');
    const ghostGone = next(w, 'presence:changed', (e) => e.userId === 'p-ghost' && e.status === 'offline');
    expect((await api('POST', '/presence/reconcile', {})).body).toMatchObject({ ok: true, dryRun: false, added: 1, removed: 2, orphaned: 1, complete: true });
    await ghostGone;
    const users = await gw.engine.presence.get(['p-rec', 'p-ghost', 'p-dead']);
    expect(users.map((u) => u.online)).toEqual([true, false, false]);
    expect((await api('POST', '/presence/reconcile', {})).body).toMatchObject({ added: 0, removed: 0 });
    expect(await api('POST', '/presence/reconcile', { dryRun: 'yes' })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_PAYLOAD' } } });
  });

  it('should register the socket before connection:ready so that others see it at once', async () => {
    const other = await user('p-other', ['*'], ['admin']);
    for (let i = 0; i < 5; i++) {
      const s = await user(`p-fast-${i}`);
      expect((await call(other, 'presence:get', { userIds: [`p-fast-${i}`] })).users[0].status).toBe('online');
      s.disconnect();
      await until(async () => (await call(other, 'presence:get', { userIds: [`p-fast-${i}`] })).users[0].status === 'offline', 3000, 'offline');
    }
  });
});
