import { describeStack } from './test/stack-checks';

// Dev: standalone Redis in the namespace, Traefik, monitoring off.
describeStack({
  stack: 'dev',
  secrets: { jwtSecret: 'dev-jwt-secret-0123456789abcdefghijklmnop', apiKeys: 'dev-api-key-0123456789', redisPassword: 'dev-redis-password-xyz' },
  redis: 'standalone',
  monitoring: false,
});
