import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect, next } from '../support/clients';
import { signToken } from '../support/tokens';

describe('gateway core (smoke)', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => { gw = await startTestGateway(); });
  afterEach(() => closeAll());
  afterAll(async () => { await gw.close(); });

  it('should connect, join, send and receive', async () => {
    const a = await connect(gw.url, await signToken({ sub: 'alice' }));
    const b = await connect(gw.url, await signToken({ sub: 'bob' }));
    expect(a.ready.userId).toBe('alice');
    const ja = await call(a, 'channel:join', { channelId: 'general' });
    expect(ja.ok).toBe(true);
    const joined = next(a, 'channel:member_joined');
    const jb = await call(b, 'channel:join', { channelId: 'general' });
    expect(jb.members.sort()).toEqual(['alice', 'bob']);
    expect((await joined).userId).toBe('bob');
    const got = next(b, 'message:new');
    const ack = await call(a, 'message:send', { channelId: 'general', content: 'hi', clientMsgId: 'abcdefgh1' });
    expect(ack).toMatchObject({ ok: true, seq: 1 });
    expect(await got).toMatchObject({ content: 'hi', seq: 1, userId: 'alice' });
    const bad = await call(a, 'message:send', { channelId: 'general', content: '' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });
});
