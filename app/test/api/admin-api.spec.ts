import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect, connectRefused, next, until } from '../support/clients';
import { signToken } from '../support/tokens';

const KEY = 'test-api-key-0123456789abcdef';

describe('server HTTP API', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => { gw = await startTestGateway({ API_KEYS: `other-key-0123456789abcd,${KEY}`, RATE_LIMIT_CONNECT_PER_IP: '1000' }); });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  const api = (method: string, path: string, body?: unknown, key: string | null = KEY) =>
    fetch(`${gw.url}/api/v1${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json() }));

  it.each([
    ['POST', '/channels/c1/messages', { content: 'x' }],
    ['POST', '/users/u1/disconnect', undefined],
    ['POST', '/tokens/revoke', { userId: 'u1' }],
    ['GET', '/ip-blocks', undefined],
    ['POST', '/ip-blocks', { cidr: '192.0.2.0/24' }],
    ['DELETE', '/ip-blocks/192.0.2.0%2F24', undefined],
    ['GET', '/stats', undefined],
    ['POST', '/maintenance/none', undefined],
    ['POST', '/connections/reset', { dryRun: true }],
  ])('%s %s should answer 401 without a key and 403 with a wrong one', async (method, path, body) => {
    expect(await api(method, path, body, null)).toEqual({ status: 401, body: { ok: false, error: { code: 'AUTH_FAILED', message: expect.any(String) } } });
    expect(await api(method, path, body, 'wrong-key-0123456789abcdef')).toEqual({ status: 403, body: { ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } } });
  });

  it('should publish into a channel with the same seq and history as socket sends', async () => {
    const s = await connect(gw.url, await signToken({ sub: 'listener' }));
    await call(s, 'channel:join', { channelId: 'api-pub' });
    await call(s, 'message:send', { channelId: 'api-pub', content: 'from socket', clientMsgId: 'api-pub-sock-1' });
    const got = next(s, 'message:new', (m: { userId: string }) => m.userId === 'backend');
    const res = await api('POST', '/channels/api-pub/messages', { content: 'from backend', userId: 'backend', clientMsgId: 'api-pub-http-1' });
    expect(res).toEqual({ status: 201, body: { ok: true, messageId: expect.any(String), seq: 2, createdAt: expect.any(String) } });
    expect(await got).toMatchObject({ seq: 2, content: 'from backend' });
    const again = await api('POST', '/channels/api-pub/messages', { content: 'from backend', userId: 'backend', clientMsgId: 'api-pub-http-1' });
    expect(again.body).toMatchObject({ seq: 2, duplicate: true });
    const hist = await call(s, 'message:history', { channelId: 'api-pub' });
    expect(hist.messages.map((m: { content: string }) => m.content)).toEqual(['from socket', 'from backend']);
  });

  it.each([
    ['/channels/c1/messages', { content: '' }],
    ['/channels/c1/messages', { content: 'x', extra: 1 }],
    ['/channels/bad%20id/messages', { content: 'x' }],
    ['/channels/c1/messages', '{not json'],
    ['/tokens/revoke', {}],
    ['/tokens/revoke', { jti: 'a', userId: 'b' }],
    ['/ip-blocks', { cidr: '300.1.1.1' }],
    ['/ip-blocks', { cidr: '10.0.0.0/8', ttlSeconds: -1 }],
    ['/connections/reset', { windowSeconds: 'soon' }],
  ])('POST %s with a bad body %p should answer 400 in the ack error shape', async (path, body) => {
    const res = await api('POST', path, body);
    expect(res).toEqual({ status: 400, body: { ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.any(String) } } });
  });

  it('should disconnect every socket of a user and report how many', async () => {
    const a = await connect(gw.url, await signToken({ sub: 'kicked' }));
    const b = await connect(gw.url, await signToken({ sub: 'kicked' }));
    const gone = Promise.all([a, b].map((s) => new Promise((r) => s.once('disconnect', r))));
    expect(await api('POST', '/users/kicked/disconnect')).toEqual({ status: 200, body: { ok: true, disconnected: 2 } });
    await gone;
  });

  it('should revoke a jti: live sockets cut, new handshakes refused; and all tokens of a user', async () => {
    const s = await connect(gw.url, await signToken({ sub: 'rev', jti: 'leaked-1' }));
    const other = await connect(gw.url, await signToken({ sub: 'rev', jti: 'fine-1' }));
    const gone = new Promise((r) => s.once('disconnect', r));
    expect(await api('POST', '/tokens/revoke', { jti: 'leaked-1' })).toEqual({ status: 200, body: { ok: true, revoked: true, disconnected: 1 } });
    await gone;
    expect(other.connected).toBe(true);
    expect((await connectRefused(gw.url, await signToken({ sub: 'rev', jti: 'leaked-1' }))).message).toBe('AUTH_FAILED');
    const otherGone = new Promise((r) => other.once('disconnect', r));
    expect((await api('POST', '/tokens/revoke', { userId: 'rev' })).body).toMatchObject({ ok: true, disconnected: 1 });
    await otherGone;
    expect((await connectRefused(gw.url, await signToken({ sub: 'rev', jti: 'fine-2' }))).message).toBe('AUTH_FAILED');
  });

  it('should block and unblock addresses at run time', async () => {
    const token = await signToken({ sub: 'blocked-user' });
    expect((await api('POST', '/ip-blocks', { cidr: '127.0.0.0/8', ttlSeconds: 60 })).status).toBe(201);
    expect((await api('GET', '/ip-blocks')).body.blocks).toEqual([{ cidr: '127.0.0.0/8', expiresAt: expect.any(Number) }]);
    expect((await connectRefused(gw.url, token)).message).toBe('FORBIDDEN');
    expect(await api('DELETE', '/ip-blocks/127.0.0.0%2F8')).toEqual({ status: 200, body: { ok: true, removed: true } });
    await connect(gw.url, token);
    expect((await api('DELETE', '/ip-blocks/127.0.0.0%2F8')).body).toEqual({ ok: true, removed: false });
  });

  it('should report per-instance stats', async () => {
    await connect(gw.url, await signToken({ sub: 'counted' }));
    const res = await api('GET', '/stats');
    expect(res.status).toBe(200);
    expect(res.body.instances).toEqual([expect.objectContaining({ instanceId: gw.config.instanceId, connections: 1, rooms: expect.any(Number), uptimeSec: expect.any(Number), version: expect.any(String) })]);
    expect(res.body.totals).toEqual({ instances: 1, connections: 1 });
  });

  it('should reset connections gradually, and only count them on a dry run', async () => {
    const sockets = await Promise.all([1, 2, 3].map(async () => connect(gw.url, await signToken({ sub: 'reset-me' }))));
    expect((await api('POST', '/connections/reset', { dryRun: true, windowSeconds: 1 })).body).toEqual({ ok: true, dryRun: true, instances: 1, connections: 3, windowMs: 1000 });
    expect(sockets.every((s) => s.connected)).toBe(true);
    const notices = sockets.map((s) => next(s, 'server:draining'));
    expect((await api('POST', '/connections/reset', { windowSeconds: 1 })).status).toBe(202);
    await Promise.all(notices);
    await until(() => sockets.every((s) => !s.connected), 3000, 'all disconnected');
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
  });

  it('should list maintenance jobs and answer 404 for an unknown one', async () => {
    expect((await api('GET', '/maintenance')).body.jobs).toEqual(expect.arrayContaining(['history-trim', 'key-expiry', 'orphan-cleanup']));
    expect(await api('POST', '/maintenance/key-expiry')).toEqual({ status: 200, body: { ok: true, run: { job: 'key-expiry', result: 'success', details: { removed: expect.any(Number) } } } });
    expect(await api('POST', '/maintenance/no-such-job')).toEqual({ status: 404, body: { ok: false, error: { code: 'NOT_FOUND', message: expect.stringContaining('no-such-job') } } });
  });

  it('should answer unknown API paths with 404 in the same shape', async () => {
    expect(await api('GET', '/nope')).toEqual({ status: 404, body: { ok: false, error: { code: 'NOT_FOUND', message: expect.any(String) } } });
  });
});
