import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineUnavailableError } from '../../common/gateway-error';
import { freePort } from '../../../test/support/free-port';
import { RedisProcess, waitUntil } from '../../../test/support/redis-process';
import { RedisEngine } from './redis.engine';

/**
 * A gateway still connected to a primary that Sentinel demoted (before ioredis follows the
 * switch): every reply it gets there is an outage, never a bug, with REDIS_WAIT_REPLICAS on.
 */
describe('RedisEngine on a demoted primary (now a replica)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sg-demoted-'));
  let primary: RedisProcess;
  let replica: RedisProcess;
  const engines: RedisEngine[] = [];
  const opts = { keyPrefix: 'demoted', historyMaxLen: 10, idempotencyTtlSec: 60, engineTimeoutMs: 1500, rejoinGraceMs: 1000 };

  beforeAll(async () => {
    const [p, r] = [await freePort(), await freePort()];
    primary = new RedisProcess(p, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
    replica = new RedisProcess(r, ['--port', String(r), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--replicaof', '127.0.0.1', String(p)]);
    await primary.start();
    await replica.start();
    await waitUntil(async () => (await primary.admin((c) => c.role() as Promise<[string, number, unknown[]]>))[2].length === 1, 10_000, 'replica attached');
  });
  afterAll(async () => {
    await Promise.all(engines.map((e) => e.close()));
    await Promise.all([primary?.kill(), replica?.kill()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should answer UNAVAILABLE for a duplicate send (a script that only reads, then WAIT) and for a new one', async () => {
    const onPrimary = await RedisEngine.connect({ ...opts, url: `redis://${primary.address}`, waitReplicas: 1 });
    engines.push(onPrimary);
    const input = { channelId: 'c', userId: 'u', content: 'hi', clientMsgId: 'm-1', now: Date.now() };
    expect((await onPrimary.messages.append(input)).duplicate).toBe(false);
    const onReplica = await RedisEngine.connect({ ...opts, url: `redis://${replica.address}`, waitReplicas: 1 });
    engines.push(onReplica);
    await expect(onReplica.messages.append(input)).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(onReplica.messages.append({ ...input, clientMsgId: 'm-2' })).rejects.toBeInstanceOf(EngineUnavailableError);
  });
});
