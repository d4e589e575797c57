import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, next } from '../support/clients';
import { signToken } from '../support/tokens';
import { TypingService } from '../../src/typing/typing.service';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe('typing, threads and read receipts', () => {
  let gw: Gw;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000', RATE_LIMIT_MESSAGE_SEND: '1000', RATE_LIMIT_TYPING: '5' });
  });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  const user = async (sub: string, channels = ['*']) => connect(gw.url, await signToken({ sub, channels }));
  const joined = async (sub: string, channelId: string) => {
    const s = await user(sub);
    expect(await call(s, 'channel:join', { channelId })).toMatchObject({ ok: true });
    return s;
  };
  const send = (s: Awaited<ReturnType<typeof user>>, channelId: string, i: number, threadId?: string) =>
    call(s, 'message:send', { channelId, content: `m${i}`, clientMsgId: `${channelId}-msg-${i}`, ...(threadId ? { threadId } : {}) });

  describe('user:typing', () => {
    it('should relay typing to the others in the channel and stop it by itself 5 s after the last true', async () => {
      const typist = await joined('t-typist', 't-room');
      const reader = await joined('t-reader', 't-room');
      const own = collect(typist, 'user:typing');
      const started = next(reader, 'user:typing');
      expect(await call(typist, 'user:typing', { channelId: 't-room', threadId: 'th', isTyping: true })).toEqual({ ok: true });
      expect(await started).toEqual({ channelId: 't-room', threadId: 'th', userId: 't-typist', isTyping: true });
      const t0 = Date.now();
      const stopped = await next(reader, 'user:typing', () => true, 8000);
      expect(stopped).toEqual({ channelId: 't-room', threadId: 'th', userId: 't-typist', isTyping: false });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(4500);
      expect(own).toEqual([]);
    }, 15_000);

    it('should relay an explicit stop at once and disarm the expiry timer', async () => {
      const typist = await joined('t-stopper', 't-stop');
      const reader = await joined('t-watcher', 't-stop');
      const events = collect(reader, 'user:typing');
      await call(typist, 'user:typing', { channelId: 't-stop', isTyping: true });
      const stop = next(reader, 'user:typing', (e) => !e.isTyping);
      await call(typist, 'user:typing', { channelId: 't-stop', isTyping: false });
      expect(await stop).toEqual({ channelId: 't-stop', userId: 't-stopper', isTyping: false });
      expect(events).toHaveLength(2);
      expect(gw.app.get(TypingService).activeCount).toBe(0);
    });

    it('should stop the indicator when the typing socket disconnects', async () => {
      const typist = await joined('t-leaver', 't-disc');
      const reader = await joined('t-stayer', 't-disc');
      await call(typist, 'user:typing', { channelId: 't-disc', isTyping: true });
      const stop = next(reader, 'user:typing', (e) => !e.isTyping, 3000);
      typist.disconnect();
      expect(await stop).toEqual({ channelId: 't-disc', userId: 't-leaver', isTyping: false });
    });

    it('should refuse non-members, bad payloads and too many starts', async () => {
      const outsider = await user('t-outsider');
      expect(await call(outsider, 'user:typing', { channelId: 't-closed', isTyping: true })).toMatchObject({ ok: false, error: { code: 'CHANNEL_ERROR' } });
      const err = next(outsider, 'user:error');
      outsider.emit('user:typing', { channelId: 't-closed', isTyping: true });
      expect(await err).toMatchObject({ code: 'CHANNEL_ERROR', event: 'user:typing' });
      for (const bad of [{ channelId: 't-closed' }, { channelId: 't-closed', isTyping: 'yes' }, { channelId: 'bad id', isTyping: true }, { channelId: 'x', isTyping: true, extra: 1 }]) {
        expect(await call(outsider, 'user:typing', bad)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      }
      const spammer = await joined('t-spammer', 't-spam');
      const results = [];
      for (let i = 0; i < 7; i++) results.push(await call(spammer, 'user:typing', { channelId: 't-spam', isTyping: true }));
      expect(results.filter((r) => r.ok)).toHaveLength(5);
      expect(results[6]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      // Stopping is never limited.
      expect(await call(spammer, 'user:typing', { channelId: 't-spam', isTyping: false })).toEqual({ ok: true });
    });
  });

  describe('threads', () => {
    it('should deliver thread messages to a thread member who did not join the channel, and only that thread', async () => {
      const author = await joined('th-author', 'th-chan');
      const follower = await user('th-follower', ['th-chan']);
      expect(await call(follower, 'thread:join', { channelId: 'th-chan', threadId: 't1' })).toEqual({ ok: true, channelId: 'th-chan', threadId: 't1' });
      const got = collect(follower, 'message:new');
      await send(author, 'th-chan', 1);
      await send(author, 'th-chan', 2, 't2');
      const inThread = next(follower, 'message:new');
      await send(author, 'th-chan', 3, 't1');
      expect(await inThread).toMatchObject({ channelId: 'th-chan', threadId: 't1', content: 'm3' });
      const h = await call(follower, 'message:history', { channelId: 'th-chan', threadId: 't1' });
      expect(h.messages.map((m: { content: string }) => m.content)).toEqual(['m3']);
      expect(await call(follower, 'thread:leave', { channelId: 'th-chan', threadId: 't1' })).toEqual({ ok: true, left: true });
      expect(await call(follower, 'thread:leave', { channelId: 'th-chan', threadId: 't1' })).toEqual({ ok: true, left: false });
      const marker = next(author, 'message:new', (m) => m.content === 'm4');
      await send(author, 'th-chan', 4, 't1');
      await marker;
      expect(got.map((m) => m.content)).toEqual(['m3']);
    });

    it('should keep the same thread id of two channels apart and refuse threads outside the grant', async () => {
      const a = await joined('th-a', 'th-one');
      const b = await joined('th-b', 'th-two');
      const follower = await user('th-scoped', ['th-one']);
      await call(follower, 'thread:join', { channelId: 'th-one', threadId: 'same' });
      expect(await call(follower, 'thread:join', { channelId: 'th-two', threadId: 'same' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const got = collect(follower, 'message:new');
      await send(b, 'th-two', 1, 'same');
      const mine = next(follower, 'message:new');
      await send(a, 'th-one', 2, 'same');
      expect(await mine).toMatchObject({ channelId: 'th-one', content: 'm2' });
      expect(got).toHaveLength(1);
      for (const bad of [{ channelId: 'th-one' }, { threadId: 'x' }, { channelId: 'th-one', threadId: '' }, { channelId: 'th-one', threadId: 'a b' }]) {
        expect(await call(follower, 'thread:join', bad)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
        expect(await call(follower, 'thread:leave', bad)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      }
    });
  });

  describe('message:read', () => {
    it('should store a cursor that never moves backwards, announce only moves and return it on join', async () => {
      const reader = await joined('r-reader', 'r-chan');
      const other = await joined('r-other', 'r-chan');
      for (let i = 1; i <= 5; i++) await send(other, 'r-chan', i);
      const receipts = collect(other, 'message:read');
      const first = next(other, 'message:read');
      expect(await call(reader, 'message:read', { channelId: 'r-chan', seq: 4 })).toEqual({ ok: true, seq: 4 });
      expect(await first).toEqual({ channelId: 'r-chan', userId: 'r-reader', seq: 4 });
      expect(await call(reader, 'message:read', { channelId: 'r-chan', seq: 2 })).toEqual({ ok: true, seq: 4 });
      expect(await call(reader, 'message:read', { channelId: 'r-chan', seq: 4 })).toEqual({ ok: true, seq: 4 });
      const second = next(other, 'message:read');
      expect(await call(reader, 'message:read', { channelId: 'r-chan', seq: 5 })).toEqual({ ok: true, seq: 5 });
      expect(await second).toMatchObject({ seq: 5 });
      expect(receipts.map((r) => r.seq)).toEqual([4, 5]);

      const secondTab = await user('r-reader');
      expect(await call(secondTab, 'channel:join', { channelId: 'r-chan' })).toMatchObject({ ok: true, readSeq: 5 });
      expect(await call(other, 'channel:join', { channelId: 'r-chan' })).toMatchObject({ ok: true, readSeq: 0 });
    });

    it('should refuse receipts before joining, beyond the last seq, and malformed', async () => {
      const s = await user('r-bad');
      expect(await call(s, 'message:read', { channelId: 'r-none', seq: 1 })).toMatchObject({ ok: false, error: { code: 'CHANNEL_ERROR' } });
      await call(s, 'channel:join', { channelId: 'r-empty' });
      expect(await call(s, 'message:read', { channelId: 'r-empty', seq: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      for (const bad of [{ channelId: 'r-empty' }, { channelId: 'r-empty', seq: -1 }, { channelId: 'r-empty', seq: 1.5 }, { channelId: 'r-empty', seq: '3' }, { channelId: 'r-empty', seq: 0, x: 1 }]) {
        expect(await call(s, 'message:read', bad)).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
      }
    });
  });
});
