import { StackConfigError } from './src/config';
import { runProgram, type RecordedResource } from './test/program';

// A `values` override the chart schema refuses stops the program before any resource exists.
describe('Pulumi program with bad chart values', () => {
  it('should throw one StackConfigError naming every bad value and create nothing', async () => {
    const registered: RecordedResource[] = [];
    const run = runProgram(
      'prod',
      { jwtSecret: 'prod-jwt-secret-0123456789abcdefghijklmnop', apiKeys: 'prod-api-key-0123456789', redisUrl: 'rediss://:pw@redis.prod.internal:6380/0' },
      { values: { replicaCount: 0, routing: { cookieSameSite: 'Loose' } } },
      registered,
    );
    await expect(run).rejects.toThrow(StackConfigError);
    await expect(run).rejects.toThrow(/values.replicaCount must be >= 1[\s\S]*values.routing.cookieSameSite must be equal to one of the allowed values/);
    expect(registered).toEqual([]);
  }, 60_000);
});
