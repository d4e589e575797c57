/**
 * The standalone Redis exactly as the program defines it, run for real: redis-server with the
 * StatefulSet's arguments and the Secret's mounted files, its probe command, the gateway's
 * REDIS_URL, and the redis_exporter sidecar's environment. Only paths and ports are mapped.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { schemaErrors, type K8sObject } from '../helm/test/k8s-schema';
import { freePort } from '../app/test/support/free-port';
import { waitForPort } from '../app/test/support/redis-process';
import { maxmemoryBytes } from './src/redis';
import { reveal, runProgram, type RecordedResource } from './test/program';

// Every character a generated password may hold, and the ones that break naive URLs and configs.
const PASSWORD = 'p/+=@:?#%"\\ x7Zq';
const MEMORY_LIMIT = '256Mi';

type Dict = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('standalone Redis run from the program\'s own definition', () => {
  let resources: RecordedResource[];
  let dir: string;
  let redisPort: number;
  const procs: ChildProcess[] = [];
  let server: Dict;
  let exporter: Dict;
  let files: Record<string, string>;
  const mapPaths = (s: string) => s.replace('/etc/redis/auth', path.join(dir, 'auth')).replace(/^\/data$/, path.join(dir, 'data'));

  beforeAll(async () => {
    ({ resources } = await runProgram(
      'dev',
      { jwtSecret: 'dev-jwt-secret-0123456789abcdefghijklmnop', apiKeys: 'dev-api-key-0123456789', redisPassword: PASSWORD },
      { monitoring: { enabled: true, release: 'kps', prometheusNamespace: 'monitoring' }, redis: { mode: 'standalone', storageSize: '2Gi', memoryLimit: MEMORY_LIMIT, blockNodeDrains: true } },
    ));
    const sts = reveal(resources.find((r) => r.type === 'kubernetes:apps/v1:StatefulSet')!.inputs);
    [server, exporter] = sts.spec.template.spec.containers;
    files = reveal(resources.find((r) => r.name === 'socket-gateway-redis-password')!.inputs.stringData);
    dir = mkdtempSync(path.join(tmpdir(), 'sg-redis-live-'));
    mkdirSync(path.join(dir, 'auth'));
    mkdirSync(path.join(dir, 'data'));
    // The Secret volume's items, as the kubelet would mount them.
    for (const item of sts.spec.template.spec.volumes.find((v: Dict) => v.name === 'auth').secret.items) writeFileSync(path.join(dir, 'auth', item.path), files[item.key], { mode: 0o400 });
    redisPort = await freePort();
    const proc = spawn('redis-server', [...server.args.map(mapPaths), '--port', String(redisPort), '--bind', '127.0.0.1', '--save', ''], { stdio: 'ignore' });
    procs.push(proc);
    await waitForPort(redisPort, 10_000);
  }, 60_000);

  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('should keep the password out of the process arguments and require it', async () => {
    // redis-server rewrites its process title; the spec's own arguments are checked as well.
    expect(JSON.stringify(server.args)).not.toContain(PASSWORD);
    expect(readFileSync(`/proc/${procs[0].pid}/cmdline`, 'utf8')).not.toContain(PASSWORD);
    const answer = await new Promise<string>((resolve) => execFile('redis-cli', ['-h', '127.0.0.1', '-p', String(redisPort), 'ping'], (_err, stdout) => resolve(stdout)));
    expect(answer).toMatch(/NOAUTH/);
  });

  it('should reach Redis through the gateway Secret\'s URL-encoded REDIS_URL, with maxmemory 80% of the limit', async () => {
    const gatewaySecret = reveal(resources.find((r) => r.name === 'socket-gateway-secrets-secret')!.inputs.stringData);
    const url = new URL(gatewaySecret.REDIS_URL);
    expect(url.hostname).toBe('socket-gateway-redis.socket-gateway.svc');
    url.hostname = '127.0.0.1';
    url.port = String(redisPort);
    const client = new Redis(url.toString(), { maxRetriesPerRequest: 1 });
    try {
      expect(await client.ping()).toBe('PONG');
      expect(await client.config('GET', 'maxmemory')).toEqual(['maxmemory', String(maxmemoryBytes(MEMORY_LIMIT))]);
      expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
      expect(maxmemoryBytes(MEMORY_LIMIT)).toBe(Math.floor(256 * 1024 * 1024 * 0.8));
    } finally {
      client.disconnect();
    }
  });

  it('should pass its own readiness probe command', async () => {
    const [sh, flag, script] = server.readinessProbe.exec.command as string[];
    const mapped = mapPaths(script).replace('redis-cli -h 127.0.0.1', `redis-cli -h 127.0.0.1 -p ${redisPort}`);
    await new Promise<void>((resolve, reject) => execFile(sh, [flag, mapped], (err) => (err ? reject(err) : resolve())));
  });

  it('should serve redis_up 1 from the redis_exporter sidecar, its password read from a mounted file', async () => {
    // The sidecar gets no secret through its environment either: only plain values and a file path.
    expect(exporter.env.every((e: Dict) => typeof e.value === 'string' && !e.value.includes(PASSWORD))).toBe(true);
    const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
    for (const e of exporter.env) env[e.name] = mapPaths(e.value);
    env.REDIS_ADDR = env.REDIS_ADDR.replace(':6379', `:${redisPort}`);
    const mount = exporter.volumeMounts.find((m: Dict) => m.name === 'auth');
    expect(env.REDIS_PASSWORD_FILE.startsWith(mapPaths(mount.mountPath))).toBe(true);
    // The file names the scrape address: map its port as the address's.
    chmodSync(env.REDIS_PASSWORD_FILE, 0o600);
    writeFileSync(env.REDIS_PASSWORD_FILE, readFileSync(env.REDIS_PASSWORD_FILE, 'utf8').replace(':6379', `:${redisPort}`));
    const metricsPort = await freePort();
    const proc = spawn('prometheus-redis-exporter', ['--web.listen-address', `127.0.0.1:${metricsPort}`], { env, stdio: 'ignore' });
    procs.push(proc);
    const body = await until('redis_up 1', async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return /^redis_up 1$/m.test(text) ? text : undefined;
    });
    expect(body).toMatch(/^redis_memory_max_bytes \d/m);
    expect(readFileSync(`/proc/${proc.pid}/environ`, 'utf8')).not.toContain(PASSWORD);
    expect(readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8')).not.toContain(PASSWORD);
  });

  it('should add the exporter ServiceMonitor, the Prometheus peer and the drain-blocking PDB when asked', async () => {
    const objs = resources.filter((r) => /ServiceMonitor|PodDisruptionBudget|NetworkPolicy|Service$/.test(r.type)).map((r) => reveal(r.inputs) as K8sObject);
    expect(objs.map((o) => o.kind).sort()).toEqual(['NetworkPolicy', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);
    expect(await schemaErrors(objs)).toEqual([]);
    const np = objs.find((o) => o.kind === 'NetworkPolicy') as Dict;
    expect(np.spec.ingress[1]).toEqual({ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 9121, protocol: 'TCP' }] });
    expect((objs.find((o) => o.kind === 'PodDisruptionBudget') as Dict).spec.maxUnavailable).toBe(0);
  });
});
