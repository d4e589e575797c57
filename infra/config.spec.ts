import { parseStackConfig, StackConfigError } from './src/config';
import { stackConfig } from './test/program';

const minimal = { image: { repository: 'r/sg', tag: '1.0.0' }, host: 'rt.example.com', routing: { provider: 'ingress-nginx' } };
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

  it('should require a host and a Gateway for public routing', () => {
    expect(problems({ image: minimal.image, routing: { provider: 'gateway-api' } })).toEqual(['host is required with routing.provider gateway-api', 'routing.gatewayName is required with routing.provider gateway-api']);
    expect(problems({ image: minimal.image, routing: { provider: 'none' } })).toEqual([]);
  });
});
