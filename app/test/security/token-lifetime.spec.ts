/**
 * Token lifetime and revocation that holds (issue 17, points 1 and 2), on both engines, with the
 * gateway's injectable clock moved forward to where marks used to be forgotten.
 */
import Redis from 'ioredis';
import { SignJWT } from 'jose';
import { loadConfig } from '../../src/config/config';
import { startGateway, type RunningGateway } from '../../src/bootstrap';
import { JsonLogger } from '../../src/common/logger';
import { RedisKeys } from '../../src/engine/redis/redis-keys';
import { RedisServer } from '../support/redis-server';
import { call, closeAll, connect, connectRefused, next } from '../support/clients';
import { signToken, TEST_SECRET } from '../support/tokens';

const API_KEY = 'token-lifetime-api-key-0123456789';
const DAY_MS = 86_400_000;

/** A token shaped by hand: `exp`/`iat` only when given (seconds since epoch). */
function rawToken(claims: { sub: string; jti?: string; exp?: number; iat?: number }): Promise<string> {
  const jwt = new SignJWT({ roles: ['member'], channels: ['*'] }).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub);
  if (claims.jti) jwt.setJti(claims.jti);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
  return jwt.sign(new TextEncoder().encode(TEST_SECRET));
}

const nowSec = () => Math.floor(Date.now() / 1000);

describe.each(['memory', 'redis'] as const)('token lifetime and revocation (%s engine)', (kind) => {
  let redis: RedisServer | undefined;
  let gw: RunningGateway | undefined;
  let offsetMs = 0;
  const clock = { now: () => Date.now() + offsetMs };

  beforeAll(async () => {
    if (kind === 'redis') redis = await RedisServer.start();
  }, 30_000);
  afterEach(async () => {
    closeAll();
    await gw?.close();
    gw = undefined;
    offsetMs = 0;
  });
  afterAll(async () => redis?.stop());

  async function start(env: Record<string, string> = {}): Promise<RunningGateway> {
    const config = loadConfig({
      JWT_SECRET: TEST_SECRET, PORT: '0', METRICS_PORT: '0', API_KEYS: API_KEY, RATE_LIMIT_CONNECT_PER_IP: '1000',
      // Each test gets its own keys on the shared Redis.
      ...(redis ? { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `tl${Math.random().toString(36).slice(2, 8)}` } : { ENGINE: 'memory' }),
      ...env,
    });
    gw = await startGateway(config, { logger: new JsonLogger('silent'), clock, defaultMetrics: false });
    return gw;
  }

  const api = (g: RunningGateway, path: string, body?: unknown) =>
    fetch(`${g.url}/api/v1${path}`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(async (r) => ({ status: r.status, body: await r.json() }));

  it('should keep a token revoked by jti with expiresAt = the JWT exp in seconds, and cut its socket', async () => {
    const g = await start();
    const exp = nowSec() + 3600;
    const token = await rawToken({ sub: 'ivy', jti: 'jti-exp-seconds', exp, iat: nowSec() });
    const s = await connect(g.url, token);
    const gone = new Promise((r) => s.once('disconnect', r));
    expect(await api(g, '/tokens/revoke', { jti: 'jti-exp-seconds', expiresAt: exp })).toEqual({ status: 200, body: { ok: true, revoked: true, disconnected: 1 } });
    await gone;
    expect((await connectRefused(g.url, token)).data).toMatchObject({ code: 'AUTH_FAILED', message: 'token revoked' });
  });

  it('should answer 400 for an expiresAt in the past or in milliseconds, and revoke nothing', async () => {
    const g = await start();
    const past = await api(g, '/tokens/revoke', { jti: 'j-past', expiresAt: nowSec() - 10 });
    expect(past).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining('past') } } });
    const millis = await api(g, '/tokens/revoke', { jti: 'j-ms', expiresAt: Date.now() + 3_600_000 });
    expect(millis).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining('seconds') } } });
    await connect(g.url, await rawToken({ sub: 'ivy', jti: 'j-past', exp: nowSec() + 600, iat: nowSec() }));
  });

  it('should keep a jti mark at least as long as a token can live, even when expiresAt is sooner', async () => {
    const g = await start({ JWT_MAX_TOKEN_AGE_SEC: '7200' });
    const token = await rawToken({ sub: 'ivy', jti: 'jti-short-claim', exp: nowSec() + 3600, iat: nowSec() });
    // The caller claims the token ends in 2 s; the token itself says one hour.
    expect((await api(g, '/tokens/revoke', { jti: 'jti-short-claim', expiresAt: nowSec() + 2 })).status).toBe(200);
    offsetMs = 30 * 60_000;
    expect((await api(g, '/maintenance/key-expiry')).status).toBe(200);
    if (kind === 'redis') {
      const client = new Redis(redis!.url);
      const ttl = await client.pttl(new RedisKeys(g.config.redisKeyPrefix).revokedJti('jti-short-claim'));
      client.disconnect();
      expect(ttl).toBeGreaterThan(7000 * 1000);
    }
    expect((await connectRefused(g.url, token)).data).toMatchObject({ code: 'AUTH_FAILED', message: 'token revoked' });
  });

  it('should refuse a token without exp by default, at handshake and on auth:refresh', async () => {
    const g = await start();
    const noExp = await rawToken({ sub: 'jay', iat: nowSec() });
    expect((await connectRefused(g.url, noExp)).data).toMatchObject({ code: 'AUTH_FAILED' });
    const s = await connect(g.url, await signToken({ sub: 'jay' }));
    expect(await call(s, 'auth:refresh', { token: noExp })).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
  });

  it('should refuse a token older than JWT_MAX_TOKEN_AGE_SEC whatever its exp, and one without iat', async () => {
    const g = await start({ JWT_MAX_TOKEN_AGE_SEC: '3600' });
    const old = await rawToken({ sub: 'kim', exp: nowSec() + 30 * 86400, iat: nowSec() - 7200 });
    expect((await connectRefused(g.url, old)).data).toMatchObject({ code: 'AUTH_FAILED' });
    expect((await connectRefused(g.url, await rawToken({ sub: 'kim', exp: nowSec() + 600 }))).data).toMatchObject({ code: 'AUTH_FAILED' });
    await connect(g.url, await rawToken({ sub: 'kim', exp: nowSec() + 600, iat: nowSec() - 60 }));
  });

  it('should refuse a token whose iat lies in the future beyond the clock tolerance', async () => {
    const g = await start({ JWT_CLOCK_TOLERANCE_SEC: '5' });
    expect((await connectRefused(g.url, await rawToken({ sub: 'lee', exp: nowSec() + 3600, iat: nowSec() + 120 }))).data).toMatchObject({ code: 'AUTH_FAILED' });
    await connect(g.url, await rawToken({ sub: 'lee', exp: nowSec() + 3600, iat: nowSec() + 2 }));
  });

  it('should end a live connection JWT_MAX_TOKEN_AGE_SEC after its token\u2019s iat, even when exp is later or missing', async () => {
    const g = await start({ JWT_REQUIRE_EXP: 'false', JWT_MAX_TOKEN_AGE_SEC: '60' });
    // Issued 56 s ago: accepted now, too old for a handshake 4 s from now, so the connection ends then.
    const iat = nowSec() - 56;
    const sockets = await Promise.all([nowSec() + 3600, undefined].map(async (exp) => connect(g.url, await rawToken({ sub: 'pat', iat, exp }))));
    const ended = await Promise.all(sockets.map((s) => next(s, 'auth:expired', () => true, 15_000)));
    expect(ended).toEqual([{ reason: expect.any(String) }, { reason: expect.any(String) }]);
    // auth:refresh answers the same end, not the token's later (or missing) exp.
    const s = await connect(g.url, await signToken({ sub: 'pat' }));
    const refreshed = await call(s, 'auth:refresh', { token: await rawToken({ sub: 'pat', iat: nowSec() - 30 }) });
    expect(refreshed).toMatchObject({ ok: true, expiresAt: expect.any(Number) });
    expect(Math.abs(refreshed.expiresAt - ((nowSec() - 30) * 1000 + 60_000))).toBeLessThan(2000);
  });

  it('should never forget a revoked jti when tokens without exp are allowed (JWT_REQUIRE_EXP=false)', async () => {
    const g = await start({ JWT_REQUIRE_EXP: 'false', JWT_MAX_TOKEN_AGE_SEC: String(360 * 86400) });
    const token = await rawToken({ sub: 'max', jti: 'forever-jti', iat: nowSec() });
    await connect(g.url, token);
    expect((await api(g, '/tokens/revoke', { jti: 'forever-jti' })).status).toBe(200);
    offsetMs = 8 * DAY_MS;
    expect((await api(g, '/maintenance/key-expiry')).status).toBe(200);
    if (kind === 'redis') {
      const client = new Redis(redis!.url);
      const ttl = await client.pttl(new RedisKeys(g.config.redisKeyPrefix).revokedJti('forever-jti'));
      client.disconnect();
      expect(ttl).toBe(-1);
    }
    expect((await connectRefused(g.url, token)).data).toMatchObject({ code: 'AUTH_FAILED', message: 'token revoked' });
  });

  it('should never forget a user revocation when tokens without exp are allowed', async () => {
    const g = await start({ JWT_REQUIRE_EXP: 'false', JWT_MAX_TOKEN_AGE_SEC: String(360 * 86400) });
    const token = await rawToken({ sub: 'ned', iat: nowSec() - 1 });
    expect((await api(g, '/tokens/revoke', { userId: 'ned' })).status).toBe(200);
    offsetMs = 31 * DAY_MS;
    expect((await api(g, '/maintenance/key-expiry')).status).toBe(200);
    expect((await connectRefused(g.url, token)).data).toMatchObject({ code: 'AUTH_FAILED', message: 'token revoked' });
  });

  it('should keep a user revocation at least JWT_MAX_TOKEN_AGE_SEC even with a shorter REVOCATION_RETENTION_DAYS', async () => {
    const g = await start({ JWT_MAX_TOKEN_AGE_SEC: String(10 * 86400), REVOCATION_RETENTION_DAYS: '1' });
    const token = await rawToken({ sub: 'ola', iat: nowSec() - 1, exp: nowSec() + 20 * 86400 });
    expect((await api(g, '/tokens/revoke', { userId: 'ola' })).status).toBe(200);
    offsetMs = 3 * DAY_MS;
    expect((await api(g, '/maintenance/key-expiry')).status).toBe(200);
    expect((await connectRefused(g.url, token)).data).toMatchObject({ code: 'AUTH_FAILED', message: 'token revoked' });
  });
});
