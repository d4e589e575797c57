import { ConfigError, loadConfig } from './config';

const SECRET = 'x'.repeat(32);

describe('loadConfig', () => {
  it('should apply documented defaults with only a secret set', () => {
    const c = loadConfig({ JWT_SECRET: SECRET });
    expect(c).toMatchObject({
      port: 3000, metricsPort: 9464, redisUrl: null, redisAdapter: 'classic', transports: ['websocket', 'polling'],
      pingIntervalMs: 25000, pingTimeoutMs: 20000, maxHttpBufferSize: 65_536, maxInvalidFramesPerMinute: 10, logLevel: 'info',
      historyMaxLen: 1000, idempotencyTtlSec: 86400, maxConnections: 10000, drainDelayMs: 5000, drainWindowMs: 20000,
      demoPage: false, trustProxy: false,
    });
    expect(c.rateLimits).toEqual({
      'message:send': 60, 'user:typing': 10, 'user:typing_stop': 30, 'auth:refresh': 10, 'presence:update': 30, 'channel:join': 10, 'channel:rejoin': 300, default: 100,
      connectPerIp: 600, connectPerUser: 10,
    });
  });

  it('should list every bad variable in one error', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({ PORT: 'http', REDIS_URL: 'mysql://x', TRANSPORTS: 'websocket,carrier-pigeon', LOG_LEVEL: 'loud', RATE_LIMIT_MESSAGE_SEND: '-1', IP_BLOCKLIST: 'not-an-ip', DEMO_PAGE: 'maybe', TRUST_PROXY: 'true' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const names = ['PORT', 'REDIS_URL', 'TRANSPORTS', 'LOG_LEVEL', 'RATE_LIMIT_MESSAGE_SEND', 'IP_BLOCKLIST', 'DEMO_PAGE', 'TRUST_PROXY', 'JWT_SECRET'];
    for (const n of names) expect(err!.message).toContain(n);
    expect(err!.problems).toHaveLength(names.length);
  });

  it('should read TRUST_PROXY as a hop count or a list of proxy CIDRs', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ JWT_SECRET: SECRET, TRUST_PROXY: '10.0.0.0/8,loopback' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(() => loadConfig({ JWT_SECRET: SECRET, TRUST_PROXY: 'ingress' })).toThrow(/TRUST_PROXY .*"ingress"/);
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

describe('loadConfig ENGINE (fail closed)', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ JWT_SECRET: SECRET, ...env });
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('should use memory outside production and redis whenever a Redis setting is present', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).engine).toBe('memory');
    expect(loadConfig({ JWT_SECRET: SECRET, REDIS_URL: 'redis://127.0.0.1:6379/0' })).toMatchObject({ engine: 'redis', redisUrl: 'redis://127.0.0.1:6379/0' });
    expect(loadConfig({ JWT_SECRET: SECRET, ENGINE: 'memory', NODE_ENV: 'production' }).engine).toBe('memory');
  });

  it('should refuse a production start without Redis and without ENGINE', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual(['ENGINE is unset and no Redis is configured: set REDIS_URL (ENGINE=redis), or ENGINE=memory for a deliberate single instance']);
  });

  it('should refuse Redis settings without REDIS_URL, ENGINE=redis without it, and memory with it', () => {
    expect(problems({ REDIS_KEY_PREFIX: 'prod' })).toEqual(['REDIS_URL must be set: REDIS_KEY_PREFIX is set, so ENGINE defaults to redis']);
    expect(problems({ ENGINE: 'redis' })).toEqual(['REDIS_URL must be set when ENGINE=redis']);
    expect(problems({ ENGINE: 'memory', REDIS_URL: 'redis://r:6379' })).toEqual(['REDIS_URL is set but ENGINE=memory: unset one of them']);
    expect(problems({ ENGINE: 'disk' })).toEqual(['ENGINE must be one of memory, redis (got "disk")']);
  });
});

describe('loadConfig API_PORT', () => {
  it('should serve the server API on the public port unless API_PORT names another one', () => {
    expect(loadConfig({ JWT_SECRET: SECRET }).apiPort).toBeNull();
    expect(loadConfig({ JWT_SECRET: SECRET, PORT: '3000', API_PORT: '3000' }).apiPort).toBeNull();
    expect(loadConfig({ JWT_SECRET: SECRET, API_PORT: '3001' }).apiPort).toBe(3001);
    expect(() => loadConfig({ JWT_SECRET: SECRET, API_PORT: 'api' })).toThrow(/API_PORT must be an integer between 0 and 65535/);
  });
});
