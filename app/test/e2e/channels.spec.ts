import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, next } from '../support/clients';
import { signToken } from '../support/tokens';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe('channels', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ HISTORY_MAX_LEN: '20', RATE_LIMIT_CONNECT_PER_IP: '1000' }); });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  const user = async (sub: string, channels = ['*'], roles: Array<'member' | 'moderator' | 'admin'> = ['member']) =>
    connect(gw.url, await signToken({ sub, channels, roles }));

  it('should announce a user once per channel across tabs, and their leaving when the last tab goes', async () => {
    const alice = await user('alice');
    await call(alice, 'channel:join', { channelId: 'tabs' });
    const joins = collect(alice, 'channel:member_joined');
    const lefts = collect(alice, 'channel:member_left');
    const bobTab1 = await user('bob');
    const bobTab2 = await user('bob');
    const first = next(alice, 'channel:member_joined');
    await call(bobTab1, 'channel:join', { channelId: 'tabs' });
    expect(await first).toEqual({ channelId: 'tabs', userId: 'bob' });
    const j2 = await call(bobTab2, 'channel:join', { channelId: 'tabs' });
    expect(j2.members.sort()).toEqual(['alice', 'bob']);
    await call(bobTab1, 'channel:leave', { channelId: 'tabs' });
    const left = next(alice, 'channel:member_left');
    bobTab2.disconnect();
    expect(await left).toEqual({ channelId: 'tabs', userId: 'bob' });
    expect(joins).toHaveLength(1);
    expect(lefts).toHaveLength(1);
  });

  it('should refuse a channel outside the token grants with FORBIDDEN and accept prefix grants', async () => {
    const s = await user('gina', ['team-*', 'lobby']);
    expect(await call(s, 'channel:join', { channelId: 'private' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await call(s, 'channel:join', { channelId: 'team-blue' })).toMatchObject({ ok: true });
    expect(await call(s, 'channel:join', { channelId: 'lobby' })).toMatchObject({ ok: true });
    const admin = await user('root', [], ['admin']);
    expect(await call(admin, 'channel:join', { channelId: 'private' })).toMatchObject({ ok: true });
  });

  it.each([['', 'empty'], ['a'.repeat(129), 'too long'], ['bad id', 'space'], ['x/y', 'slash'], [42, 'number']])(
    'should refuse channel id %p (%s) with INVALID_PAYLOAD',
    async (channelId: unknown, _why: unknown) => {
      const s = await user('hank');
      expect(await call(s, 'channel:join', { channelId })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    },
  );

  it('should replay what a reconnecting client missed, after its sinceSeq, oldest first', async () => {
    const sender = await user('ivan');
    await call(sender, 'channel:join', { channelId: 'replay' });
    let reader = await user('judy');
    const first = await call(reader, 'channel:join', { channelId: 'replay' });
    for (let i = 0; i < 3; i++) await call(sender, 'message:send', { channelId: 'replay', content: `m${i}`, clientMsgId: `replay-a-${i}` });
    reader.disconnect();
    for (let i = 3; i < 8; i++) await call(sender, 'message:send', { channelId: 'replay', content: `m${i}`, clientMsgId: `replay-a-${i}` });
    reader = await user('judy');
    const back = await call(reader, 'channel:join', { channelId: 'replay', sinceSeq: 3, epoch: first.epoch });
    expect(back).toMatchObject({ ok: true, recovered: true, hasMore: false, lastSeq: 8, epoch: first.epoch });
    expect(back.missed.map((m: { content: string }) => m.content)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    expect(back.missed.map((m: { seq: number }) => m.seq)).toEqual([4, 5, 6, 7, 8]);
  });

  it('should answer recovered: false for another epoch or a gap older than retained history', async () => {
    const s = await user('kate');
    const j = await call(s, 'channel:join', { channelId: 'trimmed' });
    for (let i = 0; i < 25; i++) await call(s, 'message:send', { channelId: 'trimmed', content: `t${i}`, clientMsgId: `trim-msg-${i}` });
    const other = await user('kate');
    expect(await call(other, 'channel:join', { channelId: 'trimmed', sinceSeq: 2, epoch: j.epoch })).toMatchObject({ ok: true, recovered: false, missed: [] });
    expect(await call(other, 'channel:join', { channelId: 'trimmed', sinceSeq: 10, epoch: 'otherepoch' })).toMatchObject({ recovered: false, missed: [] });
    expect(await call(other, 'channel:join', { channelId: 'trimmed', sinceSeq: 99, epoch: j.epoch })).toMatchObject({ recovered: false });
    const ok = await call(other, 'channel:join', { channelId: 'trimmed', sinceSeq: 6, epoch: j.epoch });
    expect(ok).toMatchObject({ recovered: true, hasMore: false });
    expect(ok.missed).toHaveLength(19);
  });

  it('should page long gaps: at most 100 missed with hasMore', async () => {
    const local = await startTestGateway({ RATE_LIMIT_MESSAGE_SEND: '1000' });
    try {
      const s = await connect(local.url, await signToken({ sub: 'lena' }));
      const j = await call(s, 'channel:join', { channelId: 'long' });
      for (let i = 0; i < 130; i++) await call(s, 'message:send', { channelId: 'long', content: `l${i}`, clientMsgId: `long-msg-${i}` });
      const again = await call(s, 'channel:join', { channelId: 'long', sinceSeq: 0, epoch: j.epoch });
      expect(again).toMatchObject({ recovered: true, hasMore: true });
      expect(again.missed).toHaveLength(100);
      const rest = await call(s, 'message:history', { channelId: 'long', afterSeq: 100, limit: 100 });
      expect(rest.messages.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => 101 + i));
      expect(rest.hasMore).toBe(false);
    } finally {
      await local.close();
    }
  });

  it('should let an honest reconnect resubscribe to 30 channels while fresh joins stay limited to 10 a minute', async () => {
    // The previous session of 'mike' held 30 channels on a socket that is gone now.
    const now = Date.now();
    for (let i = 0; i < 30; i++) {
      await gw.engine.membership.add(`held-${i}`, 'mike', 'old-instance/old-socket');
      await gw.engine.membership.remove(`held-${i}`, 'mike', 'old-instance/old-socket', now);
    }
    const s = await user('mike');
    const join = (prefix: string, n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => call(s, 'channel:join', { channelId: `${prefix}-${i}` })));
    const rejoins = await join('held', 30);
    expect(rejoins.filter((a) => !a.ok)).toEqual([]);
    const fresh = await join('fresh', 12);
    expect(fresh.filter((a) => a.ok)).toHaveLength(10);
    expect(fresh.find((a) => !a.ok)).toMatchObject({ error: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) } });
  });

  it('should leave idempotently', async () => {
    const s = await user('nina');
    expect(await call(s, 'channel:leave', { channelId: 'never-joined' })).toEqual({ ok: true, left: false });
    await call(s, 'channel:join', { channelId: 'leave-me' });
    expect(await call(s, 'channel:leave', { channelId: 'leave-me' })).toEqual({ ok: true, left: true });
  });
});
