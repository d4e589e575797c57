import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startTestGateway } from '../support/gateway';
import { freePort } from '../support/free-port';
import { smokeToken } from '../../src/client/smoke-token';
import { signToken, TEST_SECRET } from '../support/tokens';

const CLI = join(__dirname, '..', '..', '..', 'dist', 'app', 'src', 'client', 'smoke.cli.js');

/** Runs the compiled CLI the way on-call does (`npm run smoke -- ...` runs exactly this file). */
function smoke(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // Only PATH is inherited: the CLI must not pick up a JWT_SECRET or SMOKE_TOKEN of the test runner.
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('smoke CLI', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => {
    gw = await startTestGateway({ RATE_LIMIT_CONNECT_PER_IP: '1000' });
  }, 180_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('should round-trip a message and print the latency', async () => {
    const r = await smoke(['--url', gw.url, '--token', await signToken({ sub: 'oncall', channels: ['smoke-*'] })]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^connected to http:\/\/127\.0\.0\.1:\d+ as oncall \(instance .+\) in [\d.]+ ms$/m);
    expect(r.stdout).toMatch(/^joined smoke-[0-9a-f]{8}, sent and received seq 1$/m);
    expect(r.stdout).toMatch(/^ok: round-trip latency \d+\.\d ms$/m);
  });

  it('should fail with a clear message for a bad token', async () => {
    const r = await smoke(['--url', gw.url, '--token', await signToken({ sub: 'oncall' }, 'another-secret-that-is-long-enough-0123456789')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^smoke FAILED \[AUTH_FAILED\]: connect failed: connection refused \(AUTH_FAILED\)/);
    expect(r.stderr).toMatch(/hint: the gateway refused the token/);
  });

  it('should fail with a clear message for a token without a grant for the channel', async () => {
    const r = await smoke(['--url', gw.url, '--token', await signToken({ sub: 'oncall', channels: ['general'] }), '--channel', 'smoke-denied']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^smoke FAILED \[FORBIDDEN\]: join smoke-denied failed: no grant for channel smoke-denied/);
  });

  it('should fail with a clear message for an unreachable URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await smoke(['--url', url, '--token', 'x', '--timeout-ms', '1500']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`smoke FAILED [TIMEOUT]: connect failed: could not connect to ${url} within 1500 ms (last error: cannot reach ${url}`);
    expect(r.stderr).toMatch(/hint: is the URL right and the gateway up\?/);
  });

  it('should explain its usage when arguments are missing', async () => {
    const r = await smoke(['--token', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--url is required\nusage: npm run smoke -- --url URL \[--token TOKEN\]/);
  });

  it('should mint a 60-second token for a smoke: user from the pod\'s JWT_SECRET', async () => {
    const r = await smoke(['--url', gw.url], { JWT_SECRET: TEST_SECRET });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^connected to .* as smoke:[0-9a-f]{8} \(instance/m);
    const minted = await smokeToken(undefined, { JWT_SECRET: TEST_SECRET });
    const claims = JSON.parse(Buffer.from(('token' in minted ? minted.token : '').split('.')[1], 'base64url').toString());
    expect(claims.exp - claims.iat).toBe(60);
    expect(claims).toMatchObject({ channels: ['smoke-*'], roles: ['member'] });
  });

  it('should prefer --token, then SMOKE_TOKEN, over minting', async () => {
    const good = await signToken({ sub: 'oncall', channels: ['smoke-*'] });
    const fromEnv = await smoke(['--url', gw.url], { SMOKE_TOKEN: good, JWT_SECRET: 'w'.repeat(40) });
    expect(fromEnv.stdout).toMatch(/ as oncall /);
    expect(fromEnv.code).toBe(0);
    const fromFlag = await smoke(['--url', gw.url, '--token', good], { SMOKE_TOKEN: 'not-a-token' });
    expect(fromFlag.code).toBe(0);
  });

  it('should ask for a token in JWKS mode and outside a pod, with exit code 2', async () => {
    const jwks = await smoke(['--url', gw.url], { JWT_JWKS_URL: 'https://id.example/jwks.json' });
    expect(jwks.code).toBe(2);
    expect(jwks.stderr).toMatch(/^smoke: tokens are verified through JWT_JWKS_URL here, so none can be minted: pass --token or set SMOKE_TOKEN/);
    const outside = await smoke(['--url', gw.url]);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/^smoke: --token \(or SMOKE_TOKEN\) is required/);
  });
});
