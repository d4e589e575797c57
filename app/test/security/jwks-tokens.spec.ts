import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK, type CryptoKey } from 'jose';
import { startTestGateway } from '../support/gateway';
import { closeAll, connect, connectRefused } from '../support/clients';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
interface Key { kid: string; alg: 'RS256' | 'ES256'; privateKey: CryptoKey; publicKey: CryptoKey; jwk: JWK }

async function makeKey(kid: string, alg: Key['alg']): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A tiny identity provider: serves the current key set and counts how often the gateway fetches it. */
class JwksServer {
  keys: Key[] = [];
  fetches = 0;
  private constructor(private readonly server: Server, readonly url: string) {}
  static async start(): Promise<JwksServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwks = new JwksServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
    server.on('request', (_req, res) => {
      jwks.fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks.keys.map((k) => k.jwk) }));
    });
    return jwks;
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const sign = (key: Pick<Key, 'alg' | 'privateKey'> & { kid?: string }, sub = 'jwks-user') =>
  new SignJWT({ roles: ['member'], channels: ['*'] })
    .setProtectedHeader({ alg: key.alg, ...(key.kid ? { kid: key.kid } : {}) })
    .setSubject(sub)
    .setAudience('chat')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(key.privateKey);

/** Tokens verified against a JWKS URL (RS256/ES256), the key-confusion attacks on that mode, and key rotation. */
describe('JWKS mode (JWT_JWKS_URL)', () => {
  let idp: JwksServer;
  let gw: Gw;
  let rsa: Key;
  let ec: Key;
  beforeAll(async () => {
    idp = await JwksServer.start();
    [rsa, ec] = await Promise.all([makeKey('rsa-1', 'RS256'), makeKey('ec-1', 'ES256')]);
    idp.keys = [rsa, ec];
    gw = await startTestGateway({ JWT_SECRET: '', JWT_JWKS_URL: idp.url, JWT_AUDIENCE: 'chat', RATE_LIMIT_CONNECT_PER_IP: '1000' });
  });
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw?.close();
    await idp?.close();
  });

  it('should accept RS256 and ES256 tokens signed by keys of the key set', async () => {
    expect((await connect(gw.url, await sign(rsa, 'rsa-user'))).ready.userId).toBe('rsa-user');
    expect((await connect(gw.url, await sign(ec, 'ec-user'))).ready.userId).toBe('ec-user');
  });

  it.each([
    // The classic confusion: the public key (public knowledge) used as an HMAC secret.
    ['HS256 signed with the RSA public key as PEM', async () => new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).setSubject('mallory').setAudience('chat').setExpirationTime('10m').sign(new TextEncoder().encode(await exportSPKI(rsa.publicKey)))],
    ['HS256 signed with the public JWK JSON', async () => new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'HS256', kid: 'ec-1' }).setSubject('mallory').setAudience('chat').setExpirationTime('10m').sign(new TextEncoder().encode(JSON.stringify(ec.jwk)))],
    ['RS256 with a known kid but signed by an attacker key', async () => sign({ ...(await makeKey('rsa-1', 'RS256')), kid: 'rsa-1' }, 'mallory')],
    ['ES256 header on the RSA kid', async () => sign({ alg: 'ES256', kid: 'rsa-1', privateKey: (await makeKey('x', 'ES256')).privateKey }, 'mallory')],
    ['an unknown kid', async () => sign(await makeKey('ghost', 'RS256'), 'mallory')],
    ['no kid, signed by an attacker key', async () => sign({ alg: 'RS256', privateKey: (await makeKey('x', 'RS256')).privateKey }, 'mallory')],
    ['alg none', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'none', kid: 'rsa-1' })}.${b64({ sub: 'mallory', aud: 'chat', exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    }],
    ['a valid RS256 token for another audience', async () => new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setSubject('mallory').setAudience('other').setExpirationTime('10m').sign(rsa.privateKey)],
    ['an expired RS256 token', async () => new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setSubject('mallory').setAudience('chat').setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(rsa.privateKey)],
  ])('should refuse %s with AUTH_FAILED', async (_what, make) => {
    const err = await connectRefused(gw.url, await make());
    expect(err.data).toEqual({ code: 'AUTH_FAILED', message: expect.any(String) });
  });

  it('should not let a flood of unknown kids hammer the key set endpoint', async () => {
    const before = idp.fetches;
    const ghost = await makeKey('ghost-flood', 'RS256');
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => sign({ ...ghost, kid: `ghost-${i}` }, 'flood')));
    for (const t of tokens) await connectRefused(gw.url, t);
    // jose re-fetches for an unknown kid at most once per 30 s cooldown.
    expect(idp.fetches - before).toBeLessThanOrEqual(1);
  });

  it('should follow a key rotation: the new kid accepted and the retired key refused once the gateway re-fetches', async () => {
    const seenBefore = await sign(rsa, 'seen-before');
    expect((await connect(gw.url, seenBefore)).ready.userId).toBe('seen-before');
    const next = await makeKey('rsa-2', 'RS256');
    idp.keys = [next, ec];
    const rotatedAt = Date.now();
    // The gateway re-fetches on an unknown kid, but at most once per 30 s (jose's cooldown):
    // retry like a client with backoff would, bounded at 45 s.
    let acceptedAfterMs = -1;
    while (Date.now() - rotatedAt < 45_000) {
      try {
        await connect(gw.url, await sign(next, 'rotated'));
        acceptedAfterMs = Date.now() - rotatedAt;
        break;
      } catch (err) {
        expect((err as { data?: { code: string } }).data?.code).toBe('AUTH_FAILED');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    // eslint-disable-next-line no-console
    console.log(`jwks: rotated key accepted ${acceptedAfterMs} ms after rotation`);
    expect(acceptedAfterMs).toBeGreaterThanOrEqual(0);
    expect(acceptedAfterMs).toBeLessThan(35_000);
    // The re-fetched set no longer holds rsa-1: its tokens are refused from now on, except one the
    // gateway verified before the rotation, whose claims stay cached for up to 5 minutes (README).
    expect((await connectRefused(gw.url, await sign(rsa, 'old-key'))).data).toMatchObject({ code: 'AUTH_FAILED' });
    expect((await connect(gw.url, seenBefore)).ready.userId).toBe('seen-before');
    expect((await connect(gw.url, await sign(ec, 'kept-key'))).ready.userId).toBe('kept-key');
  }, 60_000);
});
