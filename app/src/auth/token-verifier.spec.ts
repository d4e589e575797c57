import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
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

describe('TokenVerifier (HS256 checked with node:crypto, claims by jose, verified claims cached)', () => {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const verifier = new TokenVerifier(loadConfig({ JWT_SECRET: SECRET, JWT_CLOCK_TOLERANCE_SEC: '5', JWT_MAX_TOKEN_AGE_SEC: '3600' }), { now: () => now });
  const key = new TextEncoder().encode(SECRET);
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256' }) => new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
  const sec = () => Math.floor(now / 1000);
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  /** Signs any header and payload segment as-is (jose's signer refuses the odd ones). */
  const raw = (h: string, p: string) => `${h}.${p}.${createHmac('sha256', key).update(`${h}.${p}`).digest('base64url')}`;

  it('should accept a good token and refuse it once expired or older than the age ceiling', async () => {
    const token = await sign({ sub: 'ann', iat: sec(), exp: sec() + 60 });
    expect(await verifier.verify(token)).toMatchObject({ userId: 'ann' });
    now += 66_000;
    await expect(verifier.verify(token)).rejects.toMatchObject({ reason: 'expired' });
    const long = await sign({ sub: 'bob', iat: sec(), exp: sec() + 86_400 });
    expect(await verifier.verify(long)).toMatchObject({ userId: 'bob' });
    now += 3_606_000;
    // jose reports an iat past the age ceiling as expiry, as it did before the node:crypto check.
    await expect(verifier.verify(long)).rejects.toMatchObject({ reason: 'expired' });
  });

  it('should cache a verified token under its SHA-256, share its frozen claims, and not let a tampered copy of it through', async () => {
    const token = await sign({ sub: 'cat', iat: sec(), exp: sec() + 600 });
    const before = verifier.cache.size;
    const first = await verifier.verify(token);
    expect(verifier.cache.size).toBe(before + 1);
    const stored = verifier.cache.keys().at(-1)!;
    expect(stored).toBe(createHash('sha256').update(token).digest('base64url'));
    expect(verifier.cache.keys().some((k) => token.includes(k) || k.includes(token.split('.')[2]))).toBe(false);
    // Shared by every socket of the token, so nobody may change it.
    expect(() => first.channels.push('mutated')).toThrow(TypeError);
    expect(() => { first.userId = 'mallory'; }).toThrow(TypeError);
    expect(await verifier.verify(token)).toBe(first);
    expect(first).toMatchObject({ userId: 'cat', channels: [] });
    expect(verifier.cache.size).toBe(before + 1);
    const flipped = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}${token.slice(-1)}`;
    await expect(verifier.verify(flipped)).rejects.toMatchObject({ reason: 'invalid_token' });
  });

  it.each([
    ['a flipped signature bit', async () => { const t = await sign({ sub: 'eve', iat: sec(), exp: sec() + 60 }); return `${t.slice(0, -2)}${t.endsWith('A') ? 'B' : 'A'}${t.slice(-1)}`; }],
    ['a non-canonical last signature character (same bytes)', async () => {
      const t = await sign({ sub: 'eve', iat: sec(), exp: sec() + 60 });
      const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(t.slice(-1));
      return `${t.slice(0, -1)}${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[last ^ 1]}`;
    }],
    ['a padded signature', async () => `${await sign({ sub: 'eve', iat: sec(), exp: sec() + 60 })}=`],
    ['alg none', async () => `${b64({ alg: 'none' })}.${b64({ sub: 'eve', iat: sec(), exp: sec() + 60 })}.`],
    ['alg HS512', async () => sign({ sub: 'eve', iat: sec(), exp: sec() + 60 }, { alg: 'HS512' })],
    ['a crit header', async () => raw(b64({ alg: 'HS256', crit: ['x'], x: 1 }), b64({ sub: 'eve', iat: sec(), exp: sec() + 60 }))],
    ['an unencoded payload (b64: false)', async () => raw(b64({ alg: 'HS256', b64: false, crit: ['b64'] }), b64({ sub: 'eve', iat: sec(), exp: sec() + 60 }))],
    ['a payload that is not JSON', async () => raw(b64({ alg: 'HS256' }), Buffer.from('not json').toString('base64url'))],
    ['two segments', async () => (await sign({ sub: 'eve', iat: sec(), exp: sec() + 60 })).split('.').slice(0, 2).join('.')],
    ['a header that is an array', async () => raw(Buffer.from('["HS256"]').toString('base64url'), b64({ sub: 'eve', iat: sec(), exp: sec() + 60 }))],
    ['a payload that is a JSON array', async () => raw(b64({ alg: 'HS256' }), Buffer.from('[1]').toString('base64url'))],
  ])('should refuse %s as invalid_token', async (_what, make) => {
    await expect(verifier.verify(await make())).rejects.toMatchObject({ reason: 'invalid_token' });
  });
});

describe('TokenVerifier in JWKS mode (claims cached by token)', () => {
  let server: Server;
  let now = Date.parse('2026-12-01T00:00:00Z');
  let keys: JWK[] = [];
  let fetches = 0;
  let verifier: TokenVerifier;
  let privateKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    keys = [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }];
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    verifier = new TokenVerifier(loadConfig({ JWT_SECRET: '', JWT_JWKS_URL: url, JWT_CLOCK_TOLERANCE_SEC: '5' }), { now: () => now });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const sec = () => Math.floor(now / 1000);

  // That a cached token skips the signature check is shown by jwks-tokens.spec (a token seen
  // before a key rotation is still admitted); here: a hit never outlives the token's own time.
  it('should re-run the time checks on a cached token: refused once it expires', async () => {
    const token = await new SignJWT({ sub: 'jo' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuedAt(sec()).setExpirationTime(sec() + 120).sign(privateKey);
    expect(await verifier.verify(token)).toMatchObject({ userId: 'jo' });
    now += 60_000;
    expect(await verifier.verify(token)).toMatchObject({ userId: 'jo' });
    now += 66_000;
    await expect(verifier.verify(token)).rejects.toMatchObject({ reason: 'expired' });
    expect(fetches).toBe(1);
  });

  it('should apply the same lifetime rules as HS256: exp and iat required, iat not in the future, age ceiling also on a cached token', async () => {
    const es = (claims: { iat?: number; exp?: number }) => {
      const jwt = new SignJWT({ sub: 'kay' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' });
      if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
      if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
      return jwt.sign(privateKey);
    };
    await expect(verifier.verify(await es({ iat: sec() }))).rejects.toMatchObject({ reason: 'invalid_token' });
    await expect(verifier.verify(await es({ exp: sec() + 600 }))).rejects.toBeInstanceOf(TokenRejected);
    await expect(verifier.verify(await es({ iat: sec() + 60, exp: sec() + 600 }))).rejects.toMatchObject({ reason: 'invalid_token' });
    // 10 s short of the one-day ceiling: verified and cached; 20 s later the cache hit is too old.
    const long = await es({ iat: sec() - 86_400 + 10, exp: sec() + 10 * 86_400 });
    expect(await verifier.verify(long)).toMatchObject({ userId: 'kay' });
    now += 20_000;
    await expect(verifier.verify(long)).rejects.toMatchObject({ reason: 'expired' });
  });
});
