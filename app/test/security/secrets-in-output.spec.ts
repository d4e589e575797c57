import Redis from 'ioredis';
import { GatewayChild } from '../support/gateway-child';
import { RedisServer } from '../support/redis-server';
import { WebhookReceiver } from '../support/webhook-receiver';
import { call, closeAll, connect, connectRefused, until } from '../support/clients';
import { signToken } from '../support/tokens';

const JWT_SECRET = 'jwt-secret-for-the-leak-scan-7f3a9c1e5b2d4f60';
const API_KEYS = ['api-key-one-leakscan-0a1b2c3d4e', 'api-key-two-leakscan-5f6a7b8c9d'];
const WRONG_KEY = 'wrong-api-key-leakscan-e4d3c2b1a0';
const WEBHOOK_SECRET = 'webhook-secret-leakscan-9e8d7c6b5a';
const WEBHOOK_PASSWORD = 'hook-basic-pass-leakscan-314159';
const REDIS_PASSWORD = 'redis-pass-leakscan-271828182845';

/**
 * A real gateway process at LOG_LEVEL=debug with every kind of secret configured, driven through
 * successes, refusals, webhook failures and a Redis outage; then every line it wrote, every error
 * body it answered, its metrics and its readiness body are scanned for those secrets.
 * (app/test/observability/logs.spec.ts does the same for the in-process logger with fewer secrets.)
 */
describe('no secret in any log line, error body or metric', () => {
  let redis: RedisServer;
  let hooks: WebhookReceiver;
  let gw: GatewayChild;
  const tokens: string[] = [];
  const answers: unknown[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const admin = new Redis(redis.url);
    await admin.config('SET', 'requirepass', REDIS_PASSWORD);
    admin.disconnect();
    hooks = await WebhookReceiver.start();
    hooks.behaviour = () => 500;
    const hookUrl = new URL(hooks.url);
    hookUrl.username = 'hookuser';
    hookUrl.password = WEBHOOK_PASSWORD;
    gw = await GatewayChild.start({
      LOG_LEVEL: 'debug',
      JWT_SECRET,
      API_KEYS: API_KEYS.join(','),
      REDIS_URL: `redis://:${REDIS_PASSWORD}@127.0.0.1:${redis.port}`,
      WEBHOOK_URL: hookUrl.toString(),
      WEBHOOK_SECRET,
      WEBHOOK_MAX_ATTEMPTS: '2',
      WEBHOOK_BACKOFF_BASE_MS: '20',
      WEBHOOK_BACKOFF_MAX_MS: '50',
      ENGINE_TIMEOUT_MS: '300',
    });
  }, 30_000);
  afterEach(() => closeAll());
  afterAll(async () => {
    await gw?.stop();
    await hooks?.close();
    await redis?.stop();
  });

  const api = async (method: string, path: string, key: string | null, body?: unknown) => {
    const r = await fetch(`${gw.url}/api/v1${path}`, { method, headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    const headers: Record<string, string> = {};
    r.headers.forEach((v, k) => { headers[k] = v; });
    answers.push(text, headers);
    return r.status;
  };

  it('should keep every secret out of the output while refusing, failing and recovering', async () => {
    const good = await signToken({ sub: 'scanned', jti: 'jti-scanned-1' }, JWT_SECRET);
    const refreshed = await signToken({ sub: 'scanned', jti: 'jti-scanned-2', expiresInSec: 7200 }, JWT_SECRET);
    const foreign = await signToken({ sub: 'someone-else' }, JWT_SECRET);
    const expired = await signToken({ sub: 'scanned', expiresInSec: -30 }, JWT_SECRET);
    const forged = await signToken({ sub: 'scanned', roles: ['admin'] }, 'attacker-secret-that-is-long-enough-000000');
    tokens.push(good, refreshed, foreign, expired, forged);

    const s = await connect(gw.url, good);
    answers.push(await call(s, 'channel:join', { channelId: 'scan' }));
    answers.push(await call(s, 'message:send', { channelId: 'scan', content: 'to the failing webhook', clientMsgId: 'scan-msg-1' }));
    answers.push(await call(s, 'auth:refresh', { token: foreign }));
    answers.push(await call(s, 'auth:refresh', { token: expired }));
    answers.push(await call(s, 'auth:refresh', { token: refreshed }));
    answers.push(await call(s, 'auth:refresh', { token: `${API_KEYS[0]}.${JWT_SECRET}.x` }));
    for (const t of [expired, forged, API_KEYS[1], `Bearer ${WEBHOOK_SECRET}`, 'garbage.token.value']) answers.push((await connectRefused(gw.url, t)).data);
    answers.push((await connectRefused(gw.url, undefined, { extraHeaders: { authorization: `Bearer ${forged}` } })).data);

    expect(await api('GET', '/stats', API_KEYS[0])).toBe(200);
    expect(await api('GET', '/stats', WRONG_KEY)).toBe(403);
    expect(await api('GET', `/stats?key=${API_KEYS[1]}`, null)).toBe(401);
    expect(await api('POST', '/channels/scan/messages', API_KEYS[1], { content: 'from the api', userId: 'backend' })).toBe(201);
    expect(await api('POST', '/channels/scan/messages', API_KEYS[1], { content: JWT_SECRET, extra: API_KEYS[0] })).toBe(400);
    expect(await api('POST', '/tokens/revoke', API_KEYS[0], { jti: 'jti-scanned-2' })).toBe(200);
    expect(await api('POST', '/ip-blocks', API_KEYS[0], { cidr: '192.0.2.0/24', ttlSeconds: 60 })).toBe(201);

    // The webhook endpoint answers 500: attempts fail and end in the dead-letter list, all logged.
    await until(async () => {
      const r = await fetch(`${gw.url}/api/v1/webhooks/dead-letters`, { headers: { authorization: `Bearer ${API_KEYS[0]}` } });
      const body = await r.json();
      return body.deadLetters?.length > 0;
    }, 10_000, 'a dead-lettered webhook');
    expect(hooks.received.length).toBeGreaterThan(0);
    expect(hooks.received[0].headers.authorization).toBe(`Basic ${Buffer.from(`hookuser:${WEBHOOK_PASSWORD}`).toString('base64')}`);

    // A Redis outage: the engine and adapter log their connection errors.
    const s2 = await connect(gw.url, await signToken({ sub: 'outage' }, JWT_SECRET));
    await call(s2, 'channel:join', { channelId: 'scan' });
    await redis.kill();
    answers.push(await call(s2, 'message:send', { channelId: 'scan', content: 'during the outage', clientMsgId: 'scan-msg-2' }));
    await until(async () => (await gw.readyz()).status === 503, 10_000, 'readiness off during the outage');
    answers.push((await gw.readyz()).body);
    answers.push(await gw.metrics());

    expect(gw.exitCode).toBeNull();
    const output = gw.output.join('\n');
    expect(gw.output.length).toBeGreaterThan(20);
    expect(output).toMatch(/webhook\.dead_letter/);
    expect(output).toMatch(/redis\.(error|down)/);
    const everything = `${output}\n${answers.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join('\n')}`;
    const secrets = [JWT_SECRET, ...API_KEYS, WRONG_KEY, WEBHOOK_SECRET, WEBHOOK_PASSWORD, REDIS_PASSWORD, ...tokens];
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      // A truncated secret leaks too: no 16-character prefix, and no token signature.
      expect(everything).not.toContain(secret.slice(0, 16).startsWith('eyJ') ? secret.split('.')[2] : secret.slice(0, 16));
    }
    expect(everything).not.toContain(Buffer.from(`hookuser:${WEBHOOK_PASSWORD}`).toString('base64'));
  }, 45_000);

  it('should not echo secrets in the configuration error of a refused start', async () => {
    const err = await GatewayChild.start({
      JWT_SECRET: 'short-secret-x9',
      API_KEYS: 'tiny-key-77',
      REDIS_URL: `redis://:${REDIS_PASSWORD}@[not-a-host`,
      WEBHOOK_URL: `http://user:${WEBHOOK_PASSWORD}@127.0.0.1:1/x`,
      WEBHOOK_SECRET: 'tiny-hook-66',
    }).then(() => null, (e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/Invalid configuration/);
    for (const secret of ['short-secret-x9', 'tiny-key-77', REDIS_PASSWORD, WEBHOOK_PASSWORD, 'tiny-hook-66']) expect(err!.message).not.toContain(secret);
  });
});
