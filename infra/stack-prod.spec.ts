import { describeStack } from './test/stack-checks';

// Prod: external (managed) Redis, Gateway API, monitoring on, JWT HS256 secret.
describeStack({
  stack: 'prod',
  secrets: {
    jwtSecret: 'prod-jwt-secret-0123456789abcdefghijklmnop',
    apiKeys: 'prod-api-key-0123456789',
    redisUrl: 'rediss://:prod-redis-password@redis.prod.internal:6380/0',
    webhookSecret: 'prod-webhook-secret-abcdef',
  },
  redis: 'external',
  monitoring: true,
});
