import { ConfigError, loadConfig } from './config';

const SECRET = 'x'.repeat(32);

describe('loadConfig', () => {
  it('should apply documented defaults with only a secret set', () => {
    const c = loadConfig({ JWT_SECRET: SECRET });
    expect(c).toMatchObject({
      port: 3000, metricsPort: 9464, redisUrl: null, redisAdapter: 'classic', transports: ['websocket', 'polling'],
      pingIntervalMs: 25000, pingTimeoutMs: 20000, maxHttpBufferSize: 1_000_000, logLevel: 'info',
      historyMaxLen: 1000, idempotencyTtlSec: 86400, maxConnections: 10000, drainDelayMs: 5000, drainWindowMs: 20000,
      demoPage: false, trustProxy: false,
    });
    expect(c.rateLimits).toEqual({
      'message:send': 60, 'user:typing': 10, 'presence:update': 30, 'channel:join': 10, 'channel:rejoin': 300, default: 100, connectPerIp: 10,
    });
  });

  it('should list every bad variable in one error', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'http', REDIS_URL: 'mysql://x', TRANSPORTS: 'websocket,carrier-pigeon', LOG_LEVEL: 'loud', RATE_LIMIT_MESSAGE_SEND: '-1', IP_BLOCKLIST: 'not-an-ip', DEMO_PAGE: 'maybe' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const names = ['PORT', 'REDIS_URL', 'TRANSPORTS', 'LOG_LEVEL', 'RATE_LIMIT_MESSAGE_SEND', 'IP_BLOCKLIST', 'DEMO_PAGE', 'JWT_SECRET'];
    for (const n of names) expect(err!.message).toContain(n);
    expect(err!.problems).toHaveLength(names.length);
  });

  it('should refuse both or a short secret and accept a JWKS URL alone', () => {
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET must be at least 32 bytes/);
    expect(() => loadConfig({ JWT_SECRET: SECRET, JWT_JWKS_URL: 'https://id.example/jwks' })).toThrow(/only one of/);
    expect(loadConfig({ JWT_JWKS_URL: 'https://id.example/jwks' }).jwt.jwksUrl).toBe('https://id.example/jwks');
  });

  it('should never echo a secret value in its message', () => {
    try {
      loadConfig({ REDIS_URL: 'redis//:hunter2-password@host', API_KEYS: 'shortkey' });
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
      expect((e as Error).message).not.toContain('shortkey');
    }
    expect.assertions(2);
  });
});
