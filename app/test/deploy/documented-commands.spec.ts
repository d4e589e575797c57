/**
 * Every smoke and ops command the docs hand to on-call runs as written against a live gateway
 * configured from the chart's own ConfigMap: from NOTES.txt, the Pulumi stack outputs, the
 * runbooks and the deployment READMEs. Only hosts, ports and <placeholders> are replaced.
 * `kubectl exec` is played by a shim (no cluster here) that runs the command with the pod's
 * environment; a public https:// URL reaches the gateway through a local TLS terminator.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { REPO_ROOT, helmTemplate } from '../../../helm/test/helm';
import { containerEnv } from '../../../helm/test/policies';
import { runProgram } from '../../../infra/test/program';
import { startTestGateway } from '../support/gateway';
import { TEST_SECRET, signToken } from '../support/tokens';
import { notesCommands, readmeCommands, runbookCommands, unique, type DocumentedCommand } from './support/documented-commands';

const API_KEY = 'documented-commands-api-key-0123';
/** What a reader types for each placeholder the docs use. */
const PLACEHOLDERS: Record<string, string> = { '<userId>': 'doc-user', '<jti>': 'doc-jti', '<cidr>': '192.0.2.0/24', '<job>': 'history-trim', '<key>': API_KEY };

/** The chart installed under another release name and namespace: NOTES must name that install's objects. */
const OTHER_INSTALL = { release: 'rt-prod', namespace: 'realtime' };
const documented = unique([
  ...notesCommands(),
  ...notesCommands('gateway-api-standalone-redis.yaml'),
  ...notesCommands('ingress-traefik-external-redis.yaml'),
  ...notesCommands(undefined, OTHER_INSTALL),
  ...notesCommands('ingress-traefik-external-redis.yaml', OTHER_INSTALL),
  ...runbookCommands(),
  ...readmeCommands(),
]);
// A connection reset disconnects the gateway's sockets for a while: run those last.
const ordered = [...documented].sort((a, b) => Number(/connection-reset/.test(a.command) && !/dry-run/.test(a.command)) - Number(/connection-reset/.test(b.command) && !/dry-run/.test(b.command)));

describe('documented smoke and ops commands', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  let tls: TlsServer;
  let tlsPort: number;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    // The pod's environment: the chart's ConfigMap plus the Secret's values.
    const objs = helmTemplate();
    const deployment = objs.find((o) => o.kind === 'Deployment') as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    const podEnv = { ...containerEnv(objs, deployment.spec.template.spec.containers[0]), JWT_SECRET: TEST_SECRET, API_KEYS: API_KEY };
    // Memory engine (no Redis needed here) and a connect limit sized for one client address running every command.
    gw = await startTestGateway({ ...podEnv, PORT: '0', API_PORT: '0', METRICS_PORT: '0', ENGINE: 'memory', RATE_LIMIT_CONNECT_PER_IP: '10000' });

    dir = mkdtempSync(path.join(tmpdir(), 'sg-docs-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    tls = createTlsServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (client) => {
      const upstream = connect(gw.port, '127.0.0.1');
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    tlsPort = (tls.address() as { port: number }).port;

    symlinkSync(path.join(__dirname, 'support/kubectl-shim.js'), path.join(dir, 'kubectl'));
    env = {
      PATH: `${dir}:${process.env.PATH}`,
      HOME: process.env.HOME ?? dir,
      NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem'),
      // Inside the pod: its environment, with the ports the live gateway really listens on.
      POD_ENV: JSON.stringify({ ...podEnv, PORT: String(gw.port), API_PORT: String(gw.apiPort) }),
      POD_EXPECT: JSON.stringify({
        installs: [
          { namespace: 'socket-gateway', deployment: 'socket-gateway' },
          { namespace: OTHER_INSTALL.namespace, deployment: `${OTHER_INSTALL.release}-socket-gateway` },
        ],
        container: 'gateway',
        appDir: REPO_ROOT,
      }),
      // Outside: what the docs ask the reader to set.
      SMOKE_TOKEN: await signToken({ sub: 'smoke:docs', channels: ['smoke-*'] }),
      GATEWAY_URL: gw.apiUrl,
      GATEWAY_API_KEY: API_KEY,
    };
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((r) => (tls ? tls.close(() => r()) : r()));
    await gw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Hosts, ports and placeholders only; a placeholder nobody can fill fails the command. */
  function localize(command: string, token: string): string {
    let c = command
      .replace(/https:\/\/(<public-host>|realtime\.example\.com)/g, `https://localhost:${tlsPort}`)
      .replace(/http:\/\/127\.0\.0\.1:3000\b/g, `http://127.0.0.1:${gw.port}`)
      .replace(/http:\/\/localhost:8080\b/g, gw.apiUrl)
      .replace(/<token>/g, token);
    for (const [k, v] of Object.entries(PLACEHOLDERS)) c = c.split(k).join(v);
    return c;
  }

  function run(command: string): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
      const child = spawn('bash', ['-c', command], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
    });
  }

  async function expectRuns(c: DocumentedCommand): Promise<void> {
    const local = localize(c.command, env.SMOKE_TOKEN);
    expect(local).not.toMatch(/<[a-z-]+>/i);
    const r = await run(local);
    const report = `${c.where}: ${c.command}\n  ran: ${local}\n  exit ${r.code}\n${r.out}`;
    expect(r.code === 0 ? 'exit 0' : report).toBe('exit 0');
    if (/smoke/.test(c.command)) expect(r.out).toMatch(/ok: round-trip latency/);
  }

  it('should find the commands of every source', () => {
    const where = documented.map((c) => c.where.split(/[ :]/)[0]);
    expect(new Set(where)).toEqual(new Set(['NOTES.txt', 'runbooks/README.md', ...where.filter((w) => w.startsWith('runbooks/') || w.includes('README'))]));
    expect(documented.filter((c) => /smoke/.test(c.command)).length).toBeGreaterThanOrEqual(4);
    expect(documented.filter((c) => c.command.includes(`deploy/${OTHER_INSTALL.release}-socket-gateway`)).length).toBeGreaterThanOrEqual(3);
  });

  it.each(ordered.map((c) => [`${c.where}: ${c.command}`, c] as const))('should run %s', async (_name, c) => {
    await expectRuns(c);
  }, 60_000);

  it('should run the Pulumi stack outputs smokeCommand, podSmokeCommand and opsStatusCommand', async () => {
    const { outputs } = await runProgram('prod', { jwtSecret: TEST_SECRET, apiKeys: API_KEY, redisUrl: 'rediss://:pw@redis.prod.internal:6380/0' });
    for (const key of ['smokeCommand', 'podSmokeCommand', 'opsStatusCommand']) {
      await expectRuns({ where: `pulumi stack output ${key}`, command: String(outputs[key].value) });
    }
  }, 120_000);
});
