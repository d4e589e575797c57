/**
 * Security properties not already covered elsewhere. Already covered (not repeated here):
 * forged/expired/`alg: none`/wrong-issuer/wrong-audience/HS512 tokens and the IP blocklist
 * with X-Forwarded-For (app/test/e2e/auth.spec.ts); a channel outside the grants on join
 * (app/test/e2e/channels.spec.ts); editing/deleting another member's message on one instance
 * (app/test/e2e/messages.spec.ts); the server API without or with a wrong key on most endpoints
 * (app/test/api/admin-api.spec.ts); secrets in the in-process logs (app/test/observability/logs.spec.ts).
 * JWKS mode is in jwks-tokens.spec.ts, cross-instance revocation in revocation-instances.spec.ts,
 * secrets in a real process's output in secrets-in-output.spec.ts.
 */
import { generateKeyPair, SignJWT, exportSPKI } from 'jose';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startTestGateway } from '../support/gateway';
import { call, closeAll, collect, connect, connectRefused, type TestSocket } from '../support/clients';
import { signToken, TEST_SECRET } from '../support/tokens';

type Gw = Awaited<ReturnType<typeof startTestGateway>>;
const API_KEY = 'security-api-key-0123456789abcdef';
const ALLOWED_ORIGIN = 'https://app.example.com';

/** A socket.io-client bound to one loopback source address (127.0.0.x), so the gateway sees a real, distinct client IP. */
const fromAddress: TestSocket[] = [];
function connectFrom(url: string, localAddress: string, token: string, extraHeaders?: Record<string, string>): Promise<{ ok: true; socket: TestSocket } | { ok: false; error: Error & { data?: any } }> {
  const socket: TestSocket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 5000, extraHeaders, localAddress } as never);
  fromAddress.push(socket);
  return new Promise((resolve) => {
    socket.once('connection:ready', () => resolve({ ok: true, socket }));
    socket.once('connect_error', (error) => resolve({ ok: false, error }));
  });
}

/** A WebSocket upgrade with a browser's Origin header; resolves with the HTTP status of a refusal or 101. */
function wsUpgradeStatus(url: string, origin: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers: { Origin: origin } });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate(); });
    ws.once('upgrade', () => { resolve(101); ws.terminate(); });
    ws.once('error', () => undefined);
  });
}

afterEach(() => {
  closeAll();
  while (fromAddress.length) fromAddress.pop()!.disconnect();
});

describe('algorithm confusion in HS256 mode', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' }); });
  afterAll(async () => gw.close());

  it.each([
    ['an RS256 token signed with a real RSA key', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT({ roles: ['admin'], channels: ['*'] }).setProtectedHeader({ alg: 'RS256' }).setSubject('mallory').setExpirationTime('1h').sign(privateKey);
    }],
    ['a token claiming alg RS256 but HMAC-signed with the gateway secret', async () => {
      const good = await signToken({ sub: 'mallory', roles: ['admin'] });
      const [, body, sig] = good.split('.');
      return `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url')}.${body}.${sig}`;
    }],
    ['an HS256 token whose header carries an embedded jwk', async () => {
      const { publicKey } = await generateKeyPair('ES256');
      return new SignJWT({}).setProtectedHeader({ alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from('attacker').toString('base64url') } as never }).setSubject('mallory').setExpirationTime('1h').sign(new TextEncoder().encode((await exportSPKI(publicKey)).slice(0, 64)));
    }],
    ['a token with alg "None" (capitalised)', async () => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${b64({ alg: 'None', typ: 'JWT' })}.${b64({ sub: 'mallory', roles: ['admin'], exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    }],
    ['a token with a valid signature but a stripped signature segment', async () => (await signToken({ sub: 'mallory' })).replace(/\.[^.]+$/, '.')],
  ])('should refuse %s with AUTH_FAILED', async (_what, make) => {
    const err = await connectRefused(gw.url, await make());
    expect(err.data).toEqual({ code: 'AUTH_FAILED', message: expect.any(String) });
  });
});

describe('channel grants and message ownership', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000', RATE_LIMIT_CHANNEL_JOIN: '1000', PRESENCE_COALESCE_MS: '0' }); });
  afterAll(async () => gw.close());

  it('should refuse every channel-scoped event on a private channel without a grant, and leak nothing into it', async () => {
    const admin = await connect(gw.url, await signToken({ sub: 'owner', roles: ['admin'] }));
    expect(await call(admin, 'channel:join', { channelId: 'secret' })).toMatchObject({ ok: true });
    const posted = await call(admin, 'message:send', { channelId: 'secret', content: 'classified', clientMsgId: 'secret-msg-1' });
    const leaks = ['message:new', 'message:updated', 'message:deleted', 'user:typing', 'message:read', 'channel:member_joined'].map((e) => collect(admin, e));
    const outsider = await connect(gw.url, await signToken({ sub: 'outsider', channels: ['team-*', 'public'] }));
    const forbidden: Array<[string, object]> = [
      ['channel:join', { channelId: 'secret' }],
      ['message:history', { channelId: 'secret' }],
      ['thread:join', { channelId: 'secret', threadId: 't1' }],
      ['presence:get', { channelId: 'secret' }],
      ['message:edit', { channelId: 'secret', messageId: posted.messageId, content: 'owned' }],
      ['message:delete', { channelId: 'secret', messageId: posted.messageId }],
      // Prefix grants match by prefix only, case-sensitively.
      ['channel:join', { channelId: 'team' }],
      ['channel:join', { channelId: 'TEAM-x' }],
      ['channel:join', { channelId: 'public-2' }],
    ];
    for (const [event, p] of forbidden) expect([event, await call(outsider, event, p)]).toEqual([event, { ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } }]);
    // Events that need a joined channel answer CHANNEL_ERROR: the channel cannot be joined at all.
    for (const [event, p] of [
      ['message:send', { channelId: 'secret', content: 'x', clientMsgId: 'outsider-1' }],
      ['user:typing', { channelId: 'secret', isTyping: true }],
      ['message:read', { channelId: 'secret', seq: 1 }],
    ] as Array<[string, object]>) expect([event, await call(outsider, event, p)]).toEqual([event, { ok: false, error: { code: 'CHANNEL_ERROR', message: expect.any(String) } }]);
    expect(await call(outsider, 'channel:join', { channelId: 'team-x' })).toMatchObject({ ok: true });
    await call(admin, 'presence:get', { userIds: ['owner'] });
    expect(leaks.flat()).toEqual([]);
    expect((await call(admin, 'message:history', { channelId: 'secret' })).messages.map((m: { content: string }) => m.content)).toEqual(['classified']);
  });

  it('should refuse a message id of one channel used against another channel the attacker may write', async () => {
    const owner = await connect(gw.url, await signToken({ sub: 'victim', channels: ['shared-*'] }));
    await call(owner, 'channel:join', { channelId: 'shared-a' });
    const sent = await call(owner, 'message:send', { channelId: 'shared-a', content: 'mine', clientMsgId: 'victim-msg-1' });
    const attacker = await connect(gw.url, await signToken({ sub: 'attacker', channels: ['shared-*'] }));
    await call(attacker, 'channel:join', { channelId: 'shared-b' });
    await call(attacker, 'message:send', { channelId: 'shared-b', content: 'bait', clientMsgId: 'attacker-msg-1' });
    // Same seq in another channel: the id carries the other channel's epoch, so it is not found there.
    expect(await call(attacker, 'message:edit', { channelId: 'shared-b', messageId: sent.messageId, content: 'hijack' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await call(attacker, 'message:edit', { channelId: 'shared-a', messageId: sent.messageId, content: 'hijack' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await call(attacker, 'message:delete', { channelId: 'shared-a', messageId: sent.messageId })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const hist = await call(owner, 'message:history', { channelId: 'shared-a' });
    expect(hist.messages).toEqual([expect.objectContaining({ content: 'mine' })]);
    expect(hist.messages[0].editedAt).toBeUndefined();
  });

  it('should drop channels a refreshed token no longer grants', async () => {
    const watcher = await connect(gw.url, await signToken({ sub: 'room-admin', roles: ['admin'] }));
    await call(watcher, 'channel:join', { channelId: 'project-x' });
    const s = await connect(gw.url, await signToken({ sub: 'downgraded', channels: ['project-x', 'lobby'] }));
    expect(await call(s, 'channel:join', { channelId: 'project-x' })).toMatchObject({ ok: true });
    expect(await call(s, 'thread:join', { channelId: 'project-x', threadId: 't1' })).toMatchObject({ ok: true });
    const left = new Promise((resolve) => (watcher as any).on('channel:member_left', (e: { userId: string }) => e.userId === 'downgraded' && resolve(e)));
    const received = collect(s, 'message:new');
    expect(await call(s, 'auth:refresh', { token: await signToken({ sub: 'downgraded', channels: ['lobby'], expiresInSec: 7200 }) })).toMatchObject({ ok: true });
    expect(await left).toEqual({ channelId: 'project-x', userId: 'downgraded' });
    await call(watcher, 'message:send', { channelId: 'project-x', content: 'after the downgrade', clientMsgId: 'downgrade-1' });
    await call(watcher, 'message:send', { channelId: 'project-x', content: 'in the thread', clientMsgId: 'downgrade-3', threadId: 't1' });
    expect(await call(s, 'message:send', { channelId: 'project-x', content: 'still here?', clientMsgId: 'downgrade-2' })).toMatchObject({ ok: false, error: { code: 'CHANNEL_ERROR' } });
    expect(await call(s, 'channel:join', { channelId: 'project-x' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await call(s, 'presence:get', { userIds: ['downgraded'] });
    expect(received).toEqual([]);
  });
});

describe('server API keys', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ API_KEYS: API_KEY }); });
  afterAll(async () => gw.close());

  const status = (path: string, headers: Record<string, string>, method = 'GET') =>
    fetch(`${gw.url}/api/v1${path}${path.includes('?') ? '' : ''}`, { method, headers }).then(async (r) => ({ status: r.status, body: await r.json() }));

  // Endpoints not in admin-api.spec.ts's table.
  it.each(['/maintenance', '/webhooks/dead-letters', '/notifications/n-1', '/users/u1/presence', '/channels/c1/presence'])('GET %s should answer 401 without a key and 403 with a wrong one', async (path) => {
    expect(await status(path, {})).toEqual({ status: 401, body: { ok: false, error: { code: 'AUTH_FAILED', message: expect.any(String) } } });
    expect(await status(path, { authorization: 'Bearer wrong-key-0123456789abcdef' })).toEqual({ status: 403, body: { ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } } });
  });

  it.each([
    ['the key in the query string', { }, `?api_key=${API_KEY}`],
    ['Basic instead of Bearer', { authorization: `Basic ${Buffer.from(`x:${API_KEY}`).toString('base64')}` }, ''],
    ['the key without a scheme', { authorization: API_KEY }, ''],
    ['a prefix of the key', { authorization: `Bearer ${API_KEY.slice(0, -1)}` }, ''],
    ['the key plus one character', { authorization: `Bearer ${API_KEY}x` }, ''],
    ['the key with a second token after it', { authorization: `Bearer ${API_KEY} ${API_KEY}` }, ''],
    ['the key in another header', { 'x-api-key': API_KEY }, ''],
    ['the key in a cookie', { cookie: `api_key=${API_KEY}` }, ''],
  ])('should refuse %s', async (_what, headers, query) => {
    const res = await status(`/stats${query}`, headers as Record<string, string>);
    expect([401, 403]).toContain(res.status);
    expect(res.body).toEqual({ ok: false, error: { code: expect.stringMatching(/^(AUTH_FAILED|FORBIDDEN)$/), message: expect.any(String) } });
  });

  it('should accept the key with a lower-case scheme and surrounding spaces (RFC 7235 schemes are case-insensitive)', async () => {
    expect((await status('/stats', { authorization: `  bearer ${API_KEY}  ` })).status).toBe(200);
  });

  it('should refuse every API call when API_KEYS is empty, whatever key is sent', async () => {
    const closed = await startTestGateway({});
    try {
      for (const key of ['', 'anything-0123456789abcdef', TEST_SECRET]) {
        const r = await fetch(`${closed.url}/api/v1/stats`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
        expect([401, 403]).toContain(r.status);
      }
    } finally {
      await closed.close();
    }
  });
});

describe('CORS', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ CORS_ORIGINS: `${ALLOWED_ORIGIN},https://admin.example.com`, RATE_LIMIT_CONNECT_PER_IP: '1000' }); });
  afterAll(async () => gw.close());

  it.each([
    'https://evil.example',
    'https://app.example.com.evil.example',
    'https://evil.example?https://app.example.com',
    'http://app.example.com',
    'https://app.example.com:8443',
    'null',
  ])('should refuse a WebSocket and a polling handshake from origin %s', async (origin) => {
    expect(await wsUpgradeStatus(gw.url, origin)).not.toBe(101);
    const poll = await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: origin } });
    expect(poll.status).toBe(403);
    expect(poll.headers.get('access-control-allow-origin')).not.toBe(origin);
    const preflight = await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const viaClient = await connectRefused(gw.url, await signToken({ sub: 'browser' }), { extraHeaders: { Origin: origin } }).catch((e: Error) => e);
    expect(viaClient).toBeInstanceOf(Error);
  });

  it('should accept an allowed origin on both transports and answer polling with its CORS headers', async () => {
    expect(await wsUpgradeStatus(gw.url, ALLOWED_ORIGIN)).toBe(101);
    const poll = await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: ALLOWED_ORIGIN } });
    expect(poll.status).toBe(200);
    expect(poll.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(poll.headers.get('access-control-allow-credentials')).toBe('true');
    expect(poll.headers.get('vary')).toMatch(/origin/i);
    const preflight = await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling`, { method: 'OPTIONS', headers: { Origin: ALLOWED_ORIGIN, 'Access-Control-Request-Method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    const token = await signToken({ sub: 'browser' });
    await connect(gw.url, token, { extraHeaders: { Origin: ALLOWED_ORIGIN } });
    await connect(gw.url, token, { transports: ['polling'], extraHeaders: { Origin: ALLOWED_ORIGIN } });
  });

  it('should allow only the same origin when CORS_ORIGINS is empty', async () => {
    const same = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
    try {
      expect(await wsUpgradeStatus(same.url, same.url)).toBe(101);
      expect(await wsUpgradeStatus(same.url, ALLOWED_ORIGIN)).not.toBe(101);
      const poll = await fetch(`${same.url}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: ALLOWED_ORIGIN } });
      expect(poll.status).toBe(403);
      expect(poll.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await same.close();
    }
  });
});

describe('client addresses (real loopback source addresses 127.0.0.x)', () => {
  let gw: Gw;
  beforeAll(async () => { gw = await startTestGateway({ IP_BLOCKLIST: '127.0.0.2', RATE_LIMIT_CONNECT_PER_IP: '5' }); });
  afterAll(async () => gw.close());

  it('should refuse a blocked source address even when it sends X-Forwarded-For, and accept its neighbour', async () => {
    const token = await signToken({ sub: 'addr' });
    const blocked = await connectFrom(gw.url, '127.0.0.2', token, { 'x-forwarded-for': '198.51.100.7' });
    expect(blocked).toMatchObject({ ok: false, error: { message: 'FORBIDDEN', data: { code: 'FORBIDDEN' } } });
    expect(await connectFrom(gw.url, '127.0.0.5', token)).toMatchObject({ ok: true });
  });

  it('should throttle a connection flood from one address before any session exists, while other addresses still connect', async () => {
    const token = await signToken({ sub: 'flooder' });
    const flood = [];
    // Rotating X-Forwarded-For does not reset the budget: TRUST_PROXY is off.
    for (let i = 0; i < 12; i++) flood.push(await connectFrom(gw.url, '127.0.0.3', token, { 'x-forwarded-for': `203.0.113.${i}` }));
    expect(flood.filter((r) => r.ok)).toHaveLength(5);
    const refused = flood.filter((r): r is { ok: false; error: Error & { data?: any } } => !r.ok);
    expect(refused).toHaveLength(7);
    // Refused in Engine.IO's allowRequest: the WebSocket upgrade itself is answered 400 RATE_LIMITED.
    for (const r of refused) expect(r.error).toMatchObject({ message: 'websocket error', description: { message: 'Unexpected server response: 400' } });
    const others = await Promise.all(['127.0.0.4', '127.0.0.6', '127.0.0.7'].map((a) => connectFrom(gw.url, a, token)));
    expect(others.map((r) => r.ok)).toEqual([true, true, true]);
    const text = await gw.metrics.registry.getSingleMetricAsString('socket_gateway_auth_failures_total');
    expect(text).toMatch(/reason="ip_flood"\} 7/);
  });
});
