import { SignJWT } from 'jose';
import { loadConfig } from '../../src/config/config';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect, connectRefused, next } from '../support/clients';
import { signToken, TEST_SECRET, unsignedToken } from '../support/tokens';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;

describe('handshake authentication (one auth point)', () => {
  let gw: Gw;
  beforeAll(async () => {
    gw = await startTestGateway({ JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'chat', RATE_LIMIT_CONNECT_PER_IP: '1000' });
  });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  const good = (sub = 'alice', extra = {}) => signToken({ sub, iss: 'https://issuer.test', aud: 'chat', ...extra });

  it('should accept a valid token from handshake.auth and say connection:ready', async () => {
    const s = await connect(gw.url, await good());
    expect(s.ready).toMatchObject({ userId: 'alice', instanceId: gw.config.instanceId });
    expect(Date.parse(s.ready.serverTime)).not.toBeNaN();
  });

  it('should accept a token from an Authorization: Bearer header', async () => {
    const s = await connect(gw.url, undefined, { extraHeaders: { authorization: `Bearer ${await good('bob')}` } });
    expect(s.ready.userId).toBe('bob');
  });

  it.each([
    ['a missing token', async () => undefined],
    ['a garbage token', async () => 'not-a-jwt'],
    ['a token with a bad signature', async () => signToken({ sub: 'alice', iss: 'https://issuer.test', aud: 'chat' }, 'another-secret-that-is-long-enough-0123456789')],
    ['an expired token', async () => good('alice', { expiresInSec: -60 })],
    ['a token not yet valid', async () => good('alice', { notBeforeSec: 600 })],
    ['an alg: none token', async () => unsignedToken('alice')],
    ['a token from another issuer', async () => signToken({ sub: 'alice', iss: 'https://evil.test', aud: 'chat' })],
    ['a token for another audience', async () => signToken({ sub: 'alice', iss: 'https://issuer.test', aud: 'other' })],
    ['a token without sub', async () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://issuer.test').setAudience('chat').setExpirationTime('1h').sign(new TextEncoder().encode(TEST_SECRET))],
    ['an HS512 token (unexpected algorithm)', async () => new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject('alice').setIssuer('https://issuer.test').setAudience('chat').setExpirationTime('1h').sign(new TextEncoder().encode(TEST_SECRET))],
  ])('should refuse %s with AUTH_FAILED', async (_what, make) => {
    const err = await connectRefused(gw.url, await make());
    expect(err.message).toBe('AUTH_FAILED');
    expect(err.data).toMatchObject({ code: 'AUTH_FAILED' });
    expect(JSON.stringify(err.data)).not.toMatch(/stack|at \w+ \(/);
  });

  it('should refuse a revoked jti and every token of a user revoked before now', async () => {
    await gw.engine.revocations.revokeJti('jti-1', Date.now() + 3600_000, Date.now());
    expect((await connectRefused(gw.url, await good('carol', { jti: 'jti-1' }))).data).toMatchObject({ code: 'AUTH_FAILED', message: 'token revoked' });
    await connect(gw.url, await good('carol', { jti: 'jti-2' }));
    await gw.engine.revocations.revokeUser('dave', Date.now() + 1000);
    expect((await connectRefused(gw.url, await good('dave'))).data).toMatchObject({ code: 'AUTH_FAILED' });
  });

  it('should let auth:refresh swap in a token of the same user only', async () => {
    const s = await connect(gw.url, await good('erin'));
    const ok = await call(s, 'auth:refresh', { token: await good('erin', { expiresInSec: 7200 }) });
    expect(ok.ok).toBe(true);
    expect(ok.expiresAt).toBeGreaterThan(Date.now() + 3600_000);
    const other = await call(s, 'auth:refresh', { token: await good('mallory') });
    expect(other).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
    const expired = await call(s, 'auth:refresh', { token: await good('erin', { expiresInSec: -5 }) });
    expect(expired).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
  });

  it('should emit auth:expired and disconnect when the token runs out without refresh', async () => {
    const s = await connect(gw.url, await good('frank', { expiresInSec: 1 }));
    // Bounded generously: expiry is exp plus the clock tolerance, and CI shares two cores.
    const expired = next(s, 'auth:expired', () => true, 20_000);
    const gone = new Promise<string>((r) => s.once('disconnect', r));
    expect(await expired).toMatchObject({ reason: expect.any(String) });
    expect(await gone).toBe('io server disconnect');
  });
});

describe('handshake IP rules', () => {
  let gw: Gw;
  afterEach(async () => { closeAll(); await gw?.close(); });

  it('should refuse TRUST_PROXY=true at start, since it would trust the client-written leftmost entry', () => {
    expect(() => loadConfig({ JWT_SECRET: TEST_SECRET, TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY=true would trust every X-Forwarded-For hop/);
  });

  it('should refuse a blocked address with FORBIDDEN', async () => {
    gw = await startTestGateway({ IP_BLOCKLIST: '10.0.0.0/8,127.0.0.0/8' });
    const err = await connectRefused(gw.url, await signToken({ sub: 'alice' }));
    expect(err.message).toBe('FORBIDDEN');
  });

  it('should throttle a user reconnecting too often with RATE_LIMITED and retryAfterMs, not other users', async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_USER: '5' });
    const token = await signToken({ sub: 'alice' });
    for (let i = 0; i < 5; i++) await connect(gw.url, token);
    const err = await connectRefused(gw.url, token);
    expect(err.data).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
    expect(err.data!.retryAfterMs!).toBeGreaterThan(0);
    // Same address, another user: the per-user budget is not an address budget.
    await connect(gw.url, await signToken({ sub: 'bob' }));
  });

  it('should take the client address from the rightmost untrusted X-Forwarded-For entry behind TRUST_PROXY hops', async () => {
    // TRUST_PROXY=1: the test client plays the one trusted proxy; what it appends last is the client.
    gw = await startTestGateway({ IP_BLOCKLIST: '203.0.113.0/24', TRUST_PROXY: '1' });
    const token = await signToken({ sub: 'alice' });
    expect((await connectRefused(gw.url, token, { extraHeaders: { 'x-forwarded-for': '203.0.113.9' } })).message).toBe('FORBIDDEN');
    // The reported bypass: a client-written entry left of the real (blocked) address.
    expect((await connectRefused(gw.url, token, { extraHeaders: { 'x-forwarded-for': '192.0.2.1, 203.0.113.9' } })).message).toBe('FORBIDDEN');
    await connect(gw.url, token, { extraHeaders: { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' } });
  });
});
