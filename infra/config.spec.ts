import { parseStackConfig, StackConfigError } from './src/config';
import { stackConfig } from './test/program';

const minimal = { context: 'test-cluster', image: { repository: 'r/sg', tag: '1.0.0' }, host: 'rt.example.com', routing: { provider: 'ingress-nginx' } };
const secrets = ['jwtSecret', 'apiKeys', 'redisPassword'];

function problems(raw: Record<string, unknown>, set: string[] = secrets): string[] {
  try {
    parseStackConfig(raw, set);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    return (err as StackConfigError).problems;
  }
}

describe(parseStackConfig.name, () => {
  it('should apply documented defaults', () => {
    const c = parseStackConfig(minimal, secrets);
    expect(c).toMatchObject({ namespace: 'socket-gateway', transports: ['websocket', 'polling'], drain: { delayMs: 5000, windowMs: 20000, preStopSleepSeconds: 5 }, redis: { mode: 'standalone' } });
  });

  it('should accept both example stacks with their secrets', () => {
    expect(() => parseStackConfig(stackConfig('dev'), secrets)).not.toThrow();
    expect(() => parseStackConfig(stackConfig('prod'), ['jwtSecret', 'apiKeys', 'redisUrl'])).not.toThrow();
  });

  it('should refuse a request above its limit, which the API server would refuse half-way through pulumi up', () => {
    expect(problems({ ...minimal, resources: { cpuRequest: '1500m', cpuLimit: '1', memoryRequest: '1Gi', memoryLimit: '512Mi' } })).toEqual([
      'resources.cpuRequest 1500m is above resources.cpuLimit 1',
      'resources.memoryRequest 1Gi is above resources.memoryLimit 512Mi',
    ]);
    expect(problems({ ...minimal, resources: { cpuRequest: '1', cpuLimit: '1000m', memoryRequest: '0.5Gi', memoryLimit: '512Mi' } })).toEqual([]);
  });

  it('should list every problem at once with the key that causes it', () => {
    const p = problems({ ...minimal, namespace: 'Bad_NS', replicas: 0, drain: { windowMs: 'long' }, routing: { provider: 'haproxy' }, redis: { mode: 'external', externalCidrs: ['10.0.0.0'] }, typo: 1 }, ['apiKeys']);
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^typo is not a known setting/),
        expect.stringMatching(/^namespace must be a DNS label/),
        expect.stringMatching(/^replicas must be an integer between 1 and 500/),
        expect.stringMatching(/^drain.windowMs must be an integer/),
        expect.stringMatching(/^routing.provider must be one of gateway-api, ingress-traefik, ingress-nginx, none/),
        expect.stringMatching(/^redis.externalCidrs must be a list of CIDRs/),
        'set the secret jwtSecret (HS256) or auth.jwksUrl (RS256/ES256)',
        expect.stringMatching(/^the secret redisUrl .* is required with redis.mode external/),
      ]),
    );
  });

  it('should require the secrets each mode needs and refuse contradictory ones', () => {
    expect(problems(minimal, ['jwtSecret'])).toEqual(['the secret apiKeys is required (comma-separated keys of the server HTTP API)', 'the secret redisPassword is required with redis.mode standalone']);
    expect(problems({ ...minimal, auth: { jwksUrl: 'https://a/jwks' } }, secrets)).toEqual(['set only one of the secret jwtSecret and auth.jwksUrl']);
    expect(problems({ ...minimal, auth: { jwksUrl: 'https://a/jwks' } }, ['apiKeys', 'redisPassword'])).toEqual([]);
  });

  it('should read routing.trustProxy as a hop count (1 by default) or a list of proxy CIDRs', () => {
    expect(parseStackConfig(minimal, secrets).routing.trustProxy).toBe(1);
    expect(parseStackConfig({ ...minimal, routing: { provider: 'ingress-nginx', trustProxy: 2 } }, secrets).routing.trustProxy).toBe(2);
    expect(parseStackConfig({ ...minimal, routing: { provider: 'ingress-nginx', trustProxy: ['10.0.0.0/8', 'loopback'] } }, secrets).routing.trustProxy).toEqual(['10.0.0.0/8', 'loopback']);
    expect(problems({ ...minimal, routing: { provider: 'ingress-nginx', trustProxy: true } })).toEqual([expect.stringMatching(/^routing.trustProxy must be an integer between 0 and 10/)]);
    expect(problems({ ...minimal, routing: { provider: 'ingress-nginx', trustProxy: ['ingress.local'] } })).toEqual([expect.stringMatching(/^routing.trustProxy must be a list of proxy CIDRs/)]);
  });

  it('should require a host and a Gateway for public routing', () => {
    expect(problems({ context: 'c', image: minimal.image, routing: { provider: 'gateway-api' } })).toEqual(['host is required with routing.provider gateway-api', 'routing.gatewayName is required with routing.provider gateway-api']);
    expect(problems({ context: 'c', image: minimal.image, routing: { provider: 'none' } })).toEqual([]);
  });

  it('should refuse to deploy without a named context or a kubeconfig secret', () => {
    const { context: _context, ...noContext } = minimal;
    expect(problems(noContext)).toEqual(['set context (a kubeconfig context) or the secret kubeconfig: the program never deploys to whatever context is current']);
    expect(problems(noContext, [...secrets, 'kubeconfig'])).toEqual([]);
  });

  it('should parse the passthrough keys and refuse bad ones', () => {
    const c = parseStackConfig(
      {
        ...minimal,
        image: { ...minimal.image, digest: `sha256:${'a'.repeat(64)}` },
        imagePullSecrets: ['regcred'],
        corsOrigins: ['https://app.example.com'],
        webhookUrl: 'https://hooks.example.com/sg',
        maxConnections: 20000,
        extraEnv: { HISTORY_MAX_LEN: 500 },
        values: { podLabels: { team: 'rt' } },
      },
      [...secrets, 'webhookSecret'],
    );
    expect(c).toMatchObject({ imagePullSecrets: ['regcred'], corsOrigins: ['https://app.example.com'], maxConnections: 20000, extraEnv: { HISTORY_MAX_LEN: '500' }, values: { podLabels: { team: 'rt' } } });
    expect(
      problems({ ...minimal, image: { ...minimal.image, digest: 'latest' }, corsOrigins: ['app.example.com'], webhookUrl: 'https://h/x', extraEnv: { JWT_SECRET: 'x', lower: 'y' }, redis: { image: 'redis:7.4-alpine' } }),
    ).toEqual([
      'image.digest must be sha256:<64 hex digits> (got "latest")',
      'corsOrigins must be a list of origins (scheme://host[:port], no path) (got ["app.example.com"])',
      'extraEnv.lower: must be an UPPER_CASE variable name',
      'redis.image must be a pinned image (name:x.y.z[-variant] or a digest) (got "redis:7.4-alpine")',
      'extraEnv.JWT_SECRET: secrets and the variables the chart sets cannot go through extraEnv',
      'the secret webhookSecret is required with webhookUrl (the gateway signs every delivery)',
    ]);
  });

  it('should run WebSocket-only behind Gateway API unless sessionPersistence is set', () => {
    const gw = { ...minimal, routing: { provider: 'gateway-api', gatewayName: 'public' } };
    expect(parseStackConfig(gw, secrets).transports).toEqual(['websocket']);
    expect(parseStackConfig({ ...gw, routing: { ...gw.routing, sessionPersistence: true } }, secrets).transports).toEqual(['websocket', 'polling']);
    expect(problems({ ...gw, transports: ['websocket', 'polling'] })).toEqual([expect.stringMatching(/^transports includes polling, which needs routing.sessionPersistence true/)]);
  });
});

describe('parseStackConfig (external Sentinel and Cluster)', () => {
  const prod = stackConfig('prod');
  const problemsOf = (redis: Record<string, unknown>, secrets: string[]) => {
    try {
      parseStackConfig({ ...prod, redis }, ['jwtSecret', 'apiKeys', ...secrets]);
      return [];
    } catch (e) {
      return (e as { problems: string[] }).problems;
    }
  };

  it('should accept a Sentinel group and a Cluster without redisUrl', () => {
    expect(problemsOf({ mode: 'external', topology: 'sentinel', sentinels: ['s0:26379'], sentinelName: 'realtime' }, ['redisPassword', 'redisSentinelPassword'])).toEqual([]);
    expect(problemsOf({ mode: 'external', topology: 'cluster', clusterNodes: ['c0:7000'] }, [])).toEqual([]);
  });

  it('should name every inconsistent Redis setting', () => {
    expect(problemsOf({ mode: 'external', topology: 'sentinel', sentinels: ['no-port'], waitReplicas: 99 }, ['redisUrl'])).toEqual([
      expect.stringMatching(/^redis.sentinels must be a list of host:port/),
      expect.stringMatching(/^redis.waitReplicas/),
      'redisUrl is not used with redis.topology sentinel',
      'redis.sentinels and redis.sentinelName are required with redis.topology sentinel',
    ]);
    expect(problemsOf({ mode: 'external', topology: 'cluster' }, ['redisSentinelPassword'])).toEqual([
      'redis.clusterNodes is required with redis.topology cluster',
      'redisSentinelPassword is only used with redis.topology sentinel',
    ]);
    expect(problemsOf({ mode: 'standalone', topology: 'cluster', clusterNodes: ['c0:7000'] }, ['redisPassword'])).toEqual(['redis.topology cluster needs redis.mode external']);
  });
});
