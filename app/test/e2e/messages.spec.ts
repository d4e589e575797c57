import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, next, until } from '../support/clients';
import { signToken } from '../support/tokens';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe('messages', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ RATE_LIMIT_MESSAGE_SEND: '10000', RATE_LIMIT_CONNECT_PER_IP: '1000' }); });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  const user = async (sub: string, roles: Array<'member' | 'moderator' | 'admin'> = ['member']) =>
    connect(gw.url, await signToken({ sub, roles }));
  const joined = async (sub: string, channelId: string, roles?: Array<'member' | 'moderator' | 'admin'>) => {
    const s = await user(sub, roles);
    await call(s, 'channel:join', { channelId });
    return s;
  };

  it('should deliver concurrent sends from two clients to everyone in the same, strictly increasing seq order', async () => {
    const a = await joined('ann', 'order');
    const b = await joined('ben', 'order');
    const c = await joined('cat', 'order');
    const seen = [a, b, c].map((s) => collect<{ seq: number; id: string }>(s, 'message:new'));
    const sends = [];
    for (let i = 0; i < 100; i++) {
      sends.push(call(i % 2 ? a : b, 'message:send', { channelId: 'order', content: `n${i}`, clientMsgId: `order-msg-${i}` }));
    }
    const acks = await Promise.all(sends);
    expect(new Set(acks.map((x) => x.seq)).size).toBe(100);
    await until(() => seen.every((s) => s.length === 100), 5000, 'all delivered');
    const reference = seen[0].map((m) => m.seq);
    expect(reference).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (const s of seen) expect(s.map((m) => m.seq)).toEqual(reference);
  });

  it('should answer a retried clientMsgId with the original ack and broadcast nothing', async () => {
    const a = await joined('dan', 'idem');
    const b = await joined('eve', 'idem');
    const got = collect(b, 'message:new');
    const first = await call(a, 'message:send', { channelId: 'idem', content: 'once', clientMsgId: 'retry-me-1' });
    const again = await call(a, 'message:send', { channelId: 'idem', content: 'once', clientMsgId: 'retry-me-1' });
    expect(again).toMatchObject({ ok: true, messageId: first.messageId, seq: first.seq, createdAt: first.createdAt, duplicate: true });
    const marker = next(b, 'message:new', (m: { content: string }) => m.content === 'marker');
    await call(a, 'message:send', { channelId: 'idem', content: 'marker', clientMsgId: 'marker-1' });
    await marker;
    expect(got.map((m) => m.content)).toEqual(['once', 'marker']);
  });

  it('should refuse sending to a channel the socket has not joined with CHANNEL_ERROR', async () => {
    const s = await user('fay');
    expect(await call(s, 'message:send', { channelId: 'nowhere', content: 'x', clientMsgId: 'nowhere-1' })).toMatchObject({ ok: false, error: { code: 'CHANNEL_ERROR' } });
  });

  it('should let authors edit and delete their own messages, moderators any, and others nothing', async () => {
    const author = await joined('gus', 'edits');
    const other = await joined('hal', 'edits');
    const mod = await joined('ida', 'edits', ['moderator']);
    const sent = await call(author, 'message:send', { channelId: 'edits', content: 'v1', clientMsgId: 'edit-msg-1' });
    expect(await call(other, 'message:edit', { channelId: 'edits', messageId: sent.messageId, content: 'hacked' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await call(other, 'message:delete', { channelId: 'edits', messageId: sent.messageId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const updated = next(other, 'message:updated');
    const edit = await call(author, 'message:edit', { channelId: 'edits', messageId: sent.messageId, content: 'v2' });
    expect(edit).toMatchObject({ ok: true, message: { content: 'v2', seq: sent.seq, editedAt: expect.any(String) } });
    expect(await updated).toMatchObject({ id: sent.messageId, content: 'v2', userId: 'gus', editedBy: 'gus' });
    const modUpdated = next(other, 'message:updated');
    const modEdit = await call(mod, 'message:edit', { channelId: 'edits', messageId: sent.messageId, content: 'v3 (moderated)' });
    expect(modEdit.ok).toBe(true);
    // The author stays the author; the event says who edited.
    expect(await modUpdated).toMatchObject({ content: 'v3 (moderated)', userId: 'gus', editedBy: 'ida' });
    const deleted = next(author, 'message:deleted');
    expect(await call(mod, 'message:delete', { channelId: 'edits', messageId: sent.messageId })).toEqual({ ok: true, messageId: sent.messageId });
    expect(await deleted).toEqual({ channelId: 'edits', messageId: sent.messageId, seq: sent.seq, deletedBy: 'ida' });
    expect(await call(author, 'message:edit', { channelId: 'edits', messageId: sent.messageId, content: 'v4' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await call(author, 'message:delete', { channelId: 'edits', messageId: 'm-nope-1' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const hist = await call(author, 'message:history', { channelId: 'edits' });
    expect(hist.messages[0]).toMatchObject({ id: sent.messageId, deleted: true, content: '' });
  });

  it('should page history backwards and forwards, ascending, with hasMore and thread filter', async () => {
    const s = await joined('jon', 'paging');
    for (let i = 1; i <= 25; i++) {
      await call(s, 'message:send', { channelId: 'paging', content: `p${i}`, clientMsgId: `paging-msg-${i}`, ...(i % 5 === 0 ? { threadId: 't1' } : {}) });
    }
    const latest = await call(s, 'message:history', { channelId: 'paging', limit: 10 });
    expect(latest.messages.map((m: { seq: number }) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(latest.hasMore).toBe(true);
    const older = await call(s, 'message:history', { channelId: 'paging', beforeSeq: 16, limit: 10 });
    expect(older.messages.map((m: { seq: number }) => m.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const oldest = await call(s, 'message:history', { channelId: 'paging', beforeSeq: 6, limit: 10 });
    expect(oldest).toMatchObject({ hasMore: false });
    expect(oldest.messages).toHaveLength(5);
    const thread = await call(s, 'message:history', { channelId: 'paging', threadId: 't1' });
    expect(thread.messages.map((m: { seq: number }) => m.seq)).toEqual([5, 10, 15, 20, 25]);
    expect(await call(s, 'message:history', { channelId: 'paging', limit: 101 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    expect(await call(s, 'message:history', { channelId: 'paging', beforeSeq: 3, afterSeq: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });

  it('should deliver thread messages to thread:{id} members once', async () => {
    const s = await joined('kim', 'threads');
    const got = collect(s, 'message:new');
    await call(s, 'message:send', { channelId: 'threads', content: 'in thread', clientMsgId: 'thread-msg-1', threadId: 'th-1' });
    await until(() => got.length === 1);
    expect(got[0]).toMatchObject({ threadId: 'th-1' });
  });
});

describe('message rate limit', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ RATE_LIMIT_MESSAGE_SEND: '5' }); });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  it('should refuse the 6th message in a minute with RATE_LIMITED and retryAfterMs, and count it', async () => {
    const s = await connect(gw.url, await signToken({ sub: 'lou' }));
    await call(s, 'channel:join', { channelId: 'limited' });
    const acks = [];
    for (let i = 0; i < 6; i++) acks.push(await call(s, 'message:send', { channelId: 'limited', content: 'x', clientMsgId: `limited-${i}` }));
    expect(acks.slice(0, 5).every((a) => a.ok)).toBe(true);
    expect(acks[5]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(acks[5].error.retryAfterMs).toBeGreaterThan(0);
    expect(acks[5].error.retryAfterMs).toBeLessThanOrEqual(12_000);
    const metrics = await gw.metrics.registry.getSingleMetricAsString('socket_gateway_rate_limited_total');
    expect(metrics).toContain('socket_gateway_rate_limited_total{event="message:send"} 1');
  });
});
