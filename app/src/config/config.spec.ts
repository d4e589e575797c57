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

describe('loadConfig (Redis topology)', () => {
  const base = { JWT_SECRET: SECRET };

  it('should run without Redis when no Redis variable is set, and ignore none when ENGINE=memory is chosen', () => {
    expect(loadConfig(base).redis).toBeNull();
    expect(() => loadConfig({ ...base, ENGINE: 'memory', REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: 'c:7000' })).toThrow(/REDIS_MODE is set but ENGINE=memory/);
  });

  it('should default to standalone when REDIS_URL is set', () => {
    expect(loadConfig({ ...base, REDIS_URL: 'redis://r:6379' }).redis).toEqual({ topology: { mode: 'standalone', url: 'redis://r:6379' }, waitReplicas: 0 });
  });

  it('should read a Sentinel group with its passwords and TLS', () => {
    const c = loadConfig({
      ...base, REDIS_MODE: 'sentinel', REDIS_SENTINELS: 's1:26379, s2:26380', REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret', REDIS_PASSWORD: 'data-secret', REDIS_TLS: 'true', REDIS_WAIT_REPLICAS: '1',
    });
    expect(c.redis).toEqual({
      topology: {
        mode: 'sentinel', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }], name: 'mymaster',
        sentinelPassword: 'sentinel-secret', password: 'data-secret', tls: true,
      },
      waitReplicas: 1,
    });
    expect(c.redisAdapter).toBe('classic');
  });

  it('should read Cluster seed nodes and always use the sharded adapter there', () => {
    const c = loadConfig({ ...base, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: '10.0.0.1:7000,[::1]:7001' });
    expect(c.redis).toEqual({ topology: { mode: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '::1', port: 7001 }], password: null, tls: false }, waitReplicas: 0 });
    expect(c.redisAdapter).toBe('sharded');
  });

  it('should refuse every bad combination in one error that names each variable and echoes no password', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig({
        ...base, REDIS_MODE: 'sentinel', REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 'no-port', REDIS_CLUSTER_NODES: 'c:7000',
        REDIS_WAIT_REPLICAS: '-2', REDIS_TLS: 'perhaps', REDIS_PASSWORD: 'hunter2-password',
      });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const expected = ['REDIS_WAIT_REPLICAS', 'REDIS_CLUSTER_NODES', 'REDIS_URL', 'REDIS_TLS', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME'];
    for (const name of expected) expect(err!.problems.some((p) => p.startsWith(name))).toBe(true);
    expect(err!.problems).toHaveLength(expected.length);
    expect(err!.message).not.toContain('hunter2');
  });

  it('should refuse settings the chosen mode would ignore', () => {
    expect(() => loadConfig({ ...base, REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'p' })).toThrow(/REDIS_PASSWORD is not used with REDIS_MODE=standalone/);
    expect(() => loadConfig({ ...base, REDIS_MODE: 'standalone' })).toThrow(/REDIS_URL must be set: REDIS_MODE is set/);
    expect(() => loadConfig({ ...base, REDIS_MODE: 'cluster' })).toThrow(/REDIS_CLUSTER_NODES must list at least one host:port/);
    expect(() => loadConfig({ ...base, REDIS_MODE: 'cluster', REDIS_CLUSTER_NODES: 'c:7000', REDIS_ADAPTER: 'classic' })).toThrow(/REDIS_ADAPTER=classic cannot be used with REDIS_MODE=cluster/);
    expect(() => loadConfig({ ...base, REDIS_WAIT_REPLICAS: '1' })).toThrow(/REDIS_URL must be set: REDIS_WAIT_REPLICAS is set/);
    expect(() => loadConfig({ ...base, REDIS_MODE: 'memory' })).toThrow(/REDIS_MODE must be one of standalone, sentinel, cluster/);
  });
});
