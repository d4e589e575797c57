import { io } from 'socket.io-client';
import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { closeAll, connect, connectRefused, until, type TestSocket } from '../support/clients';
import { signToken } from '../support/tokens';

const API_KEY = 'revocation-api-key-0123456789abcdef';

/** Revocation and run-time blocks must reach every instance, not only the one that took the API call. */
describe('revocation and blocks across two gateway processes on one Redis', () => {
  let redis: RedisServer;
  let a: GatewayChild;
  let b: GatewayChild;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, API_KEYS: API_KEY, RATE_LIMIT_CONNECT_PER_IP: '100000' };
    [a, b] = await Promise.all([GatewayChild.start({ ...env, INSTANCE_ID: 'sec-a' }), GatewayChild.start({ ...env, INSTANCE_ID: 'sec-b' })]);
  }, 60_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  const api = (gw: GatewayChild, method: string, path: string, body?: unknown) =>
    fetch(`${gw.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(async (r) => ({ status: r.status, body: await r.json() }));

  /** Resolves with the ms from `since` until every socket is disconnected by the server. */
  const allCut = (sockets: TestSocket[], since: () => number) =>
    Promise.all(sockets.map((s) => new Promise<number>((resolve) => s.once('disconnect', () => resolve(Date.now() - since()))))).then((t) => Math.max(...t));

  it('should cut a revoked jti on every instance within 1 s and keep the user\u2019s other tokens', async () => {
    const leaked = await signToken({ sub: 'leaky', jti: 'leaked-jti-1' });
    const victims = [await connect(a.url, leaked), await connect(a.url, leaked), await connect(b.url, leaked), await connect(b.url, leaked)];
    expect(new Set(victims.map((s) => s.ready.instanceId))).toEqual(new Set(['sec-a', 'sec-b']));
    const bystanders = [await connect(a.url, await signToken({ sub: 'leaky', jti: 'fine-jti-1' })), await connect(b.url, await signToken({ sub: 'leaky', jti: 'fine-jti-2' }))];
    let t0 = 0;
    const cut = allCut(victims, () => t0);
    t0 = Date.now();
    const res = await api(a, 'POST', '/tokens/revoke', { jti: 'leaked-jti-1' });
    expect(res).toEqual({ status: 200, body: { ok: true, revoked: true, disconnected: 4 } });
    const ms = await cut;
    // eslint-disable-next-line no-console
    console.log(`revocation: jti cut on both instances ${ms} ms after the API call`);
    expect(ms).toBeLessThan(1000);
    expect(bystanders.every((s) => s.connected)).toBe(true);
    for (const gw of [a, b]) expect((await connectRefused(gw.url, leaked)).data).toMatchObject({ code: 'AUTH_FAILED', message: 'token revoked' });
  });

  it('should cut every token of a revoked user on every instance within 1 s, whichever instance took the call', async () => {
    const sockets = [
      await connect(a.url, await signToken({ sub: 'fired', jti: 'f-1' })),
      await connect(b.url, await signToken({ sub: 'fired', jti: 'f-2' })),
      await connect(b.url, await signToken({ sub: 'fired' })),
    ];
    const other = await connect(a.url, await signToken({ sub: 'colleague' }));
    let t0 = 0;
    const cut = allCut(sockets, () => t0);
    t0 = Date.now();
    expect((await api(b, 'POST', '/tokens/revoke', { userId: 'fired' })).body).toEqual({ ok: true, revoked: true, disconnected: 3 });
    const ms = await cut;
    // eslint-disable-next-line no-console
    console.log(`revocation: user cut on both instances ${ms} ms after the API call`);
    expect(ms).toBeLessThan(1000);
    expect(other.connected).toBe(true);
    for (const gw of [a, b]) expect((await connectRefused(gw.url, await signToken({ sub: 'fired', iatSec: Math.floor(Date.now() / 1000) - 5 }))).message).toBe('AUTH_FAILED');
  });

  it('should apply a run-time IP block on every instance within 1 s, for real source addresses', async () => {
    const token = await signToken({ sub: 'addr-user' });
    const fromAddr = (url: string, localAddress: string) => new Promise<string>((resolve) => {
      const s = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, localAddress } as never);
      s.once('connection:ready', () => { s.disconnect(); resolve('ok'); });
      s.once('connect_error', (e) => { s.disconnect(); resolve(e.message); });
    });
    expect(await fromAddr(b.url, '127.0.0.9')).toBe('ok');
    expect((await api(a, 'POST', '/ip-blocks', { cidr: '127.0.0.9/32', ttlSeconds: 60 })).status).toBe(201);
    const t0 = Date.now();
    await until(async () => (await fromAddr(b.url, '127.0.0.9')) === 'FORBIDDEN', 3000, 'block applied on the other instance');
    const ms = Date.now() - t0;
    // eslint-disable-next-line no-console
    console.log(`ip block: applied on the other instance after ${ms} ms`);
    // Instances re-read the block list at most 1 s old on a handshake; the margin absorbs a loaded machine.
    expect(ms).toBeLessThan(1500);
    expect(await fromAddr(a.url, '127.0.0.9')).toBe('FORBIDDEN');
    expect(await fromAddr(b.url, '127.0.0.10')).toBe('ok');
    expect((await api(b, 'DELETE', '/ip-blocks/127.0.0.9%2F32')).body).toEqual({ ok: true, removed: true });
    await until(async () => (await fromAddr(a.url, '127.0.0.9')) === 'ok', 3000, 'unblock applied');
  });
});
