import { hardeningViolations } from '../helm/test/policies';
import type { K8sObject } from '../helm/test/k8s-schema';
import { maxmemoryBytes } from './src/redis';
import { reveal, runProgram } from './test/program';

// A small standalone Redis (redis.memoryLimit below the default request) must still be a pod
// spec the API server accepts: no container may request more than its limit.
describe('standalone Redis with a small memory limit', () => {
  it('should request no more memory than the limit and size maxmemory from it', async () => {
    const { resources } = await runProgram(
      'dev',
      { jwtSecret: 'dev-jwt-secret-0123456789abcdefghijklmnop', apiKeys: 'dev-api-key-0123456789', redisPassword: 'dev-redis-password-xyz' },
      { redis: { mode: 'standalone', storageSize: '1Gi', memoryLimit: '128Mi' } },
    );
    const sts = reveal(resources.find((r) => r.type === 'kubernetes:apps/v1:StatefulSet')!.inputs) as K8sObject;
    expect(hardeningViolations([sts])).toEqual([]);
    const server = (sts.spec as any).template.spec.containers[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(server.resources.limits.memory).toBe('128Mi');
    expect(server.args).toContain(String(maxmemoryBytes('128Mi')));
  }, 60_000);
});
