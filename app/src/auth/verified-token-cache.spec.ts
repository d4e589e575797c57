import { SignJWT } from 'jose';
import { loadConfig } from '../config/config';
import { TokenRejected, TokenVerifier } from './token-verifier';
import { VerifiedTokenCache } from './verified-token-cache';

const SECRET = 'a-test-secret-of-at-least-thirty-two-characters';

describe('VerifiedTokenCache', () => {
  it('should forget an entry after its time and drop the oldest when full', () => {
    const cache = new VerifiedTokenCache(2, 1000);
    const user = (userId: string) => ({ userId, roles: [], channels: [], expiresAt: null, issuedAt: null });
    cache.set('t1', user('a'), 0);
    cache.set('t2', user('b'), 10);
    expect(cache.get('t1', 999)?.userId).toBe('a');
    expect(cache.get('t1', 1000)).toBeUndefined();
    cache.set('t3', user('c'), 20);
    cache.set('t4', user('d'), 20);
    expect(cache.size).toBe(2);
    expect(cache.get('t2', 20)).toBeUndefined();
    expect(cache.get('t4', 20)?.userId).toBe('d');
  });
});

describe('TokenVerifier with its cache', () => {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const verifier = new TokenVerifier(loadConfig({ JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SEC: '5', JWT_MAX_TOKEN_AGE_SEC: '3600' }), { now: () => now });
  const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
  const sec = () => Math.floor(now / 1000);

  it('should answer a repeated token from the cache yet still refuse it once expired or too old', async () => {
    const token = await sign({ sub: 'ann', iat: sec(), exp: sec() + 60 });
    expect(await verifier.verify(token)).toMatchObject({ userId: 'ann' });
    expect(await verifier.verify(token)).toMatchObject({ userId: 'ann' });
    now += 66_000;
    await expect(verifier.verify(token)).rejects.toMatchObject({ reason: 'expired' });

    const long = await sign({ sub: 'bob', iat: sec(), exp: sec() + 86_400 });
    expect(await verifier.verify(long)).toMatchObject({ userId: 'bob' });
    now += 3_606_000;
    await expect(verifier.verify(long)).rejects.toBeInstanceOf(TokenRejected);
  });

  it('should never cache a refusal: a bad signature is refused every time', async () => {
    const forged = `${(await sign({ sub: 'eve', iat: sec(), exp: sec() + 60 })).slice(0, -4)}AAAA`;
    await expect(verifier.verify(forged)).rejects.toMatchObject({ reason: 'invalid_token' });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ reason: 'invalid_token' });
  });
});
